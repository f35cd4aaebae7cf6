package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

// PaymentRepo stores payments, refunds and purchases.
type PaymentRepo struct{ d *data.Data }

var _ biz.PaymentRepo = (*PaymentRepo)(nil)

// NewPaymentRepo returns the repository on d.
func NewPaymentRepo(d *data.Data) *PaymentRepo { return &PaymentRepo{d: d} }

const paymentColumns = `p.id, p.user_id, p.merchant_id, p.merchant_order_id, p.amount, p.captured_amount, p.refunded_amount,
 p.discount_amount, p.refunded_discount, p.status, p.decline_reason, p.merchant_category, p.installments, p.description,
 p.authorized_date, p.authorized_at, p.captured_at, p.capture_date, p.cancelled_at, p.updated_at`

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func dateInt(d clock.Date) int {
	if d.IsZero() {
		return 0
	}
	return d.Int()
}

func fromDateInt(n int) clock.Date {
	if n == 0 {
		return clock.Date{}
	}
	return clock.FromInt(n)
}

// InsertPayment implements biz.PaymentRepo.
func (r *PaymentRepo) InsertPayment(ctx context.Context, p biz.Payment) (bool, error) {
	_, err := r.d.DB(ctx).ExecContext(ctx, `INSERT INTO payment (id, user_id, merchant_id, merchant_order_id, amount,
 captured_amount, refunded_amount, discount_amount, refunded_discount, status, decline_reason, merchant_category,
 installments, description, authorized_date, authorized_at, captured_at, capture_date, cancelled_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.UserID, p.MerchantID, p.MerchantOrderID, int64(p.Amount), int64(p.CapturedAmount), int64(p.RefundedAmount),
		int64(p.DiscountAmount), int64(p.RefundedDiscount), p.Status, p.DeclineReason, p.MerchantCategory, p.Installments,
		p.Description, dateInt(p.AuthorizedDate), millis(p.AuthorizedAt), millis(p.CapturedAt), dateInt(p.CaptureDate),
		millis(p.CancelledAt), millis(p.UpdatedAt))
	if err != nil {
		if r.d.Dialect.IsDuplicate(err) {
			return false, nil
		}
		return false, fmt.Errorf("billing/data: insert payment %d: %w", p.ID, err)
	}
	return true, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanPayment(s rowScanner, extra ...any) (biz.Payment, error) {
	var p biz.Payment
	var amount, captured, refunded, discount, refundedDiscount int64
	var authDate, captureDate int
	var authAt, capAt, cancAt, updAt int64
	dest := []any{&p.ID, &p.UserID, &p.MerchantID, &p.MerchantOrderID, &amount, &captured, &refunded,
		&discount, &refundedDiscount, &p.Status, &p.DeclineReason, &p.MerchantCategory, &p.Installments, &p.Description,
		&authDate, &authAt, &capAt, &captureDate, &cancAt, &updAt}
	if err := s.Scan(append(dest, extra...)...); err != nil {
		return biz.Payment{}, err
	}
	p.Amount, p.CapturedAmount, p.RefundedAmount = money.Amount(amount), money.Amount(captured), money.Amount(refunded)
	p.DiscountAmount, p.RefundedDiscount = money.Amount(discount), money.Amount(refundedDiscount)
	p.AuthorizedDate, p.CaptureDate = fromDateInt(authDate), fromDateInt(captureDate)
	p.AuthorizedAt, p.CapturedAt, p.CancelledAt, p.UpdatedAt = fromMillis(authAt), fromMillis(capAt), fromMillis(cancAt), fromMillis(updAt)
	return p, nil
}

// PaymentByOrder implements biz.PaymentRepo.
func (r *PaymentRepo) PaymentByOrder(ctx context.Context, merchantID, orderID string) (biz.Payment, error) {
	// A locking read sees the row another transaction just committed even inside a
	// repeatable-read snapshot.
	row := r.d.DB(ctx).QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payment p WHERE p.merchant_id = ? AND p.merchant_order_id = ?`+
		r.d.Dialect.ForUpdate(), merchantID, orderID)
	p, err := scanPayment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return biz.Payment{}, biz.ErrPaymentNotFound
	}
	if err != nil {
		return biz.Payment{}, fmt.Errorf("billing/data: load payment of order: %w", err)
	}
	return r.withPlan(ctx, p)
}

