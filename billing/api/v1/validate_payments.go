package v1

import (
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/field"
)

// Hand-written request checks run by the validation middleware before the handler: bad
// input is a 400 naming the field and changes nothing.

// Validate implements the validation middleware's interface.
func (r *CreatePaymentRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	if _, err := field.Token("merchant_order_id", r.MerchantOrderId, 64); err != nil {
		return err
	}
	if _, err := field.Amount("amount", r.Amount); err != nil {
		return err
	}
	if r.MerchantCategory != "" {
		if _, err := field.Token("merchant_category", r.MerchantCategory, 32); err != nil {
			return err
		}
	}
	switch r.Installments {
	case 0, 3, 6, 9, 12:
	default:
		return apierr.Invalid("installments", "must be 3, 6, 9 or 12 (or omitted)")
	}
	_, err := field.Text("description", r.Description, 255)
	return err
}

// Validate implements the validation middleware's interface.
func (r *GetPaymentRequest) Validate() error {
	_, err := field.ID("payment_id", r.PaymentId)
	return err
}

// Validate implements the validation middleware's interface.
func (r *CapturePaymentRequest) Validate() error {
	if _, err := field.ID("payment_id", r.PaymentId); err != nil {
		return err
	}
	_, _, err := field.OptionalAmount("amount", r.Amount)
	return err
}

// Validate implements the validation middleware's interface.
func (r *CancelPaymentRequest) Validate() error {
	_, err := field.ID("payment_id", r.PaymentId)
	return err
}

// Validate implements the validation middleware's interface.
func (r *CreatePaymentRefundRequest) Validate() error {
	if _, err := field.ID("payment_id", r.PaymentId); err != nil {
		return err
	}
	if _, err := field.Amount("amount", r.Amount); err != nil {
		return err
	}
	_, err := field.Text("reason", r.Reason, 255)
	return err
}
