package biz

import "github.com/go-kratos/kratos/v2/errors"

var (
	// ErrProfileNotFound is returned when a user has no credit profile (404).
	ErrProfileNotFound = errors.NotFound("CREDIT_PROFILE_NOT_FOUND", "no credit profile for this user")
	// ErrLineNotFound is returned when a user has no credit line (404).
	ErrLineNotFound = errors.NotFound("CREDIT_LINE_NOT_FOUND", "no credit line for this user")
	// ErrLineClosed is returned when an ops change targets a closed (charged-off) line (409).
	ErrLineClosed = errors.Conflict("CREDIT_LINE_CLOSED", "the credit line is closed")
	// ErrLineFrozen is returned by Freeze on a line that is already frozen (409).
	ErrLineFrozen = errors.Conflict("CREDIT_LINE_FROZEN", "the credit line is already frozen")
	// ErrLineNotFrozen is returned by Unfreeze on a line that is not frozen (409).
	ErrLineNotFrozen = errors.Conflict("CREDIT_LINE_NOT_FROZEN", "the credit line is not frozen")
	// ErrInvalidStatus is returned by SetStatus for a status other than active, frozen,
	// overdue or closed (400).
	ErrInvalidStatus = errors.BadRequest("INVALID_LINE_STATUS", "status must be active, frozen, overdue or closed")
	// ErrInvalidAmount is returned by the line accounting calls for a negative amount or a
	// capture larger than its hold (400: a caller bug, never a decline).
	ErrInvalidAmount = errors.BadRequest("INVALID_CREDIT_AMOUNT", "amount must not be negative and a capture must not exceed its hold")
)
