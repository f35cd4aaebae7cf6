package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	stderrors "errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	kjson "github.com/go-kratos/kratos/v2/encoding/json"
	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/middleware"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
)

//go:embed openapi.yaml
var openAPI []byte

func init() {
	// API.md: snake_case JSON field names, every field present.
	kjson.MarshalOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	kjson.UnmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}
}

// Verifier is the token verifier the configuration asks for (server.jwt_secret and the
// auth section).
func Verifier(c *conf.Config) auth.Verifier {
	return auth.Verifier{Secret: c.Server.JWTSecret, MaxTTL: c.Auth.MaxTokenTTL.Duration, Issuer: c.Auth.Issuer, Audience: c.Auth.Audience}
}

// Servers are the two transports plus the route table shared by the services.
type Servers struct {
	HTTP   *khttp.Server
	GRPC   *kgrpc.Server
	Routes *Routes
}

// Limiter decides whether a caller may make another request now (issue: abuse limits);
// nil disables it.
type Limiter interface {
	Allow(ctx context.Context, key string) bool
}

// Options configure New.
type Options struct {
	Config  *conf.Config
	Data    *data.Data
	Logger  log.Logger
	Limiter Limiter
}

// New builds the HTTP and gRPC servers with the middleware chain and the
// unauthenticated health, readiness, metrics and OpenAPI handlers.
func New(o Options) *Servers {
	helper := log.NewHelper(log.With(o.Logger, "module", "server"))
	policy := auth.NewPolicy()
	sanitize := func(ctx context.Context, err error) *errors.Error { return Sanitize(ctx, helper, err) }
	chain := []middleware.Middleware{
		observe(helper, sanitize),
		recovery(helper),
		policy.Middleware(Verifier(o.Config)),
	}
	if o.Limiter != nil {
		chain = append(chain, rateLimit(o.Limiter))
	}
	chain = append(chain, validate())
	timeout := o.Config.Server.RequestTimeout.Duration
	maxBody := o.Config.Server.MaxBodyBytes

	hs := khttp.NewServer(
		khttp.Address(o.Config.Server.HTTPAddr),
		khttp.Timeout(timeout),
		khttp.Middleware(chain...),
		khttp.ErrorEncoder(errorEncoder(helper)),
		khttp.ResponseEncoder(encodeResponse),
		khttp.RequestDecoder(decodeJSONBody),
		khttp.Filter(limitBody(maxBody)),
		khttp.NotFoundHandler(jsonStatus(http.StatusNotFound, apierr.ReasonNotFound, "no such route")),
		khttp.MethodNotAllowedHandler(jsonStatus(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method not allowed on this route")),
	)
	hs.ReadHeaderTimeout = 10 * time.Second
	hs.ReadTimeout = timeout + 5*time.Second
	hs.WriteTimeout = timeout + 10*time.Second
	hs.IdleTimeout = 2 * time.Minute

	gs := kgrpc.NewServer(
		kgrpc.Address(o.Config.Server.GRPCAddr),
		kgrpc.Timeout(timeout),
		kgrpc.Middleware(append([]middleware.Middleware{grpcStatus(), rejectTaggedFields()}, chain...)...),
	)
	for _, op := range []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/List", "/kratos.api.Metadata/ListServices", "/kratos.api.Metadata/GetServiceDesc"} {
		policy.Public(op)
	}

	hs.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	hs.HandleFunc("/readyz", readiness(o.Data))
	hs.Handle("/metrics", promhttp.Handler())
	hs.HandleFunc("/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPI)
	})
	return &Servers{HTTP: hs, GRPC: gs, Routes: &Routes{srv: hs, router: hs.Route("/"), policy: policy}}
}

// readiness answers 200 when the database answers (and Redis, when configured); with
// Redis down it answers 200 "degraded" because payments fall back to in-process state,
// and 503 when the database is down.
func readiness(d *data.Data) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		dbErr, redisErr := d.Ping(ctx)
		body := map[string]any{"database": "ok"}
		status := http.StatusOK
		body["status"] = "ready"
		if dbErr != nil {
			body["database"] = "unavailable"
			body["status"] = "unavailable"
			status = http.StatusServiceUnavailable
		}
		if d.Redis != nil {
			body["redis"] = "ok"
			if redisErr != nil {
				body["redis"] = "unavailable"
				if status == http.StatusOK {
					body["status"] = "degraded"
				}
			}
		}
		writeJSON(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jsonStatus(status int, reason, msg string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, status, map[string]any{"code": status, "reason": reason, "message": msg, "metadata": map[string]string{}})
	})
}

// decodeJSONBody decodes every request body as JSON whatever its Content-Type says: the
// API speaks JSON only, and a client that forgets the header should not see its fields
// silently ignored.
func decodeJSONBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if stderrors.As(err, &mbe) {
			return errors.New(http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "request body too large")
		}
		return invalidBody("could not read body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeStrict(body, v)
}

// strictJSON decodes request bodies: unlike the codec's options (which stay lenient for
// reading stored responses), a field the message does not have is refused, so a typo such
// as "instalments" is a 400 naming it instead of a request silently run without it.
var strictJSON = protojson.UnmarshalOptions{DiscardUnknown: false}

// unknownFieldRE finds the field name in protojson's "unknown field" error.
var unknownFieldRE = regexp.MustCompile(`unknown field "([^"]*)"`)

func decodeStrict(body []byte, v any) error {
	var err error
	if m, ok := v.(proto.Message); ok {
		err = strictJSON.Unmarshal(body, m)
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(v)
		if err == nil && dec.More() {
			err = stderrors.New("trailing data after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "proto: ")
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		return unknownField(m[1])
	}
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return unknownField(strings.Trim(name, `"`))
	}
	return invalidBody(msg)
}

// unknownField is the 400 for a request field the operation does not have.
func unknownField(name string) error {
	name = strings.ToValidUTF8(name, "?")
	if len(name) > 64 {
		name = name[:64]
	}
	return errors.BadRequest(apierr.ReasonInvalidArgument, "unknown field "+strconv.Quote(name)).WithMetadata(map[string]string{"field": name})
}

// checkQueryFields refuses a query parameter that names no field of the request message
// (the form decoder would ignore it). A dotted key names a nested field by its first part.
func checkQueryFields(q url.Values, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return nil
	}
	fields := m.ProtoReflect().Descriptor().Fields()
	for key := range q {
		first, _, _ := strings.Cut(key, ".")
		if fields.ByName(protoreflect.Name(first)) == nil && fields.ByJSONName(first) == nil {
			return unknownField(key)
		}
	}
	return nil
}

// limitBody refuses bodies above max bytes (413) before any decoding.
func limitBody(max int64) khttp.FilterFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"code": 413, "reason": "BODY_TOO_LARGE", "message": "request body too large", "metadata": map[string]string{}})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}

// rateLimit refuses callers above their rate with 429, keyed by principal.
func rateLimit(l Limiter) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			if p, ok := auth.FromContext(ctx); ok && !l.Allow(ctx, string(p.Role)+":"+p.Subject) {
				return nil, apierr.ErrRateLimited
			}
			return next(ctx, req)
		}
	}
}

// encodeResponse writes a google.api.HttpBody result as is (CSV files and the like) and
// everything else with the default codec.
func encodeResponse(w http.ResponseWriter, r *http.Request, v any) error {
	if b, ok := v.(*httpbody.HttpBody); ok {
		w.Header().Set("Content-Type", b.GetContentType())
		_, err := w.Write(b.GetData())
		return err
	}
	return khttp.DefaultResponseEncoder(w, r, v)
}
