package data

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

var _ biz.AccrualBulkRepo = (*StatementRepo)(nil)

// LoadAccrualChunk implements biz.AccrualBulkRepo.
func (r *StatementRepo) LoadAccrualChunk(ctx context.Context, users []string, since clock.Date) (map[string]*biz.AccrualInput, error) {
	out := map[string]*biz.AccrualInput{}
	if len(users) == 0 {
		return out, nil
	}
	db := r.d.DB(ctx)
	in, uargs := inList(users)
	lock := func(in string, args []any) error {
		rows, err := db.QueryContext(ctx, "SELECT "+accountCols+" FROM billing_account WHERE user_id IN "+in+" ORDER BY user_id"+r.d.Dialect.ForUpdate(), args...)
		if err != nil {
			return fmt.Errorf("billing/data: lock accounts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return fmt.Errorf("billing/data: scan account: %w", err)
			}
			out[a.UserID] = &biz.AccrualInput{Account: a, PlanOwed: map[int64]money.Amount{}}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("billing/data: lock accounts: %w", err)
		}
		return nil
	}
	if err := lock(in, uargs); err != nil {
		return nil, err
	}
	// Users listed for accrual have statements and so accounts; create any that is
	// missing as LockAccount would (a shared lock taken by an INSERT IGNORE on every
	// existing row would only invite lock upgrades).
	var missing []string
	for _, u := range users {
		if out[u] == nil {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		var sb strings.Builder
		args := make([]any, 0, len(missing)*3)
		sb.WriteString(r.d.Dialect.InsertIgnore() + " billing_account (" + accountCols + ") VALUES ")
		now := time.Now().UnixMilli()
		for i, u := range missing {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, 0, 0, 0, 0, 'current', 0, ?)")
			args = append(args, u, biz.AccountCurrent, now)
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return nil, fmt.Errorf("billing/data: create accounts: %w", err)
		}
		min, margs := inList(missing)
		if err := lock(min, margs); err != nil {
			return nil, err
		}
	}

	sts, err := r.queryStatements(ctx, "SELECT "+stmtCols+" FROM statement WHERE user_id IN "+in+" AND (status <> 'paid' OR statement_date >= ?) ORDER BY user_id, statement_date",
		append(uargs, dateInt(since))...)
	if err != nil {
		return nil, err
	}
	for _, s := range sts {
		if c := out[s.UserID]; c != nil {
			c.Statements = append(c.Statements, s)
		}
	}

	rows, err := db.QueryContext(ctx, `SELECT user_id, `+billedPurchaseCols+`
 FROM purchase WHERE user_id IN `+in+` AND plan_id IS NULL AND principal_outstanding > 0 ORDER BY user_id, capture_date, id`, uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: accrual purchases: %w", err)
	}
	for rows.Next() {
		var u string
		p, err := scanBilledPurchase(rows, &u)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if c := out[u]; c != nil {
			c.Purchases = append(c.Purchases, p)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("billing/data: accrual purchases: %w", err)
	}
	rows.Close()

	// Billed plan principal not yet repaid, by statement (the rows are locked as the
	// per-user path locks the plans it reads).
	rows, err = db.QueryContext(ctx, "SELECT user_id, statement_id, principal - principal_paid FROM installment_period WHERE user_id IN "+in+
		" AND statement_id <> 0 AND principal > principal_paid"+r.d.Dialect.ForUpdate(), uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: billed plan principal: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var stmt, owed int64
		if err := rows.Scan(&u, &stmt, &owed); err != nil {
			return nil, fmt.Errorf("billing/data: scan plan period: %w", err)
		}
		if c := out[u]; c != nil {
			c.PlanOwed[stmt] += money.Amount(owed)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/data: billed plan principal: %w", err)
	}
	return out, nil
}

// accrualBatch is how many accrual rows or accounts one statement writes.
const accrualBatch = 500

// InsertAccruals implements biz.AccrualBulkRepo.
func (r *StatementRepo) InsertAccruals(ctx context.Context, list []biz.Accrual) error {
	db := r.d.DB(ctx)
	for len(list) > 0 {
		n := min(len(list), accrualBatch)
		var sb strings.Builder
		args := make([]any, 0, n*5)
		sb.WriteString("INSERT INTO accrual (user_id, business_date, kind, base, amount_micro) VALUES ")
		for i, a := range list[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, a.UserID, dateInt(a.Date), a.Kind, int64(a.Base), a.Micro)
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("billing/data: insert accruals: %w", err)
		}
		list = list[n:]
	}
	return nil
}

// SaveAccounts implements biz.AccrualBulkRepo.
func (r *StatementRepo) SaveAccounts(ctx context.Context, accts []biz.BillingAccount) error {
	db := r.d.DB(ctx)
	now := time.Now().UnixMilli()
	upsert := r.d.Dialect.Upsert([]string{"user_id"}, false, "status", "accrued_through", "interest_accrued_micro", "penalty_accrued_micro",
		"days_past_due", "bucket", "charged_off_date", "updated_at")
	for len(accts) > 0 {
		n := min(len(accts), accrualBatch)
		var sb strings.Builder
		args := make([]any, 0, n*9)
		sb.WriteString("INSERT INTO billing_account (" + accountCols + ") VALUES ")
		for i, a := range accts[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, a.UserID, a.Status, dateInt(a.AccruedThrough), a.InterestMicro, a.PenaltyMicro, a.DaysPastDue, a.Bucket,
				dateInt(a.ChargedOffDate), now)
		}
		if _, err := db.ExecContext(ctx, sb.String()+upsert, args...); err != nil {
			return fmt.Errorf("billing/data: save accounts: %w", err)
		}
		accts = accts[n:]
	}
	return nil
}

var _ biz.SubledgerBulk = (*StatementRepo)(nil)

// Subledgers implements biz.SubledgerBulk: principal outstanding on purchases and the
// unpaid interest, penalty and fees of every statement, per user.
func (r *StatementRepo) Subledgers(ctx context.Context, users []string) (map[string]biz.Subledger, error) {
	out := make(map[string]biz.Subledger, len(users))
	if len(users) == 0 {
		return out, nil
	}
	db := r.d.DB(ctx)
	in, uargs := inList(users)
	rows, err := db.QueryContext(ctx, "SELECT user_id, SUM(principal_outstanding) FROM purchase WHERE user_id IN "+in+" GROUP BY user_id", uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: sum principal: %w", err)
	}
	for rows.Next() {
		var u string
		var p int64
		if err := rows.Scan(&u, &p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("billing/data: sum principal: %w", err)
		}
		s := out[u]
		s.Principal = money.Amount(p)
		out[u] = s
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("billing/data: sum principal: %w", err)
	}
	rows, err = db.QueryContext(ctx, `SELECT user_id, SUM(interest - interest_paid), SUM(penalty - penalty_paid), SUM(fees - fee_paid)
 FROM statement WHERE user_id IN `+in+" GROUP BY user_id", uargs...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: sum statements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var i, p, f int64
		if err := rows.Scan(&u, &i, &p, &f); err != nil {
			return nil, fmt.Errorf("billing/data: sum statements: %w", err)
		}
		s := out[u]
		s.Interest, s.Penalty, s.Fee = money.Amount(i), money.Amount(p), money.Amount(f)
		out[u] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/data: sum statements: %w", err)
	}
	return out, nil
}
