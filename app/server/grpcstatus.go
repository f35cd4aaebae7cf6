package server

import (
	"context"
	"net/http"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/middleware"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// grpcCode maps the HTTP status of an API error to its gRPC code. Kratos's own table
// knows only a few statuses and answers Unknown for the rest (422 among them), which
// leaves a gRPC client unable to tell a refused business rule from a crash.
func grpcCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.Aborted
	case http.StatusUnprocessableEntity, http.StatusPreconditionFailed:
		return codes.FailedPrecondition
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case 499:
		return codes.Canceled
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	switch {
	case httpStatus >= 500:
		return codes.Internal
	case httpStatus >= 400:
		// Any other refusal of the request as sent.
		return codes.FailedPrecondition
	}
	return codes.Unknown
}

// grpcStatus turns the (already sanitized) API error into a gRPC status with the code of
// grpcCode and the reason and metadata as an ErrorInfo detail, as Kratos clients expect.
// It runs outermost on the gRPC chain only.
func grpcStatus() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			reply, err := next(ctx, req)
			if err == nil {
				return reply, nil
			}
			se := errors.FromError(err)
			st := status.New(grpcCode(int(se.Code)), se.Message)
			if ds, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: se.Reason, Metadata: se.Metadata}); derr == nil {
				st = ds
			}
			return reply, st.Err()
		}
	}
}
