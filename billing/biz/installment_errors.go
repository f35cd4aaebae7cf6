package biz

import "github.com/go-kratos/kratos/v2/errors"

// Errors of installment quotes, plans, payoffs and refunds.
var (
	// ErrInstallmentPlanNotFound is returned when the user has no plan with the id (404).
	ErrInstallmentPlanNotFound = errors.NotFound("PLAN_NOT_FOUND", "no installment plan with this id")
	// ErrInstallmentTermsNotOffered is returned for a number of periods no product offers (400).
	ErrInstallmentTermsNotOffered = errors.BadRequest("INVALID_ARGUMENT", "terms: this number of periods is not offered").WithMetadata(map[string]string{"field": "terms"})
	// ErrInstallmentSource is returned when a request names neither or both of payment_id and statement_period (400).
	ErrInstallmentSource = errors.BadRequest("INVALID_ARGUMENT", "give exactly one of payment_id and statement_period").WithMetadata(map[string]string{"field": "payment_id"})
	// ErrInstallmentBelowMinimum is returned when the principal to convert is below the configured minimum (422).
	ErrInstallmentBelowMinimum = errors.New(422, "INSTALLMENT_BELOW_MINIMUM", "the principal is below the minimum for installments")
	// ErrPurchaseAlreadyBilled is returned for a purchase installment of a purchase a statement already billed (409).
	ErrPurchaseAlreadyBilled = errors.Conflict("PURCHASE_ALREADY_BILLED", "the purchase is already billed: convert its statement instead")
	// ErrAlreadyInstallments is returned when the purchase or statement is already in a plan (409).
	ErrAlreadyInstallments = errors.Conflict("ALREADY_IN_INSTALLMENTS", "already converted to installments")
	// ErrPaymentNotInstallable is returned for a payment that is not captured or has nothing outstanding (409).
	ErrPaymentNotInstallable = errors.Conflict("PAYMENT_NOT_INSTALLABLE", "only a captured payment with outstanding principal can be converted")
	// ErrStatementNotInstallable is returned for a statement outside its statement-to-due-date window or without principal owed (409).
	ErrStatementNotInstallable = errors.Conflict("STATEMENT_NOT_INSTALLABLE", "a statement converts between its statement date and due date while it owes principal")
	// ErrInstallmentStatementNotFound is returned when the user has no statement for the period (404).
	ErrInstallmentStatementNotFound = errors.NotFound("STATEMENT_NOT_FOUND", "no statement for this period")
)