// withPlan fills the plan id of a captured payment's purchase.
func (r *PaymentRepo) withPlan(ctx context.Context, p biz.Payment) (biz.Payment, error) {
	if p.CapturedAmount == 0 || p.Installments == 0 {
		return p, nil
	}
	var plan sql.NullInt64
	err := r.d.DB(ctx).QueryRowContext(ctx, `SELECT plan_id FROM purchase WHERE payment_id = ?`, p.ID).Scan(&plan)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return biz.Payment{}, fmt.Errorf("billing/data: load plan of payment %d: %w", p.ID, err)
	}
	p.PlanID = plan.Int64
	return p, nil
}

// Payment implements biz.PaymentRepo.
func (r *PaymentRepo) Payment(ctx context.Context, id int64, forUpdate bool) (biz.Payment, error) {
	q := `SELECT ` + paymentColumns + ` FROM payment p WHERE p.id = ?`
	if forUpdate {
		q += r.d.Dialect.ForUpdate()
	}
	p, err := scanPayment(r.d.DB(ctx).QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return biz.Payment{}, biz.ErrPaymentNotFound
	}
	if err != nil {
		return biz.Payment{}, fmt.Errorf("billing/data: load payment %d: %w", id, err)
	}
	return r.withPlan(ctx, p)
}

// UpdatePayment implements biz.PaymentRepo.
func (r *PaymentRepo) UpdatePayment(ctx context.Context, p biz.Payment) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE payment SET captured_amount = ?, refunded_amount = ?, discount_amount = ?,
 refunded_discount = ?, status = ?, decline_reason = ?, captured_at = ?, capture_date = ?, cancelled_at = ?, updated_at = ?
 WHERE user_id = ? AND id = ?`,
		int64(p.CapturedAmount), int64(p.RefundedAmount), int64(p.DiscountAmount), int64(p.RefundedDiscount), p.Status,
		p.DeclineReason, millis(p.CapturedAt), dateInt(p.CaptureDate), millis(p.CancelledAt), millis(p.UpdatedAt), p.UserID, p.ID)
	if err != nil {
		return fmt.Errorf("billing/data: update payment %d: %w", p.ID, err)
	}
	return nil
}

// DueAuthorizations implements biz.PaymentRepo.
func (r *PaymentRepo) DueAuthorizations(ctx context.Context, date clock.Date, limit int) ([]int64, error) {
	// ordered like ix_payment_status_date so each chunk is a short index range
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT id FROM payment WHERE status = ? AND authorized_date <= ?
 ORDER BY authorized_date, id LIMIT ?`, biz.PaymentAuthorized, date.Int(), limit)
	if err != nil {
		return nil, fmt.Errorf("billing/data: list due authorizations: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("billing/data: list due authorizations: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/data: list due authorizations: %w", err)
	}
	return out, nil
}

// InsertRefund implements biz.PaymentRepo.
func (r *PaymentRepo) InsertRefund(ctx context.Context, f biz.Refund) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `INSERT INTO payment_refund (id, user_id, payment_id, merchant_id, purchase_id,
 amount, to_principal, to_credit_balance, discount_returned, reason, status, refund_date, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.UserID, f.PaymentID, f.MerchantID, f.PurchaseID, int64(f.Amount), int64(f.ToPrincipal),
		int64(f.ToCreditBalance), int64(f.DiscountReturned), f.Reason, f.Status, dateInt(f.RefundDate), millis(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("billing/data: insert refund %d: %w", f.ID, err)
	}
	return nil
}

// Refunds implements biz.PaymentRepo.
func (r *PaymentRepo) Refunds(ctx context.Context, paymentID int64) ([]biz.Refund, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT id, user_id, payment_id, merchant_id, purchase_id, amount, to_principal,
 to_credit_balance, discount_returned, reason, status, refund_date, created_at FROM payment_refund WHERE payment_id = ? ORDER BY id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("billing/data: list refunds of payment %d: %w", paymentID, err)
	}
	defer rows.Close()
	var out []biz.Refund
	for rows.Next() {
		var f biz.Refund
		var amount, toP, toC, disc, created int64
		var date int
		if err := rows.Scan(&f.ID, &f.UserID, &f.PaymentID, &f.MerchantID, &f.PurchaseID, &amount, &toP, &toC, &disc,
			&f.Reason, &f.Status, &date, &created); err != nil {
			return nil, fmt.Errorf("billing/data: list refunds of payment %d: %w", paymentID, err)
		}
		f.Amount, f.ToPrincipal, f.ToCreditBalance, f.DiscountReturned = money.Amount(amount), money.Amount(toP), money.Amount(toC), money.Amount(disc)
		f.RefundDate, f.CreatedAt = fromDateInt(date), fromMillis(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/data: list refunds of payment %d: %w", paymentID, err)
	}
	return out, nil
}
