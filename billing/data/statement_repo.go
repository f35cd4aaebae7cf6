package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

// StatementRepo stores statements, repayments, accruals, billing accounts and autopay
// (biz.BillingRepo).
type StatementRepo struct{ d *data.Data }

var _ biz.BillingRepo = (*StatementRepo)(nil)

// NewStatementRepo returns the repo.
func NewStatementRepo(d *data.Data) *StatementRepo { return &StatementRepo{d: d} }

const accountCols = "user_id, status, accrued_through, interest_accrued_micro, penalty_accrued_micro, days_past_due, bucket, charged_off_date, updated_at"

func scanAccount(row interface{ Scan(...any) error }) (biz.BillingAccount, error) {
	var a biz.BillingAccount
	var through, co int
	var upd int64
	err := row.Scan(&a.UserID, &a.Status, &through, &a.InterestMicro, &a.PenaltyMicro, &a.DaysPastDue, &a.Bucket, &co, &upd)
	a.AccruedThrough, a.ChargedOffDate, a.UpdatedAt = fromDateInt(through), fromDateInt(co), fromMillis(upd)
	return a, err
}

// LockAccount implements biz.BillingRepo.
func (r *StatementRepo) LockAccount(ctx context.Context, userID string) (biz.BillingAccount, error) {
	db := r.d.DB(ctx)
	if _, err := db.ExecContext(ctx, r.d.Dialect.InsertIgnore()+" billing_account ("+accountCols+") VALUES (?, ?, 0, 0, 0, 0, 'current', 0, ?)",
		userID, biz.AccountCurrent, time.Now().UnixMilli()); err != nil {
		return biz.BillingAccount{}, fmt.Errorf("billing/data: create account: %w", err)
	}
	a, err := scanAccount(db.QueryRowContext(ctx, "SELECT "+accountCols+" FROM billing_account WHERE user_id = ?"+r.d.Dialect.ForUpdate(), userID))
	if err != nil {
		return a, fmt.Errorf("billing/data: lock account: %w", err)
	}
	return a, nil
}

// GetAccount implements biz.BillingRepo.
func (r *StatementRepo) GetAccount(ctx context.Context, userID string) (biz.BillingAccount, error) {
	a, err := scanAccount(r.d.DB(ctx).QueryRowContext(ctx, "SELECT "+accountCols+" FROM billing_account WHERE user_id = ?", userID))
	if errors.Is(err, sql.ErrNoRows) {
		return biz.BillingAccount{UserID: userID, Status: biz.AccountCurrent, Bucket: "current"}, nil
	}
	if err != nil {
		return a, fmt.Errorf("billing/data: load account: %w", err)
	}
	return a, nil
}

