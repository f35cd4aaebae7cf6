package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/huabei/huabei/app/apierr"
)

var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "huabei_requests_total", Help: "API requests by operation and status code.",
	}, []string{"kind", "operation", "code"})
	requestSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "huabei_request_duration_seconds", Help: "API request latency by operation.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"kind", "operation"})
)

type requestIDKey struct{}

// RequestID returns the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recovery turns a panic into a 500 and logs the stack (never sent to the client).
func recovery(logger *log.Helper) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (reply any, err error) {
			defer func() {
				if r := recover(); r != nil {
					logger.WithContext(ctx).Errorw("msg", "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()), "request_id", RequestID(ctx))
					err = apierr.ErrInternal
				}
			}()
			return next(ctx, req)
		}
	}
}

// observe assigns a request id, logs one line per request and records metrics. It logs
// the operation, status and latency only: request bodies may hold personal data.
func observe(logger *log.Helper, sanitize func(context.Context, error) *errors.Error) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			id := ""
			kind, op := "unknown", "unknown"
			if tr, ok := transport.FromServerContext(ctx); ok {
				kind, op = string(tr.Kind()), tr.Operation()
				id = tr.RequestHeader().Get("X-Request-Id")
				if len(id) > 64 {
					id = id[:64]
				}
				if id == "" {
					id = newRequestID()
				}
				tr.ReplyHeader().Set("X-Request-Id", id)
			}
			ctx = context.WithValue(ctx, requestIDKey{}, id)
			reply, err := next(ctx, req)
			code := 200
			if err != nil {
				se := sanitize(ctx, err)
				err = se
				code = int(se.Code)
			}
			d := time.Since(start)
			requestsTotal.WithLabelValues(kind, op, strconv.Itoa(code)).Inc()
			requestSeconds.WithLabelValues(kind, op).Observe(d.Seconds())
			if code >= 500 || d > time.Second {
				logger.WithContext(ctx).Warnw("msg", "request", "operation", op, "code", code, "latency_ms", d.Milliseconds(), "request_id", id)
			} else {
				logger.WithContext(ctx).Debugw("msg", "request", "operation", op, "code", code, "latency_ms", d.Milliseconds(), "request_id", id)
			}
			return reply, err
		}
	}
}

type validator interface{ Validate() error }

// validate calls the request's Validate method (hand-written beside the generated code);
// errors that are not already Kratos errors become 400s.
func validate() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if v, ok := req.(validator); ok {
				if err := v.Validate(); err != nil {
					if _, ok := err.(*errors.Error); ok {
						return nil, err
					}
					return nil, errors.BadRequest(apierr.ReasonInvalidArgument, err.Error())
				}
			}
			return next(ctx, req)
		}
	}
}
