package apierr

import (
	"github.com/go-kratos/kratos/v2/errors"
)

// Stable reasons shared by all domains.
const (
	ReasonInvalidArgument = "INVALID_ARGUMENT"
	ReasonUnauthenticated = "UNAUTHENTICATED"
	ReasonForbidden       = "FORBIDDEN"
	ReasonNotFound        = "NOT_FOUND"
	ReasonUnavailable     = "SERVICE_UNAVAILABLE"
	ReasonInternal        = "INTERNAL"
	ReasonRateLimited     = "RATE_LIMITED"
)

var (
	// ErrUnauthenticated is returned when the bearer token is missing, malformed, expired
	// or signed with anything but the configured secret (401).
	ErrUnauthenticated = errors.Unauthorized(ReasonUnauthenticated, "a valid bearer token is required")
	// ErrForbidden is returned when the caller's role may not call the operation or the
	// resource belongs to another user or merchant (403).
	ErrForbidden = errors.Forbidden(ReasonForbidden, "not allowed for this caller")
	// ErrUnavailable is returned while the database cannot be reached (503).
	ErrUnavailable = errors.ServiceUnavailable(ReasonUnavailable, "service temporarily unavailable, retry later")
	// ErrInternal is what clients see for any unexpected error (500); the cause is logged.
	ErrInternal = errors.InternalServer(ReasonInternal, "internal error")
	// ErrRateLimited is returned when a caller exceeds its request rate (429).
	ErrRateLimited = errors.New(429, ReasonRateLimited, "too many requests, slow down")
)

// Invalid returns a 400 naming the offending field.
func Invalid(field, message string) *errors.Error {
	return errors.BadRequest(ReasonInvalidArgument, field+": "+message).WithMetadata(map[string]string{"field": field})
}

// NotFound returns a 404 with the given reason, e.g. "PAYMENT_NOT_FOUND".
func NotFound(reason, message string) *errors.Error {
	return errors.NotFound(reason, message)
}
