package biz

import "github.com/go-kratos/kratos/v2/errors"

// Errors of statements, repayments and autopay.
var (
	// ErrStatementNotFound is returned when the user has no statement for the period (404).
	ErrStatementNotFound = errors.NotFound("STATEMENT_NOT_FOUND", "no statement for this period")
	// ErrNothingToRepay is returned when a repayment target names nothing the user owes (422).
	ErrNothingToRepay = errors.New(422, "NOTHING_TO_REPAY", "the repayment target owes nothing")
	// ErrPlanRepaymentUnsupported is returned for target plan:<id> while no installment
	// engine is wired (422).
	ErrPlanRepaymentUnsupported = errors.New(422, "PLAN_NOT_FOUND", "no installment plan with this id")
)
