package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
	"github.com/huabei/huabei/billing/installment"
)

// InstallmentRepo implements biz.InstallmentRepo.
type InstallmentRepo struct{ d *data.Data }

var _ biz.InstallmentRepo = (*InstallmentRepo)(nil)

// NewInstallmentRepo returns the SQL installment repository.
func NewInstallmentRepo(d *data.Data) *InstallmentRepo { return &InstallmentRepo{d: d} }

const planColumns = `id, user_id, source, source_id, payment_id, statement_period, method, principal, terms, rate, total_fee,
 fee_waived, apr, effective_annual_rate, status, periods_billed, principal_outstanding, created_date, closed_date, created_at, updated_at`

// InsertPlan implements biz.InstallmentRepo.
func (r *InstallmentRepo) InsertPlan(ctx context.Context, p biz.InstallmentPlan) (bool, error) {
	db := r.d.DB(ctx)
	_, err := db.ExecContext(ctx, `INSERT INTO installment_plan (`+planColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.Source, p.SourceID, p.PaymentID, p.StatementPeriod, string(p.Method), int64(p.Principal), p.Terms,
		p.Rate.String(), int64(p.TotalFee), int64(p.FeeWaived), p.APR.StringFixed(4), p.EffectiveRate.StringFixed(4), p.Status,
		p.PeriodsBilled, int64(p.PrincipalOutstanding), dateInt(p.CreatedDate), dateInt(p.ClosedDate), millis(p.CreatedAt), millis(p.UpdatedAt))
	if r.d.Dialect.IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("billing/data: insert plan of %s %d: %w", p.Source, p.SourceID, err)
	}
	for _, per := range p.Periods {
		if _, err := db.ExecContext(ctx, `INSERT INTO installment_period (user_id, plan_id, period, due_date, principal, fee,
 statement_id, billed_date, principal_paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.UserID, p.ID, per.Number, dateInt(per.DueDate), int64(per.Principal), int64(per.Fee), per.StatementID,
			dateInt(per.BilledDate), int64(per.PrincipalPaid)); err != nil {
			return false, fmt.Errorf("billing/data: insert period %d of plan %d: %w", per.Number, p.ID, err)
		}
	}
	return true, nil
}

// Plan implements biz.InstallmentRepo.
func (r *InstallmentRepo) Plan(ctx context.Context, userID string, id int64, forUpdate bool) (biz.InstallmentPlan, error) {
	q := `SELECT ` + planColumns + ` FROM installment_plan WHERE user_id = ? AND id = ?`
	if forUpdate {
		q += r.d.Dialect.ForUpdate()
	}
	ps, err := r.plans(ctx, q, userID, id)
	if err != nil {
		return biz.InstallmentPlan{}, err
	}
	if len(ps) == 0 {
		return biz.InstallmentPlan{}, biz.ErrInstallmentPlanNotFound
	}
	return ps[0], nil
}

// ActivePlans implements biz.InstallmentRepo.
func (r *InstallmentRepo) ActivePlans(ctx context.Context, userID string) ([]biz.InstallmentPlan, error) {
	return r.plans(ctx, `SELECT `+planColumns+` FROM installment_plan WHERE user_id = ? AND status = ? ORDER BY id`+r.d.Dialect.ForUpdate(),
		userID, biz.PlanActive)
}

// OwingPlans implements biz.InstallmentRepo.
func (r *InstallmentRepo) OwingPlans(ctx context.Context, userID string) ([]biz.InstallmentPlan, error) {
	return r.plans(ctx, `SELECT `+planColumns+` FROM installment_plan WHERE user_id = ? AND principal_outstanding > 0 ORDER BY id`+r.d.Dialect.ForUpdate(),
		userID)
}

// PlansBilledOn implements biz.InstallmentRepo.
func (r *InstallmentRepo) PlansBilledOn(ctx context.Context, userID string, statementID int64) ([]biz.InstallmentPlan, error) {
	return r.plans(ctx, `SELECT `+planColumns+` FROM installment_plan WHERE user_id = ? AND id IN
 (SELECT plan_id FROM installment_period WHERE user_id = ? AND statement_id = ?) ORDER BY id`+r.d.Dialect.ForUpdate(),
		userID, userID, statementID)
}

// plans runs a plan query and loads each plan's periods.
func (r *InstallmentRepo) plans(ctx context.Context, q string, args ...any) ([]biz.InstallmentPlan, error) {
	db := r.d.DB(ctx)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: load plans: %w", err)
	}
	var out []biz.InstallmentPlan
	for rows.Next() {
		var p biz.InstallmentPlan
		var method, rate, apr, ear string
		var principal, totalFee, waived, outstanding, created, updated int64
		var createdDate, closedDate int
		if err := rows.Scan(&p.ID, &p.UserID, &p.Source, &p.SourceID, &p.PaymentID, &p.StatementPeriod, &method, &principal, &p.Terms,
			&rate, &totalFee, &waived, &apr, &ear, &p.Status, &p.PeriodsBilled, &outstanding, &createdDate, &closedDate, &created, &updated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("billing/data: scan plan: %w", err)
		}
		p.Method = installment.Method(method)
		p.Principal, p.TotalFee, p.FeeWaived, p.PrincipalOutstanding = money.Amount(principal), money.Amount(totalFee), money.Amount(waived), money.Amount(outstanding)
		p.Rate, _ = decimal.NewFromString(rate)
		p.APR, _ = decimal.NewFromString(apr)
		p.EffectiveRate, _ = decimal.NewFromString(ear)
		p.CreatedDate, p.ClosedDate, p.CreatedAt, p.UpdatedAt = fromDateInt(createdDate), fromDateInt(closedDate), fromMillis(created), fromMillis(updated)
		out = append(out, p)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/data: load plans: %w", err)
	}
	for i := range out {
		if out[i].Periods, err = r.periods(ctx, out[i].UserID, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *InstallmentRepo) periods(ctx context.Context, userID string, planID int64) ([]biz.InstallmentPeriod, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT period, due_date, principal, fee, statement_id, billed_date, principal_paid
 FROM installment_period WHERE user_id = ? AND plan_id = ? ORDER BY period`, userID, planID)
	if err != nil {
		return nil, fmt.Errorf("billing/data: load periods of plan %d: %w", planID, err)
	}
	defer rows.Close()
	var out []biz.InstallmentPeriod
	for rows.Next() {
		var per biz.InstallmentPeriod
		var due, billed int
		var principal, fee, paid int64
		if err := rows.Scan(&per.Number, &due, &principal, &fee, &per.StatementID, &billed, &paid); err != nil {
			return nil, fmt.Errorf("billing/data: scan period of plan %d: %w", planID, err)
		}
		per.DueDate, per.BilledDate = fromDateInt(due), fromDateInt(billed)
		per.Principal, per.Fee, per.PrincipalPaid = money.Amount(principal), money.Amount(fee), money.Amount(paid)
		out = append(out, per)
	}
	return out, rows.Err()
}

