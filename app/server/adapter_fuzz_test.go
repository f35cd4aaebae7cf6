package server

import (
	"bytes"
	"context"
	"encoding/json"
	stderrors "errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	creditv1 "github.com/huabei/huabei/credit/api/v1"
)

const fuzzSecret = "adapter-fuzz-secret-0123456789"

// fuzzServers builds the real HTTP server (middleware chain, decoder, error encoder, body
// limit) with two routes whose handlers echo the decoded request.
func fuzzServers(t testing.TB) http.Handler {
	cfg, err := conf.LoadBytes([]byte("server:\n  jwt_secret: " + fuzzSecret + "\n  max_body_bytes: 4096\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Config: cfg, Logger: log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))})
	roles := []auth.Role{auth.RoleOps, auth.RoleShopper}
	Route(s.Routes, "PUT", "/v1/fuzz/profiles/{user_id}", creditv1.CreditService_PutProfile_FullMethodName, roles,
		func(ctx context.Context, r *creditv1.PutProfileRequest) (*creditv1.PutProfileRequest, error) {
			if err := auth.CheckUser(ctx, r.UserId); err != nil {
				return nil, err
			}
			return r, nil
		})
	Route(s.Routes, "GET", "/v1/fuzz/lines/{user_id}/events", creditv1.CreditService_ListLineEvents_FullMethodName, roles,
		func(ctx context.Context, r *creditv1.ListLineEventsRequest) (*creditv1.ListLineEventsRequest, error) {
			return r, nil
		})
	return s.HTTP
}

// FuzzDecodeJSONBody: the request decoder answers 400 or 413 for anything it cannot
// decode, never another error and never a panic.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, s := range []string{"", "{}", `{"user_id":"u1","age":30,"kyc_verified":true}`, `{"age":"x"}`, `{"age":1e99}`,
		"[]", "null", "{", "\xff", `{"monthly_income":123}`, `{"unknown":1}`, strings.Repeat("[", 1000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("PUT", "/x", bytes.NewReader(body))
		var m creditv1.PutProfileRequest
		err := decodeJSONBody(r, &m)
		if err == nil {
			return
		}
		se := new(errors.Error)
		if !stderrors.As(err, &se) || (se.Code != 400 && se.Code != 413) {
			t.Fatalf("decode %q: %v (want a 400)", body, err)
		}
	})
}

// FuzzRouteAdapter sends hostile paths, queries, bodies and tokens through the real
// middleware chain and generic adapter: every answer is JSON (or the router's path-cleaning redirect), never a 5xx.
func FuzzRouteAdapter(f *testing.F) {
	h := fuzzServers(f)
	ops, _ := auth.Mint(fuzzSecret, "ops1", auth.RoleOps, time.Hour, time.Now())
	shopper, _ := auth.Mint(fuzzSecret, "u1", auth.RoleShopper, time.Hour, time.Now())
	tokens := []string{"", ops, shopper, "garbage", ops + "x"}
	for i, s := range []struct{ seg, query, body string }{
		{"u1", "", `{"age":30}`}, {"u2", "", `{}`}, {"%00", "", "{"}, {"u1", "page_size=abc", ""},
		{"u1", "page_size=99999999999", ""}, {"用户", "cursor=%ff", `{"age":"x"}`}, {"u1", "", strings.Repeat("x", 5000)},
		{"..", "a=b&a=c", "null"}, {"u1", "page_size=-1&cursor=" + strings.Repeat("c", 300), `{"user_id":"u2"}`},
	} {
		f.Add(uint8(i), s.seg, s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, sel uint8, seg, query string, body []byte) {
		method, path := "PUT", "/v1/fuzz/profiles/"+url.PathEscape(seg)
		if sel%2 == 1 {
			method, path = "GET", "/v1/fuzz/lines/"+url.PathEscape(seg)+"/events"
		}
		if query != "" {
			path += "?" + query
		}
		req, err := http.NewRequest(method, path, bytes.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		if tok := tokens[int(sel/2)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 300 && rec.Code < 400 {
			return // the router's path-cleaning redirect
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: non-JSON answer %d %q", method, path, rec.Code, rec.Body.Bytes())
		}
	})
}
