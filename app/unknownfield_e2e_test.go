package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/server"
	creditv1 "github.com/huabei/huabei/credit/api/v1"
)

// inProcessRoutes wires the service in process on a throwaway SQLite database and returns
// its route table: every route the binary serves.
func inProcessRoutes(t *testing.T) []server.RouteInfo {
	t.Helper()
	t.Setenv("HUABEI_DATA_DIR", t.TempDir())
	t.Setenv("HUABEI_MYSQL_DSN", "")
	t.Setenv("HUABEI_REDIS_ADDR", "")
	t.Setenv("HUABEI_JOBS_CRON", "off")
	cfg, err := conf.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, cleanup, err := app.New(context.Background(), cfg, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError)))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	return a.Servers.Routes.Table()
}

// TestUnknownFieldsRefusedOnEveryRoute sends a bogus field to every registered route of
// the real binary (JSON body for POST/PUT/PATCH, query parameter for GET/DELETE) and
// expects a 400 naming it (issue 16, defect 11): before, unknown fields were dropped and
// the request ran without them.
func TestUnknownFieldsRefusedOnEveryRoute(t *testing.T) {
	routes := inProcessRoutes(t)
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	const bogus = "bogus_field_xyz"
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		role := auth.RoleOps
		if len(r.Roles) > 0 {
			role = r.Roles[0]
		}
		tok := e2etest.Token("uf-caller", role)
		path := r.Path
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				v := "1"
				if seg == "{user_id}" || seg == "{merchant_id}" {
					v = "uf-caller"
				} else if seg == "{period}" {
					v = "2026-10"
				} else if seg == "{name}" {
					v = "statements"
				}
				path = strings.Replace(path, seg, v, 1)
			}
		}
		var body any
		if r.Method == "GET" || r.Method == "DELETE" {
			path += "?" + url.Values{bogus: {"1"}}.Encode()
		} else {
			body = map[string]any{bogus: 1}
		}
		resp := s.Call(r.Method, path, tok, body)
		md, _ := resp.Body["metadata"].(map[string]any)
		if resp.Status != 400 || md["field"] != bogus || !strings.Contains(resp.Str("message"), bogus) {
			t.Errorf("%s %s with %q: status %d %s, want 400 naming the field", r.Method, r.Path, bogus, resp.Status, resp.Raw)
		}
	}
}

// TestUnknownFieldBooksNothing is the reported case: "instalments": 3 (a typo) on a
// checkout is refused instead of booking a single payment, and nothing is booked; a
// misspelt field nested in an object is refused too.
func TestUnknownFieldBooksNothing(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	s.SetClock("2026-11-05T10:00:00+08:00")
	ops := e2etest.Token("e2e-ops", auth.RoleOps)
	s.Must(200, "PUT", "/v1/credit/profiles/uf-alice", ops, map[string]any{
		"kyc_verified": true, "age": 28, "education": "college", "employment": "employed",
		"employment_months": 24, "monthly_income": "6000.00", "assets": "30000.00", "housing": "rent",
		"credit_history_months": 36, "late_payments_12m": 0, "max_dpd_24m": 0,
		"outstanding_debt": "20000.00", "inquiries_6m": 2,
	})
	s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "uf-alice"})
	merchant := e2etest.Token("uf-shop", auth.RoleMerchant)
	r := s.Call("POST", "/v1/payments", merchant, map[string]any{
		"user_id": "uf-alice", "merchant_order_id": "o-1", "amount": "300.00", "instalments": 3,
	})
	md, _ := r.Body["metadata"].(map[string]any)
	if r.Status != 400 || md["field"] != "instalments" {
		t.Fatalf("payment with instalments: %d %s, want 400 naming instalments", r.Status, r.Raw)
	}
	if l := s.Must(200, "GET", "/v1/credit/lines/uf-alice", ops, nil); l.Str("held") != "0.00" || l.Str("outstanding") != "0.00" {
		t.Fatalf("refused payment touched the line: %s", l.Raw)
	}
	// the correct spelling books 3 installments; had the typo booked a payment, this repeat
	// of the merchant order would have returned it, with none
	ok := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{
		"user_id": "uf-alice", "merchant_order_id": "o-1", "amount": "300.00", "installments": 3,
	})
	if ok.Str("status") != "authorized" || ok.Num("installments") != 3 {
		t.Fatalf("payment with installments: %s", ok.Raw)
	}
	treasury := e2etest.Token("uf-treasury", auth.RoleTreasury)
	r = s.Call("POST", "/v1/abs/pools", treasury, map[string]any{
		"name": "p", "cutoff_date": "2026-11-05", "criteria": map[string]any{"min_scor": 600},
	})
	if md, _ := r.Body["metadata"].(map[string]any); r.Status != 400 || md["field"] != "min_scor" {
		t.Fatalf("nested unknown field: %d %s", r.Status, r.Raw)
	}
}

// rawJSON is a request body sent as is over gRPC-JSON.
type rawJSON []byte

// jsonCodec lets this test's gRPC client speak gRPC with JSON payloads, raw or marshalled.
type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(rawJSON); ok {
		return b, nil
	}
	return protojson.Marshal(v.(proto.Message))
}
func (jsonCodec) Unmarshal(b []byte, v any) error {
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, v.(proto.Message))
}
func (jsonCodec) Name() string { return "json" }

// TestUnknownFieldRefusedOverGRPCJSON: the gRPC server also speaks JSON (Kratos
// registers a codec for application/grpc+json); an unknown field there is refused with
// InvalidArgument naming it, before the handler runs, as on HTTP.
func TestUnknownFieldRefusedOverGRPCJSON(t *testing.T) {
	encoding.RegisterCodec(jsonCodec{})
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2etest.Token("e2e-ops", auth.RoleOps))
	var reply creditv1.CreditLine
	err = conn.Invoke(ctx, creditv1.CreditService_GetLine_FullMethodName, rawJSON(`{"user_id":"nobody","bogus_field_xyz":1}`), &reply, grpc.CallContentSubtype("json"))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "bogus_field_xyz") {
		t.Fatalf("gRPC-JSON with an unknown field: %v, want InvalidArgument naming it", err)
	}
	if got := kerrors.FromError(err); got.Metadata["field"] != "bogus_field_xyz" {
		t.Fatalf("metadata %v, want field=bogus_field_xyz", got.Metadata)
	}
	// the same call without the bogus field reaches the handler (no such line)
	err = conn.Invoke(ctx, creditv1.CreditService_GetLine_FullMethodName, rawJSON(`{"user_id":"nobody"}`), &reply, grpc.CallContentSubtype("json"))
	if status.Code(err) != codes.NotFound {
		t.Fatalf("gRPC-JSON without the bogus field: %v, want NotFound", err)
	}
}
