package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// InsertPurchase implements biz.PaymentRepo.
func (r *PaymentRepo) InsertPurchase(ctx context.Context, p biz.Purchase) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `INSERT INTO purchase (id, user_id, payment_id, merchant_id, amount, refunded_amount,
 principal_outstanding, capture_date, installments, statement_id, plan_id, owner, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.PaymentID, p.MerchantID, int64(p.Amount), int64(p.RefundedAmount), int64(p.PrincipalOutstanding),
		dateInt(p.CaptureDate), p.Installments, nullID(p.StatementID), nullID(p.PlanID), p.Owner, millis(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("billing/data: insert purchase of payment %d: %w", p.PaymentID, err)
	}
	return nil
}

// PurchaseByPayment implements biz.PaymentRepo.
func (r *PaymentRepo) PurchaseByPayment(ctx context.Context, paymentID int64, forUpdate bool) (biz.Purchase, error) {
	q := `SELECT id, user_id, payment_id, merchant_id, amount, refunded_amount, principal_outstanding, capture_date,
 installments, statement_id, plan_id, owner, created_at FROM purchase WHERE payment_id = ?`
	if forUpdate {
		q += r.d.Dialect.ForUpdate()
	}
	var p biz.Purchase
	var amount, refunded, outstanding, created int64
	var date int
	var stmt, plan sql.NullInt64
	err := r.d.DB(ctx).QueryRowContext(ctx, q, paymentID).Scan(&p.ID, &p.UserID, &p.PaymentID, &p.MerchantID, &amount, &refunded,
		&outstanding, &date, &p.Installments, &stmt, &plan, &p.Owner, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return biz.Purchase{}, biz.ErrPurchaseNotFound
	}
	if err != nil {
		return biz.Purchase{}, fmt.Errorf("billing/data: load purchase of payment %d: %w", paymentID, err)
	}
	p.Amount, p.RefundedAmount, p.PrincipalOutstanding = money.Amount(amount), money.Amount(refunded), money.Amount(outstanding)
	p.CaptureDate, p.StatementID, p.PlanID, p.CreatedAt = fromDateInt(date), stmt.Int64, plan.Int64, fromMillis(created)
	return p, nil
}

// UpdatePurchaseRefund implements biz.PaymentRepo.
func (r *PaymentRepo) UpdatePurchaseRefund(ctx context.Context, p biz.Purchase) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE purchase SET refunded_amount = ?, principal_outstanding = ? WHERE user_id = ? AND id = ?`,
		int64(p.RefundedAmount), int64(p.PrincipalOutstanding), p.UserID, p.ID)
	if err != nil {
		return fmt.Errorf("billing/data: update purchase %d: %w", p.ID, err)
	}
	return nil
}

// SetPurchasePlan implements biz.PaymentRepo.
func (r *PaymentRepo) SetPurchasePlan(ctx context.Context, userID string, purchaseID, planID int64) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE purchase SET plan_id = ? WHERE user_id = ? AND id = ?`, nullID(planID), userID, purchaseID)
	if err != nil {
		return fmt.Errorf("billing/data: set plan of purchase %d: %w", purchaseID, err)
	}
	return nil
}
