package biz

import (
	"context"

	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
)

// EventOutbox records business events in the caller's transaction (the transactional
// outbox, DESIGN §10): an event exists exactly when the change it reports committed.
// outbox.Discard is the no-op for tests that run without one.
type EventOutbox interface {
	Emit(ctx context.Context, events ...outbox.Event) error
}

// paymentEventData is the data of every payment.* event (amounts in yuan, as in the API).
type paymentEventData struct {
	PaymentID        string `json:"payment_id"`
	MerchantID       string `json:"merchant_id"`
	MerchantOrderID  string `json:"merchant_order_id"`
	UserID           string `json:"user_id"`
	Status           string `json:"status"`
	Amount           string `json:"amount"`
	CapturedAmount   string `json:"captured_amount"`
	RefundedAmount   string `json:"refunded_amount"`
	MerchantDiscount string `json:"merchant_discount"`
	DeclineReason    string `json:"decline_reason,omitempty"`
	Installments     int    `json:"installments"`
	RefundID         string `json:"refund_id,omitempty"`
	RefundAmount     string `json:"refund_amount,omitempty"`
}

// paymentEvent is the event of type t for p (refund: the refund just made, or nil).
func paymentEvent(t string, p Payment, r *Refund) outbox.Event {
	d := paymentEventData{PaymentID: ids.String(p.ID), MerchantID: p.MerchantID, MerchantOrderID: p.MerchantOrderID,
		UserID: p.UserID, Status: p.Status, Amount: p.Amount.String(), CapturedAmount: p.CapturedAmount.String(),
		RefundedAmount: p.RefundedAmount.String(), MerchantDiscount: p.DiscountAmount.String(),
		DeclineReason: p.DeclineReason, Installments: p.Installments}
	if r != nil {
		d.RefundID, d.RefundAmount = ids.String(r.ID), r.Amount.String()
	}
	return outbox.New(t, p.MerchantID, d)
}

// authorizationEvent is payment.authorized or payment.declined.
func authorizationEvent(p Payment) outbox.Event {
	if p.Status == PaymentDeclined {
		return paymentEvent(outbox.PaymentDeclined, p, nil)
	}
	return paymentEvent(outbox.PaymentAuthorized, p, nil)
}

// statementIssuedEvent reports a new statement to the shopper's side (no merchant).
func statementIssuedEvent(s Statement) outbox.Event {
	return outbox.New(outbox.StatementIssued, "", map[string]string{
		"statement_id": ids.String(s.ID), "user_id": s.UserID, "period": s.Period,
		"statement_date": s.StatementDate.String(), "due_date": s.DueDate.String(),
		"new_balance": s.NewBalance.String(), "minimum_due": s.MinimumDue.String(),
	})
}

// repaymentEvent reports a repayment taken.
func repaymentEvent(r Repayment) outbox.Event {
	return outbox.New(outbox.RepaymentReceived, "", map[string]string{
		"repayment_id": ids.String(r.ID), "user_id": r.UserID, "amount": r.Amount.String(),
		"source": r.Source, "received_date": r.ReceivedDate.String(),
	})
}

// planCreatedEvent reports a new installment plan.
func planCreatedEvent(p InstallmentPlan) outbox.Event {
	return outbox.New(outbox.InstallmentPlanCreate, "", map[string]any{
		"plan_id": ids.String(p.ID), "user_id": p.UserID, "source": p.Source, "payment_id": idOrEmpty(p.PaymentID),
		"principal": p.Principal.String(), "terms": p.Terms, "created_date": p.CreatedDate.String(),
	})
}

// accountEvent is account.overdue or account.charged_off.
func accountEvent(t string, a BillingAccount, day string, amount money.Amount) outbox.Event {
	d := map[string]any{"user_id": a.UserID, "days_past_due": a.DaysPastDue, "business_date": day}
	if t == outbox.AccountChargedOff {
		d["amount"] = amount.String()
	}
	return outbox.New(t, "", d)
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return ids.String(id)
}
