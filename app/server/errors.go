package server

import (
	"context"
	stderrors "errors"
	"net/http"
	"strings"

	"github.com/go-kratos/kratos/v2/encoding"
	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/data"
)

func invalidBody(msg string) error {
	return errors.BadRequest(apierr.ReasonInvalidArgument, "malformed request: "+msg).WithMetadata(map[string]string{"field": "body"})
}

// Sanitize maps any error to what a client may see: Kratos errors pass through (their
// cause is dropped), an unreachable database becomes 503, anything else a generic 500.
// The original error is logged with the request id.
func Sanitize(ctx context.Context, logger *log.Helper, err error) *errors.Error {
	var ke *errors.Error
	if stderrors.As(err, &ke) {
		if ke.Code == 500 {
			// A 500's message is for operators, never for clients.
			if ke.Reason != apierr.ReasonInternal {
				logger.WithContext(ctx).Errorw("msg", "server error", "reason", ke.Reason, "error", err.Error(), "request_id", RequestID(ctx))
			}
			return apierr.ErrInternal
		}
		// protojson refuses invalid UTF-8, and messages may quote client input.
		md := make(map[string]string, len(ke.Metadata))
		for k, v := range ke.Metadata {
			md[strings.ToValidUTF8(k, "?")] = strings.ToValidUTF8(v, "?")
		}
		out := errors.New(int(ke.Code), ke.Reason, strings.ToValidUTF8(ke.Message, "?")).WithMetadata(md)
		if ke.Reason == "" {
			out.Reason = http.StatusText(int(ke.Code))
		}
		return out
	}
	if stderrors.Is(err, context.Canceled) {
		return errors.New(499, "CLIENT_CLOSED_REQUEST", "client closed the request")
	}
	if data.IsUnavailable(err) {
		logger.WithContext(ctx).Warnw("msg", "database unavailable", "error", err.Error(), "request_id", RequestID(ctx))
		return apierr.ErrUnavailable
	}
	logger.WithContext(ctx).Errorw("msg", "internal error", "error", err.Error(), "request_id", RequestID(ctx))
	return apierr.ErrInternal
}

func errorEncoder(logger *log.Helper) khttp.EncodeErrorFunc {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		se := Sanitize(r.Context(), logger, err)
		codec, _ := khttp.CodecForRequest(r, "Accept")
		if codec == nil || codec.Name() != "json" {
			codec = encoding.GetCodec("json")
		}
		body, merr := codec.Marshal(se)
		if merr != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if se.Code == 429 {
			w.Header().Set("Retry-After", "1")
		}
		if se.Code == 503 {
			w.Header().Set("Retry-After", "2")
		}
		w.WriteHeader(int(se.Code))
		_, _ = w.Write(body)
	}
}