// SavePlan implements biz.InstallmentRepo.
func (r *InstallmentRepo) SavePlan(ctx context.Context, p biz.InstallmentPlan) error {
	db := r.d.DB(ctx)
	if _, err := db.ExecContext(ctx, `UPDATE installment_plan SET fee_waived = ?, status = ?, periods_billed = ?, principal_outstanding = ?,
 closed_date = ?, updated_at = ? WHERE user_id = ? AND id = ?`,
		int64(p.FeeWaived), p.Status, p.PeriodsBilled, int64(p.PrincipalOutstanding), dateInt(p.ClosedDate), millis(p.UpdatedAt), p.UserID, p.ID); err != nil {
		return fmt.Errorf("billing/data: save plan %d: %w", p.ID, err)
	}
	for _, per := range p.Periods {
		if _, err := db.ExecContext(ctx, `UPDATE installment_period SET due_date = ?, principal = ?, fee = ?, statement_id = ?, billed_date = ?,
 principal_paid = ? WHERE user_id = ? AND plan_id = ? AND period = ?`,
			dateInt(per.DueDate), int64(per.Principal), int64(per.Fee), per.StatementID, dateInt(per.BilledDate), int64(per.PrincipalPaid),
			p.UserID, p.ID, per.Number); err != nil {
			return fmt.Errorf("billing/data: save period %d of plan %d: %w", per.Number, p.ID, err)
		}
	}
	return nil
}

