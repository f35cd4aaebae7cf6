package biz

import "github.com/go-kratos/kratos/v2/errors"

// Domain errors of billing, mapped to HTTP/gRPC codes by their Kratos status. Reasons are
// stable UPPER_SNAKE strings clients may switch on.
var (
	// ErrPaymentNotFound is returned when no payment has the requested id (404).
	ErrPaymentNotFound = errors.NotFound("PAYMENT_NOT_FOUND", "payment not found")
	// ErrPaymentForbidden is returned when a merchant touches another merchant's payment (403).
	ErrPaymentForbidden = errors.Forbidden("FORBIDDEN", "this payment belongs to another merchant")
	// ErrPaymentNotAuthorized is returned by capture and cancel when the payment is not in
	// status authorized (already captured, cancelled or declined) (409).
	ErrPaymentNotAuthorized = errors.Conflict("PAYMENT_NOT_AUTHORIZED", "the payment is not an open authorization")
	// ErrCaptureExceedsAuthorized is returned when a capture asks for more than was authorized (422).
	ErrCaptureExceedsAuthorized = errors.New(422, "CAPTURE_EXCEEDS_AUTHORIZED", "capture amount is above the authorized amount")
	// ErrPaymentNotCaptured is returned by a refund of a payment that was never captured (409).
	ErrPaymentNotCaptured = errors.Conflict("PAYMENT_NOT_CAPTURED", "only a captured payment can be refunded")
	// ErrRefundExceedsCaptured is returned when a refund would take the refunded total above
	// the captured amount; nothing is changed (422).
	ErrRefundExceedsCaptured = errors.New(422, "REFUND_EXCEEDS_CAPTURED", "refund amount is above what remains refundable")
	// ErrUnknownMerchantCategory is returned for a merchant category that is not configured (400).
	ErrUnknownMerchantCategory = errors.BadRequest("INVALID_ARGUMENT", "merchant_category: unknown merchant category").WithMetadata(map[string]string{"field": "merchant_category"})
	// ErrPurchaseNotFound is returned when a captured payment has no purchase row (404;
	// indicates corrupted data, the two are written in one transaction).
	ErrPurchaseNotFound = errors.NotFound("PURCHASE_NOT_FOUND", "purchase not found")
)