// SaveAccount implements biz.BillingRepo.
func (r *StatementRepo) SaveAccount(ctx context.Context, a biz.BillingAccount) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE billing_account SET status = ?, accrued_through = ?, interest_accrued_micro = ?, penalty_accrued_micro = ?,
 days_past_due = ?, bucket = ?, charged_off_date = ?, updated_at = ? WHERE user_id = ?`,
		a.Status, dateInt(a.AccruedThrough), a.InterestMicro, a.PenaltyMicro, a.DaysPastDue, a.Bucket, dateInt(a.ChargedOffDate), time.Now().UnixMilli(), a.UserID)
	if err != nil {
		return fmt.Errorf("billing/data: save account: %w", err)
	}
	return nil
}

const stmtCols = `id, user_id, period, statement_date, due_date, cycle_start, cycle_end, opening_balance, new_purchases, refunds,
 installments_due, interest, penalty, fees, payments_and_credits, new_balance, minimum_due, paid, interest_paid, penalty_paid,
 fee_paid, min_met_date, status, created_at`

func scanStatement(row interface{ Scan(...any) error }) (biz.Statement, error) {
	var s biz.Statement
	var sd, dd, cs, ce, mm int
	var a [15]int64
	var created int64
	err := row.Scan(&s.ID, &s.UserID, &s.Period, &sd, &dd, &cs, &ce, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6], &a[7], &a[8], &a[9],
		&a[10], &a[11], &a[12], &a[13], &mm, &s.Status, &created)
	if err != nil {
		return s, err
	}
	s.StatementDate, s.DueDate, s.CycleStart, s.CycleEnd, s.MinMetDate = fromDateInt(sd), fromDateInt(dd), fromDateInt(cs), fromDateInt(ce), fromDateInt(mm)
	m := func(i int) money.Amount { return money.Amount(a[i]) }
	s.OpeningBalance, s.NewPurchases, s.Refunds, s.InstallmentsDue, s.Interest, s.Penalty, s.Fees = m(0), m(1), m(2), m(3), m(4), m(5), m(6)
	s.PaymentsAndCredits, s.NewBalance, s.MinimumDue, s.Paid, s.InterestPaid, s.PenaltyPaid, s.FeePaid = m(7), m(8), m(9), m(10), m(11), m(12), m(13)
	s.CreatedAt = fromMillis(created)
	return s, nil
}

func (r *StatementRepo) queryStatements(ctx context.Context, q string, args ...any) ([]biz.Statement, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: statements: %w", err)
	}
	defer rows.Close()
	var out []biz.Statement
	for rows.Next() {
		s, err := scanStatement(rows)
		if err != nil {
			return nil, fmt.Errorf("billing/data: scan statement: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RecentStatements implements biz.BillingRepo.
func (r *StatementRepo) RecentStatements(ctx context.Context, userID string, n int) ([]biz.Statement, error) {
	list, err := r.queryStatements(ctx, "SELECT "+stmtCols+" FROM statement WHERE user_id = ? ORDER BY statement_date DESC LIMIT ?", userID, n)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list, nil
}

// StatementByPeriod implements biz.BillingRepo.
func (r *StatementRepo) StatementByPeriod(ctx context.Context, userID, period string) (biz.Statement, error) {
	s, err := scanStatement(r.d.DB(ctx).QueryRowContext(ctx, "SELECT "+stmtCols+" FROM statement WHERE user_id = ? AND period = ?", userID, period))
	if errors.Is(err, sql.ErrNoRows) {
		return s, biz.ErrStatementNotFound
	}
	if err != nil {
		return s, fmt.Errorf("billing/data: statement %s: %w", period, err)
	}
	// Purchase lines are the purchases the statement billed (not stored twice).
	prows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT capture_date, merchant_id, amount, payment_id FROM purchase WHERE user_id = ? AND statement_id = ? ORDER BY capture_date, id", userID, s.ID)
	if err != nil {
		return s, fmt.Errorf("billing/data: statement purchases: %w", err)
	}
	for prows.Next() {
		l := biz.StatementLine{Kind: biz.LinePurchase}
		var d int
		var amt int64
		var merchant string
		if err := prows.Scan(&d, &merchant, &amt, &l.PaymentID); err != nil {
			prows.Close()
			return s, fmt.Errorf("billing/data: scan purchase line: %w", err)
		}
		l.Date, l.Amount, l.Description = fromDateInt(d), money.Amount(amt), biz.PurchaseLineDescription(merchant)
		s.Lines = append(s.Lines, l)
	}
	prows.Close()
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT line_date, kind, description, amount, payment_id, plan_id FROM statement_line WHERE user_id = ? AND statement_id = ? ORDER BY seq", userID, s.ID)
	if err != nil {
		return s, fmt.Errorf("billing/data: statement lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l biz.StatementLine
		var d int
		var amt int64
		if err := rows.Scan(&d, &l.Kind, &l.Description, &amt, &l.PaymentID, &l.PlanID); err != nil {
			return s, fmt.Errorf("billing/data: scan line: %w", err)
		}
		l.Date, l.Amount = fromDateInt(d), money.Amount(amt)
		s.Lines = append(s.Lines, l)
	}
	return s, rows.Err()
}

// ListStatements implements biz.BillingRepo.
func (r *StatementRepo) ListStatements(ctx context.Context, userID, before string, limit int) ([]biz.Statement, error) {
	if before == "" {
		before = "9999-99"
	}
	return r.queryStatements(ctx, "SELECT "+stmtCols+" FROM statement WHERE user_id = ? AND period < ? ORDER BY period DESC LIMIT ?", userID, before, limit)
}

// InsertStatement implements biz.BillingRepo.
func (r *StatementRepo) InsertStatement(ctx context.Context, s biz.Statement) (bool, error) {
	db := r.d.DB(ctx)
	res, err := db.ExecContext(ctx, r.d.Dialect.InsertIgnore()+" statement ("+stmtCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.UserID, s.Period, dateInt(s.StatementDate), dateInt(s.DueDate), dateInt(s.CycleStart), dateInt(s.CycleEnd),
		int64(s.OpeningBalance), int64(s.NewPurchases), int64(s.Refunds), int64(s.InstallmentsDue), int64(s.Interest), int64(s.Penalty),
		int64(s.Fees), int64(s.PaymentsAndCredits), int64(s.NewBalance), int64(s.MinimumDue), int64(s.Paid), int64(s.InterestPaid),
		int64(s.PenaltyPaid), int64(s.FeePaid), dateInt(s.MinMetDate), s.Status, millis(s.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("billing/data: insert statement: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	lines := storedLines(s.Lines)
	if len(lines) == 0 {
		return true, nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(lines)*9)
	sb.WriteString("INSERT INTO statement_line (user_id, statement_id, seq, line_date, kind, description, amount, payment_id, plan_id) VALUES ")
	for i, l := range lines {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, s.UserID, s.ID, i, dateInt(l.Date), l.Kind, l.Description, int64(l.Amount), l.PaymentID, l.PlanID)
	}
	if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
		return false, fmt.Errorf("billing/data: insert statement lines: %w", err)
	}
	return true, nil
}

// storedLines drops the purchase lines: they are read back from the purchases the
// statement billed (purchase.statement_id), which keeps the statements job's writes small.
func storedLines(ls []biz.StatementLine) []biz.StatementLine {
	out := make([]biz.StatementLine, 0, len(ls))
	for _, l := range ls {
		if l.Kind != biz.LinePurchase {
			out = append(out, l)
		}
	}
	return out
}

// AddStatementLine implements biz.BillingRepo.
func (r *StatementRepo) AddStatementLine(ctx context.Context, userID string, statementID int64, l biz.StatementLine) error {
	db := r.d.DB(ctx)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM statement_line WHERE user_id = ? AND statement_id = ?", userID, statementID).Scan(&n); err != nil {
		return fmt.Errorf("billing/data: count lines: %w", err)
	}
	_, err := db.ExecContext(ctx, "INSERT INTO statement_line (user_id, statement_id, seq, line_date, kind, description, amount, payment_id, plan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		userID, statementID, n, dateInt(l.Date), l.Kind, l.Description, int64(l.Amount), l.PaymentID, l.PlanID)
	if err != nil {
		return fmt.Errorf("billing/data: add line: %w", err)
	}
	return nil
}

// UpdateStatement implements biz.BillingRepo.
func (r *StatementRepo) UpdateStatement(ctx context.Context, s biz.Statement) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE statement SET payments_and_credits = ?, new_balance = ?, minimum_due = ?, paid = ?,
 interest_paid = ?, penalty_paid = ?, fee_paid = ?, min_met_date = ?, status = ? WHERE user_id = ? AND id = ?`,
		int64(s.PaymentsAndCredits), int64(s.NewBalance), int64(s.MinimumDue), int64(s.Paid), int64(s.InterestPaid), int64(s.PenaltyPaid),
		int64(s.FeePaid), dateInt(s.MinMetDate), s.Status, s.UserID, s.ID)
	if err != nil {
		return fmt.Errorf("billing/data: update statement %d: %w", s.ID, err)
	}
	return nil
}

