package data

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

var _ biz.StatementBulkRepo = (*StatementRepo)(nil)

func inList(users []string) (string, []any) {
	args := make([]any, len(users))
	for i, u := range users {
		args[i] = u
	}
	return "(?" + strings.Repeat(", ?", len(users)-1) + ")", args
}

// LoadChunk implements biz.StatementBulkRepo.
func (r *StatementRepo) LoadChunk(ctx context.Context, users []string, date, start, end clock.Date) (map[string]*biz.ChunkInput, error) {
	out := map[string]*biz.ChunkInput{}
	if len(users) == 0 {
		return out, nil
	}
	db := r.d.DB(ctx)
	in, uargs := inList(users)
	now := time.Now().UnixMilli()
	var sb strings.Builder
	args := make([]any, 0, len(users)*3)
	sb.WriteString(r.d.Dialect.InsertIgnore() + " billing_account (" + accountCols + ") VALUES ")
	for i, u := range users {
		if i > 0 {
			sb.WriteString(", ")
		}
		// A user without an account row never had a statement or a repayment, so there is
		// nothing to accrue before the statement date.
		sb.WriteString("(?, ?, ?, 0, 0, 0, 'current', 0, ?)")
		args = append(args, u, biz.AccountCurrent, dateInt(date.AddDays(-1)), now)
	}
	if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
		return nil, fmt.Errorf("billing/data: create accounts: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+accountCols+" FROM billing_account WHERE user_id IN "+in+r.d.Dialect.ForUpdate(), uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: lock accounts: %w", err)
	}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out[a.UserID] = &biz.ChunkInput{Account: a, HasAccount: true}
	}
	rows.Close()
	get := func(u string) *biz.ChunkInput {
		if out[u] == nil {
			out[u] = &biz.ChunkInput{Account: biz.BillingAccount{UserID: u, Status: biz.AccountCurrent}}
		}
		return out[u]
	}
	// Statements: unpaid count, the period's, the latest.
	sts, err := r.queryStatements(ctx, "SELECT "+stmtCols+" FROM statement WHERE user_id IN "+in+" AND (status <> 'paid' OR statement_date >= ?) ORDER BY statement_date",
		append(uargs, dateInt(date.AddMonths(-1)))...)
	if err != nil {
		return nil, err
	}
	for i := range sts {
		s := sts[i]
		c := get(s.UserID)
		if s.Status != biz.StatementPaid {
			c.UnpaidCount++
		}
		if s.Period == date.Period() {
			c.HasPeriod = true
		}
		if c.Latest == nil || c.Latest.StatementDate.Before(s.StatementDate) {
			c.Latest = &s
		}
	}
	// A user whose latest statement is older than last month and paid: its new balance is
	// the opening balance; load it for users without a statement in the window.
	var missing []string
	for _, u := range users {
		if c := get(u); c.Latest == nil {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		min, margs := inList(missing)
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM statement WHERE user_id IN "+min, margs...).Scan(&n); err != nil {
			return nil, fmt.Errorf("billing/data: count statements: %w", err)
		}
		if n > 0 {
			for _, u := range missing {
				list, err := r.RecentStatements(ctx, u, 1)
				if err != nil {
					return nil, err
				}
				if len(list) == 1 {
					s := list[0]
					get(u).Latest = &s
				}
			}
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT user_id, id, payment_id, merchant_id, amount, principal_outstanding, capture_date, owner FROM purchase
 WHERE user_id IN `+in+` AND plan_id IS NULL AND statement_id IS NULL AND capture_date <= ? ORDER BY user_id, capture_date, id`, append(uargs, dateInt(end))...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: chunk purchases: %w", err)
	}
	for rows.Next() {
		var u string
		var p biz.BilledPurchase
		var amt, outst int64
		var d int
		if err := rows.Scan(&u, &p.ID, &p.PaymentID, &p.MerchantID, &amt, &outst, &d, &p.Owner); err != nil {
			rows.Close()
			return nil, err
		}
		p.Amount, p.Outstanding, p.CaptureDate = money.Amount(amt), money.Amount(outst), fromDateInt(d)
		c := get(u)
		c.Unbilled = append(c.Unbilled, p)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, "SELECT user_id, refund_date, payment_id, to_principal FROM payment_refund WHERE user_id IN "+in+
		" AND refund_date >= ? AND refund_date <= ? AND to_principal > 0"+notInPlan+" ORDER BY user_id, refund_date, id", append(uargs, dateInt(start), dateInt(end))...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: chunk refunds: %w", err)
	}
	for rows.Next() {
		var u string
		var c biz.CycleRefund
		var d int
		var a int64
		if err := rows.Scan(&u, &d, &c.PaymentID, &a); err != nil {
			rows.Close()
			return nil, err
		}
		c.Date, c.ToPrincipal = fromDateInt(d), money.Amount(a)
		get(u).Refunds = append(get(u).Refunds, c)
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, "SELECT user_id, id, amount, source, received_date FROM repayment WHERE user_id IN "+in+
		" AND received_date >= ? AND received_date <= ? ORDER BY user_id, received_at, id", append(uargs, dateInt(start), dateInt(end))...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: chunk repayments: %w", err)
	}
	for rows.Next() {
		var rp biz.Repayment
		var a int64
		var d int
		if err := rows.Scan(&rp.UserID, &rp.ID, &a, &rp.Source, &d); err != nil {
			rows.Close()
			return nil, err
		}
		rp.Amount, rp.ReceivedDate = money.Amount(a), fromDateInt(d)
		get(rp.UserID).Repayments = append(get(rp.UserID).Repayments, rp)
	}
	rows.Close()
	// Only users with an installment plan can have installments falling due (read-only
	// look at the installments table so the hook is not asked for everyone).
	rows, err = db.QueryContext(ctx, "SELECT DISTINCT user_id FROM installment_plan WHERE user_id IN "+in, uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: chunk plans: %w", err)
	}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, err
		}
		get(u).HasPlans = true
	}
	rows.Close()
	// Credit balance can only come from an overpayment or a refund of repaid principal.
	rows, err = db.QueryContext(ctx, "SELECT DISTINCT user_id FROM repayment WHERE user_id IN "+in+" AND (to_credit_balance > 0 OR source = 'credit_balance')"+
		" UNION SELECT DISTINCT user_id FROM payment_refund WHERE user_id IN "+in+" AND to_credit_balance > 0", append(uargs, uargs...)...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: chunk credit balances: %w", err)
	}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, err
		}
		get(u).MayHaveCredit = true
	}
	rows.Close()
	return out, rows.Err()
}

// InsertStatements implements biz.StatementBulkRepo.
func (r *StatementRepo) InsertStatements(ctx context.Context, list []biz.Statement) error {
	db := r.d.DB(ctx)
	for len(list) > 0 {
		n := min(len(list), 200)
		var sb strings.Builder
		args := make([]any, 0, n*24)
		sb.WriteString("INSERT INTO statement (" + stmtCols + ") VALUES ")
		var lines strings.Builder
		largs := []any{}
		lines.WriteString("INSERT INTO statement_line (user_id, statement_id, seq, line_date, kind, description, amount, payment_id, plan_id) VALUES ")
		for i, s := range list[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, s.ID, s.UserID, s.Period, dateInt(s.StatementDate), dateInt(s.DueDate), dateInt(s.CycleStart), dateInt(s.CycleEnd),
				int64(s.OpeningBalance), int64(s.NewPurchases), int64(s.Refunds), int64(s.InstallmentsDue), int64(s.Interest), int64(s.Penalty),
				int64(s.Fees), int64(s.PaymentsAndCredits), int64(s.NewBalance), int64(s.MinimumDue), int64(s.Paid), int64(s.InterestPaid),
				int64(s.PenaltyPaid), int64(s.FeePaid), dateInt(s.MinMetDate), s.Status, millis(s.CreatedAt))
			for k, l := range storedLines(s.Lines) {
				if len(largs) > 0 {
					lines.WriteString(", ")
				}
				lines.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				largs = append(largs, s.UserID, s.ID, k, dateInt(l.Date), l.Kind, l.Description, int64(l.Amount), l.PaymentID, l.PlanID)
			}
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("billing/data: insert statements: %w", err)
		}
		if len(largs) > 0 {
			if _, err := db.ExecContext(ctx, lines.String(), largs...); err != nil {
				return fmt.Errorf("billing/data: insert statement lines: %w", err)
			}
		}
		list = list[n:]
	}
	return nil
}

// BillPurchasesBulk implements biz.StatementBulkRepo.
func (r *StatementRepo) BillPurchasesBulk(ctx context.Context, bills map[int64]int64, users []string) error {
	if len(bills) == 0 {
		return nil
	}
	in, uargs := inList(users)
	var sb strings.Builder
	var args []any
	var ids []any
	sb.WriteString("UPDATE purchase SET statement_id = CASE id")
	for pid, sid := range bills {
		sb.WriteString(" WHEN ? THEN ?")
		args = append(args, pid, sid)
		ids = append(ids, pid)
	}
	sb.WriteString(" END WHERE user_id IN " + in + " AND statement_id IS NULL AND id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")")
	args = append(append(args, uargs...), ids...)
	res, err := r.d.DB(ctx).ExecContext(ctx, sb.String(), args...)
	if err != nil {
		return fmt.Errorf("billing/data: bill purchases: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(bills)) {
		return fmt.Errorf("billing/data: billed %d purchases, expected %d", n, len(bills))
	}
	return nil
}

// SetAccruedThrough implements biz.StatementBulkRepo.
func (r *StatementRepo) SetAccruedThrough(ctx context.Context, users []string, through clock.Date) error {
	if len(users) == 0 {
		return nil
	}
	in, uargs := inList(users)
	_, err := r.d.DB(ctx).ExecContext(ctx, "UPDATE billing_account SET accrued_through = ? WHERE accrued_through < ? AND user_id IN "+in,
		append([]any{dateInt(through), dateInt(through)}, uargs...)...)
	if err != nil {
		return fmt.Errorf("billing/data: set accrued_through: %w", err)
	}
	return nil
}

var _ = sql.ErrNoRows
