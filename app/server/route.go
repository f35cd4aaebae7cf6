package server

import (
	"context"
	stderrors "errors"
	"net/http"
	"strings"

	"github.com/go-kratos/kratos/v2/errors"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/huabei/huabei/app/auth"
)

// Routes is where services register their HTTP routes and role requirements.
type Routes struct {
	srv    *khttp.Server
	router *khttp.Router
	policy *auth.Policy
	table  []RouteInfo
}

// RouteInfo describes one registered route (the access-control matrix test walks them).
type RouteInfo struct {
	Method, Path, Operation string
	Roles                   []auth.Role
}

// Table returns every registered route.
func (r *Routes) Table() []RouteInfo { return append([]RouteInfo(nil), r.table...) }

// Policy returns the role table shared with the gRPC server.
func (r *Routes) Policy() *auth.Policy { return r.policy }

// Route registers method+path for operation (use the gRPC full method name constant of
// the generated code, e.g. v1.CreditService_GetLine_FullMethodName, so HTTP and gRPC share
// one role table), allowed for roles, handled by h. The request message is bound from
// the path variables, the query string (GET and DELETE) or the JSON body (others); the
// handler runs inside ctx.Middleware so recovery, logging, metrics, auth and validation
// always apply; the result is encoded with status 200.
func Route[Req any, Resp any, PReq interface{ *Req }](r *Routes, method, path, operation string, roles []auth.Role, h func(context.Context, PReq) (Resp, error)) {
	r.policy.Allow(operation, roles...)
	r.table = append(r.table, RouteInfo{Method: method, Path: path, Operation: operation, Roles: roles})
	r.router.Handle(method, path, func(ctx khttp.Context) error {
		in := PReq(new(Req))
		switch method {
		case http.MethodGet, http.MethodDelete:
			if err := checkQueryFields(ctx.Request().URL.Query(), in); err != nil {
				return err
			}
			if err := ctx.BindQuery(in); err != nil {
				return badBinding(err)
			}
		default:
			if err := ctx.Bind(in); err != nil {
				if se := new(errors.Error); stderrors.As(err, &se) && se.Reason != "CODEC" {
					return err
				}
				return badBinding(err)
			}
		}
		if err := ctx.BindVars(in); err != nil {
			return badBinding(err)
		}
		khttp.SetOperation(ctx, operation)
		handler := ctx.Middleware(func(ctx context.Context, req any) (any, error) {
			return h(ctx, req.(PReq))
		})
		out, err := handler(ctx, in)
		if err != nil {
			return err
		}
		return ctx.Result(http.StatusOK, out)
	})
}

// Public registers a route that needs no token (still through the adapter).
func Public[Req any, Resp any, PReq interface{ *Req }](r *Routes, method, path, operation string, h func(context.Context, PReq) (Resp, error)) {
	r.policy.Public(operation)
	Route[Req, Resp, PReq](r, method, path, operation, nil, h)
}

// badBinding turns a decoder error into a 400 that says what was wrong with the body
// without echoing internal type names at length.
func badBinding(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "body unmarshal "); i >= 0 {
		msg = msg[i+len("body unmarshal "):]
	}
	msg = strings.TrimPrefix(msg, "proto: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return invalidBody(msg)
}