func (r *InstallmentRepo) purchases(ctx context.Context, q string, args ...any) ([]biz.InstallmentPurchase, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: load purchases: %w", err)
	}
	defer rows.Close()
	var out []biz.InstallmentPurchase
	for rows.Next() {
		var pu biz.InstallmentPurchase
		var outstanding int64
		var date int
		if err := rows.Scan(&pu.ID, &pu.PaymentID, &outstanding, &date, &pu.Owner); err != nil {
			return nil, fmt.Errorf("billing/data: scan purchase: %w", err)
		}
		pu.Outstanding, pu.CaptureDate = money.Amount(outstanding), fromDateInt(date)
		out = append(out, pu)
	}
	return out, rows.Err()
}

// PlanPurchases implements biz.InstallmentRepo.
func (r *InstallmentRepo) PlanPurchases(ctx context.Context, userID string, planID int64) ([]biz.InstallmentPurchase, error) {
	return r.purchases(ctx, `SELECT id, payment_id, principal_outstanding, capture_date, owner FROM purchase
 WHERE user_id = ? AND plan_id = ? ORDER BY capture_date, id`+r.d.Dialect.ForUpdate(), userID, planID)
}

// StatementPurchases implements biz.InstallmentRepo.
func (r *InstallmentRepo) StatementPurchases(ctx context.Context, userID string, statementID int64) ([]biz.InstallmentPurchase, error) {
	return r.purchases(ctx, `SELECT id, payment_id, principal_outstanding, capture_date, owner FROM purchase
 WHERE user_id = ? AND statement_id = ? AND plan_id IS NULL AND principal_outstanding > 0 ORDER BY capture_date, id`+r.d.Dialect.ForUpdate(),
		userID, statementID)
}

// AssignPurchases implements biz.InstallmentRepo.
func (r *InstallmentRepo) AssignPurchases(ctx context.Context, userID string, purchaseIDs []int64, planID int64) error {
	for _, id := range purchaseIDs {
		res, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE purchase SET plan_id = ? WHERE user_id = ? AND id = ? AND plan_id IS NULL`, planID, userID, id)
		if err != nil {
			return fmt.Errorf("billing/data: assign purchase %d to plan %d: %w", id, planID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return biz.ErrAlreadyInstallments
		}
	}
	return nil
}

// ReducePurchasePrincipal implements biz.InstallmentRepo.
func (r *InstallmentRepo) ReducePurchasePrincipal(ctx context.Context, userID string, purchaseID int64, amount money.Amount) error {
	res, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE purchase SET principal_outstanding = principal_outstanding - ?
 WHERE user_id = ? AND id = ? AND principal_outstanding >= ?`, int64(amount), userID, purchaseID, int64(amount))
	if err != nil {
		return fmt.Errorf("billing/data: reduce principal of purchase %d: %w", purchaseID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("billing/data: purchase %d owes less than %s", purchaseID, amount)
	}
	return nil
}

// StatementByPeriod implements biz.InstallmentRepo.
func (r *InstallmentRepo) StatementByPeriod(ctx context.Context, userID, period string) (biz.InstallmentStatement, error) {
	var s biz.InstallmentStatement
	var sd, dd int
	err := r.d.DB(ctx).QueryRowContext(ctx, `SELECT id, period, statement_date, due_date, status FROM statement WHERE user_id = ? AND period = ?`,
		userID, period).Scan(&s.ID, &s.Period, &sd, &dd, &s.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return s, biz.ErrInstallmentStatementNotFound
	}
	if err != nil {
		return s, fmt.Errorf("billing/data: load statement %s: %w", strings.TrimSpace(period), err)
	}
	s.StatementDate, s.DueDate = fromDateInt(sd), fromDateInt(dd)
	return s, nil
}

// AddStatementInstallment implements biz.InstallmentRepo.
func (r *InstallmentRepo) AddStatementInstallment(ctx context.Context, userID string, statementID int64, installmentsDue, fees money.Amount) error {
	res, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE statement SET installments_due = installments_due + ?, fees = fees + ? WHERE user_id = ? AND id = ?`,
		int64(installmentsDue), int64(fees), userID, statementID)
	if err != nil {
		return fmt.Errorf("billing/data: add installment to statement %d: %w", statementID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("billing/data: statement %d of %s not found", statementID, userID)
	}
	return nil
}
