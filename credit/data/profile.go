package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/biz"
)

// ProfileRepo stores credit profile versions.
type ProfileRepo struct{ d *data.Data }

var _ biz.ProfileRepo = (*ProfileRepo)(nil)

// NewProfileRepo returns the repo.
func NewProfileRepo(d *data.Data) *ProfileRepo { return &ProfileRepo{d: d} }

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func nullAmount(p *money.Amount) any {
	if p == nil {
		return nil
	}
	return p.Fen()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Insert implements biz.ProfileRepo: the next version after the newest, under a row lock
// (MySQL) or the database write lock (SQLite); a concurrent writer that still collides on
// the key is a retryable conflict for InTx.
func (r *ProfileRepo) Insert(ctx context.Context, p *biz.Profile) error {
	q := r.d.DB(ctx)
	var cur sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM credit_profile WHERE user_id = ?"+r.d.Dialect.ForUpdate(), p.UserID).Scan(&cur); err != nil {
		return fmt.Errorf("credit/data: profile version: %w", err)
	}
	p.Version = int(cur.Int64) + 1
	kyc := 0
	if p.KYCVerified {
		kyc = 1
	}
	_, err := q.ExecContext(ctx, `INSERT INTO credit_profile (user_id, version, kyc_verified, age, education, employment,
employment_months, monthly_income, assets, housing, credit_history_months, late_payments_12m, max_dpd_24m,
outstanding_debt, inquiries_6m, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.UserID, p.Version, kyc, nullInt(p.Age), nullStr(p.Education), nullStr(p.Employment),
		nullInt(p.EmploymentMonths), nullAmount(p.MonthlyIncome), nullAmount(p.Assets), nullStr(p.Housing),
		nullInt(p.CreditHistoryMonths), nullInt(p.LatePayments12m), nullInt(p.MaxDPD24m),
		nullAmount(p.OutstandingDebt), nullInt(p.Inquiries6m), p.Actor, p.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("credit/data: insert profile: %w", err)
	}
	return nil
}

// Latest implements biz.ProfileRepo.
func (r *ProfileRepo) Latest(ctx context.Context, userID string) (*biz.Profile, error) {
	row := r.d.DB(ctx).QueryRowContext(ctx, `SELECT version, kyc_verified, age, education, employment,
employment_months, monthly_income, assets, housing, credit_history_months, late_payments_12m, max_dpd_24m,
outstanding_debt, inquiries_6m, actor, created_at FROM credit_profile WHERE user_id = ? ORDER BY version DESC LIMIT 1`, userID)
	p := &biz.Profile{UserID: userID}
	var kyc int
	var age, empM, hist, late, dpd, inq, income, assets, debt sql.NullInt64
	var edu, emp, housing sql.NullString
	var created int64
	err := row.Scan(&p.Version, &kyc, &age, &edu, &emp, &empM, &income, &assets, &housing, &hist, &late, &dpd, &debt, &inq, &p.Actor, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biz.ErrProfileNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("credit/data: load profile: %w", err)
	}
	p.KYCVerified = kyc != 0
	toInt := func(n sql.NullInt64) *int {
		if !n.Valid {
			return nil
		}
		v := int(n.Int64)
		return &v
	}
	toAmt := func(n sql.NullInt64) *money.Amount {
		if !n.Valid {
			return nil
		}
		v := money.Amount(n.Int64)
		return &v
	}
	p.Age, p.EmploymentMonths, p.CreditHistoryMonths = toInt(age), toInt(empM), toInt(hist)
	p.LatePayments12m, p.MaxDPD24m, p.Inquiries6m = toInt(late), toInt(dpd), toInt(inq)
	p.MonthlyIncome, p.Assets, p.OutstandingDebt = toAmt(income), toAmt(assets), toAmt(debt)
	p.Education, p.Employment, p.Housing = edu.String, emp.String, housing.String
	p.CreatedAt = time.UnixMilli(created)
	return p, nil
}