// OpenPurchases implements biz.BillingRepo.
func (r *StatementRepo) OpenPurchases(ctx context.Context, userID string, unbilledThrough clock.Date) ([]biz.BilledPurchase, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT `+billedPurchaseCols+`
 FROM purchase WHERE user_id = ? AND plan_id IS NULL AND (principal_outstanding > 0 OR (statement_id IS NULL AND capture_date <= ?))
 ORDER BY capture_date, id`, userID, dateInt(unbilledThrough))
	if err != nil {
		return nil, fmt.Errorf("billing/data: open purchases: %w", err)
	}
	defer rows.Close()
	var out []biz.BilledPurchase
	for rows.Next() {
		p, err := scanBilledPurchase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// billedPurchaseCols are the columns scanBilledPurchase reads, in order.
const billedPurchaseCols = "id, payment_id, merchant_id, amount, principal_outstanding, capture_date, statement_id, owner"

// scanBilledPurchase reads billedPurchaseCols, after any leading destinations.
func scanBilledPurchase(row interface{ Scan(...any) error }, lead ...any) (biz.BilledPurchase, error) {
	var p biz.BilledPurchase
	var amt, outst int64
	var d int
	var stmt sql.NullInt64
	if err := row.Scan(append(lead, &p.ID, &p.PaymentID, &p.MerchantID, &amt, &outst, &d, &stmt, &p.Owner)...); err != nil {
		return p, fmt.Errorf("billing/data: scan purchase: %w", err)
	}
	p.Amount, p.Outstanding, p.CaptureDate, p.StatementID = money.Amount(amt), money.Amount(outst), fromDateInt(d), stmt.Int64
	return p, nil
}

// BillPurchases implements biz.BillingRepo.
func (r *StatementRepo) BillPurchases(ctx context.Context, userID string, ids []int64, statementID int64) error {
	for len(ids) > 0 {
		n := min(len(ids), 200)
		args := []any{statementID, userID}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		q := "UPDATE purchase SET statement_id = ? WHERE user_id = ? AND statement_id IS NULL AND id IN (?" + strings.Repeat(", ?", n-1) + ")"
		if _, err := r.d.DB(ctx).ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("billing/data: bill purchases: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// ReducePrincipal implements biz.BillingRepo.
func (r *StatementRepo) ReducePrincipal(ctx context.Context, userID string, purchaseID int64, amount money.Amount) error {
	res, err := r.d.DB(ctx).ExecContext(ctx, "UPDATE purchase SET principal_outstanding = principal_outstanding - ? WHERE user_id = ? AND id = ? AND principal_outstanding >= ?",
		int64(amount), userID, purchaseID, int64(amount))
	if err != nil {
		return fmt.Errorf("billing/data: reduce principal: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("billing/data: purchase %d has less than %s outstanding", purchaseID, amount)
	}
	return nil
}

// SumPrincipal implements biz.BillingRepo.
func (r *StatementRepo) SumPrincipal(ctx context.Context, userID string) (money.Amount, error) {
	var n sql.NullInt64
	if err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT SUM(principal_outstanding) FROM purchase WHERE user_id = ?", userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("billing/data: sum principal: %w", err)
	}
	return money.Amount(n.Int64), nil
}

// CycleRefunds implements biz.BillingRepo.
func (r *StatementRepo) CycleRefunds(ctx context.Context, userID string, from, to clock.Date) ([]biz.CycleRefund, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT refund_date, payment_id, to_principal FROM payment_refund WHERE user_id = ? AND refund_date >= ? AND refund_date <= ? AND to_principal > 0"+notInPlan+" ORDER BY refund_date, id",
		userID, dateInt(from), dateInt(to))
	if err != nil {
		return nil, fmt.Errorf("billing/data: cycle refunds: %w", err)
	}
	defer rows.Close()
	var out []biz.CycleRefund
	for rows.Next() {
		var c biz.CycleRefund
		var d int
		var a int64
		if err := rows.Scan(&d, &c.PaymentID, &a); err != nil {
			return nil, err
		}
		c.Date, c.ToPrincipal = fromDateInt(d), money.Amount(a)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CycleRepayments implements biz.BillingRepo.
func (r *StatementRepo) CycleRepayments(ctx context.Context, userID string, from, to clock.Date) ([]biz.Repayment, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT id, amount, target, source, channel_ref, to_credit_balance, received_date, received_at FROM repayment WHERE user_id = ? AND received_date >= ? AND received_date <= ? ORDER BY received_at, id",
		userID, dateInt(from), dateInt(to))
	if err != nil {
		return nil, fmt.Errorf("billing/data: cycle repayments: %w", err)
	}
	defer rows.Close()
	var out []biz.Repayment
	for rows.Next() {
		rp := biz.Repayment{UserID: userID}
		var amt, tcb, at int64
		var d int
		if err := rows.Scan(&rp.ID, &amt, &rp.Target, &rp.Source, &rp.ChannelRef, &tcb, &d, &at); err != nil {
			return nil, err
		}
		rp.Amount, rp.ToCreditBalance, rp.ReceivedDate, rp.ReceivedAt = money.Amount(amt), money.Amount(tcb), fromDateInt(d), fromMillis(at)
		out = append(out, rp)
	}
	return out, rows.Err()
}

// InsertRepayment implements biz.BillingRepo.
func (r *StatementRepo) InsertRepayment(ctx context.Context, rp biz.Repayment) error {
	db := r.d.DB(ctx)
	if _, err := db.ExecContext(ctx, `INSERT INTO repayment (id, user_id, amount, target, source, channel_ref, to_credit_balance, received_date, received_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, rp.ID, rp.UserID, int64(rp.Amount), rp.Target, rp.Source, rp.ChannelRef, int64(rp.ToCreditBalance),
		dateInt(rp.ReceivedDate), millis(rp.ReceivedAt)); err != nil {
		return fmt.Errorf("billing/data: insert repayment: %w", err)
	}
	for i, a := range rp.Allocations {
		if _, err := db.ExecContext(ctx, `INSERT INTO repayment_allocation (user_id, repayment_id, seq, kind, target, statement_id, purchase_id, amount)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rp.UserID, rp.ID, i, a.Kind, a.Target, a.StatementID, a.PurchaseID, int64(a.Amount)); err != nil {
			return fmt.Errorf("billing/data: insert allocation: %w", err)
		}
	}
	return nil
}

// InsertAccrual implements biz.BillingRepo.
func (r *StatementRepo) InsertAccrual(ctx context.Context, userID string, date clock.Date, kind string, base money.Amount, micro int64) (bool, error) {
	res, err := r.d.DB(ctx).ExecContext(ctx, r.d.Dialect.InsertIgnore()+" accrual (user_id, business_date, kind, base, amount_micro) VALUES (?, ?, ?, ?, ?)",
		userID, dateInt(date), kind, int64(base), micro)
	if err != nil {
		return false, fmt.Errorf("billing/data: insert accrual: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (r *StatementRepo) users(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: list users: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UsersAfter implements biz.BillingRepo.
func (r *StatementRepo) UsersAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return r.users(ctx, "SELECT DISTINCT user_id FROM purchase WHERE user_id > ? ORDER BY user_id LIMIT ?", after, limit)
}

// CountUsers counts users with purchases (the statements job's progress total).
func (r *StatementRepo) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT COUNT(DISTINCT user_id) FROM purchase").Scan(&n)
	return n, err
}

// UsersToAccrueAfter implements biz.BillingRepo.
func (r *StatementRepo) UsersToAccrueAfter(ctx context.Context, date clock.Date, after string, limit int) ([]string, error) {
	return r.users(ctx, "SELECT DISTINCT user_id FROM statement WHERE status <> 'paid' AND due_date < ? AND user_id > ? ORDER BY user_id LIMIT ?",
		dateInt(date), after, limit)
}

// SetAutopay implements biz.BillingRepo.
func (r *StatementRepo) SetAutopay(ctx context.Context, userID string, enabled bool, now time.Time) error {
	v := 0
	if enabled {
		v = 1
	}
	_, err := r.d.DB(ctx).ExecContext(ctx, "INSERT INTO autopay_setting (user_id, enabled, updated_at) VALUES (?, ?, ?)"+
		r.d.Dialect.Upsert([]string{"user_id"}, false, "enabled", "updated_at"), userID, v, millis(now))
	if err != nil {
		return fmt.Errorf("billing/data: set autopay: %w", err)
	}
	return nil
}

// Autopay implements biz.BillingRepo.
func (r *StatementRepo) Autopay(ctx context.Context, userID string) (bool, error) {
	var v int
	err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT enabled FROM autopay_setting WHERE user_id = ?", userID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("billing/data: autopay: %w", err)
	}
	return v == 1, nil
}

// AutopayDue implements biz.BillingRepo.
func (r *StatementRepo) AutopayDue(ctx context.Context, due clock.Date, after string, limit int) ([]biz.AutopayItem, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT s.user_id, s.id FROM statement s JOIN autopay_setting a ON a.user_id = s.user_id
 WHERE s.due_date = ? AND s.status <> 'paid' AND a.enabled = 1 AND s.user_id > ? ORDER BY s.user_id LIMIT ?`, dateInt(due), after, limit)
	if err != nil {
		return nil, fmt.Errorf("billing/data: autopay due: %w", err)
	}
	defer rows.Close()
	var out []biz.AutopayItem
	for rows.Next() {
		it := biz.AutopayItem{DueDate: due}
		if err := rows.Scan(&it.UserID, &it.StatementID); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ClaimAutopay implements biz.BillingRepo.
func (r *StatementRepo) ClaimAutopay(ctx context.Context, it biz.AutopayItem, amount money.Amount, now time.Time) (string, bool, error) {
	db := r.d.DB(ctx)
	res, err := db.ExecContext(ctx, r.d.Dialect.InsertIgnore()+` autopay_collection (user_id, statement_id, due_date, status, amount, repayment_id, attempts, error, updated_at)
 VALUES (?, ?, ?, ?, ?, 0, 0, '', ?)`, it.UserID, it.StatementID, dateInt(it.DueDate), biz.AutopayPending, int64(amount), millis(now))
	if err != nil {
		return "", false, fmt.Errorf("billing/data: claim autopay: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return biz.AutopayPending, true, nil
	}
	var status string
	if err := db.QueryRowContext(ctx, "SELECT status FROM autopay_collection WHERE user_id = ? AND statement_id = ? AND due_date = ?",
		it.UserID, it.StatementID, dateInt(it.DueDate)).Scan(&status); err != nil {
		return "", false, fmt.Errorf("billing/data: autopay status: %w", err)
	}
	return status, false, nil
}

// FinishAutopay implements biz.BillingRepo.
func (r *StatementRepo) FinishAutopay(ctx context.Context, it biz.AutopayItem, status string, repaymentID int64, attempts int, errMsg string, now time.Time) error {
	// A succeeded collection is final: a late writer never downgrades it.
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE autopay_collection SET status = ?, repayment_id = ?, attempts = attempts + ?, error = ?, updated_at = ?
 WHERE user_id = ? AND statement_id = ? AND due_date = ? AND status <> 'succeeded'`, status, repaymentID, attempts, errMsg, millis(now),
		it.UserID, it.StatementID, dateInt(it.DueDate))
	if err != nil {
		return fmt.Errorf("billing/data: finish autopay: %w", err)
	}
	return nil
}

// notInPlan leaves out refunds of purchases in an installment plan: the plan re-spreads
// them over its unbilled periods, so the statement shows them through smaller
// installments, not as a refund line as well.
const notInPlan = " AND NOT EXISTS (SELECT 1 FROM purchase pu WHERE pu.user_id = payment_refund.user_id AND pu.payment_id = payment_refund.payment_id AND pu.plan_id IS NOT NULL)"
