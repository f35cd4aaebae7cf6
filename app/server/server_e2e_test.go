package server_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/e2etest"
)

// TestFoundationE2E exercises the transport contract of the real binary: auth, errors,
// health and the test clock.
func TestFoundationE2E(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Engine: "sqlite"})
	ops := e2etest.Token("op1", auth.RoleOps)
	shopper := e2etest.Token("u1", auth.RoleShopper)

	s.Must(200, "GET", "/healthz", "", nil)
	if r := s.Must(200, "GET", "/readyz", "", nil); r.Str("database") != "ok" {
		t.Fatalf("readyz: %s", r.Raw)
	}
	if r := s.Must(200, "GET", "/metrics", "", nil); !strings.Contains(string(r.Raw), "go_goroutines") {
		t.Fatal("metrics missing")
	}
	if r := s.Must(200, "GET", "/openapi.yaml", "", nil); !strings.Contains(string(r.Raw), "/v1/ops/clock") {
		t.Fatal("openapi.yaml does not describe the API")
	}

	// 401: no token, garbage, wrong secret, alg none, expired.
	wrong, _ := auth.Mint("another-secret-entirely", "op1", auth.RoleOps, time.Hour, time.Now())
	expired, _ := auth.Mint(e2etest.Secret, "op1", auth.RoleOps, time.Minute, time.Now().Add(-time.Hour))
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJvcDEiLCJyb2xlIjoib3BzIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
	for name, tok := range map[string]string{"none": "", "garbage": "abc", "wrong secret": wrong, "expired": expired, "alg none": none} {
		r := s.Call("GET", "/v1/ops/clock", tok, nil)
		if r.Status != 401 || r.Reason() != "UNAUTHENTICATED" {
			t.Errorf("%s token: %d %s", name, r.Status, r.Raw)
		}
	}
	// 403: wrong role.
	if r := s.Call("POST", "/v1/ops/clock", shopper, map[string]string{"now": "2026-12-01"}); r.Status != 403 || r.Reason() != "FORBIDDEN" {
		t.Errorf("shopper on ops route: %d %s", r.Status, r.Raw)
	}
	// 403: a shopper reading another shopper's resource; their own is allowed.
	if r := s.Call("GET", "/v1/credit/lines/u2", shopper, nil); r.Status != 403 || r.Reason() != "FORBIDDEN" {
		t.Errorf("another shopper's line: %d %s", r.Status, r.Raw)
	}
	if r := s.Call("GET", "/v1/credit/lines/u1", shopper, nil); r.Status == 403 || r.Status == 401 || r.Status >= 500 {
		t.Errorf("own line: %d %s", r.Status, r.Raw)
	}
	// 404 JSON for an unknown route.
	if r := s.Call("GET", "/v1/nothing/here", ops, nil); r.Status != 404 || r.Reason() != "NOT_FOUND" {
		t.Errorf("unknown route: %d %s", r.Status, r.Raw)
	}
	// 400 naming the field; malformed JSON is a 400 too, never a 500.
	if r := s.Call("POST", "/v1/ops/clock", ops, map[string]string{"now": "yesterday"}); r.Status != 400 || r.Body["metadata"].(map[string]any)["field"] != "now" {
		t.Errorf("bad clock value: %d %s", r.Status, r.Raw)
	}
	for _, body := range []string{`{"now": 5}`, `{"now": "x"`, `[1,2]`, "\xff\xfe"} {
		if r := s.Call("POST", "/v1/ops/clock", ops, body); r.Status != 400 {
			t.Errorf("body %q: %d %s", body, r.Status, r.Raw)
		}
	}
	// The body size limit answers 413.
	if r := s.Call("POST", "/v1/ops/clock", ops, `{"now":"`+strings.Repeat("x", 2<<20)+`"}`); r.Status != 413 {
		t.Errorf("oversized body: %d", r.Status)
	}

	// The test clock moves business time in dev mode and survives a restart.
	r := s.Must(200, "POST", "/v1/ops/clock", ops, map[string]string{"now": "2027-03-01T10:00:00+08:00"})
	if r.Str("business_date") != "2027-03-01" {
		t.Fatalf("clock: %s", r.Raw)
	}
	s.Stop()
	s.Restart()
	if r := s.Must(200, "GET", "/v1/ops/clock", ops, nil); r.Str("business_date") != "2027-03-01" {
		t.Fatalf("clock after restart: %s", r.Raw)
	}
}

func TestProductionModeRefusesTestClockAndDefaultSecret(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_MODE=production"}})
	ops := e2etest.Token("op1", auth.RoleOps)
	if r := s.Call("POST", "/v1/ops/clock", ops, map[string]string{"now": "2030-01-01"}); r.Status != 403 || r.Reason() != "TEST_CLOCK_DISABLED" {
		t.Fatalf("production clock: %d %s", r.Status, r.Raw)
	}
}

// TestMySQLReadinessAndInternalErrors runs on MariaDB behind a proxy: /readyz follows the
// database down and up, and an internal SQL error reaches the client as a generic 500.
func TestMySQLReadinessAndInternalErrors(t *testing.T) {
	dsn := datatest.NewMySQLDatabase(t)
	cfg, _ := mysql.ParseDSN(dsn)
	proxy := e2etest.NewProxy(t, cfg.Addr)
	proxied := *cfg
	proxied.Addr = proxy.Addr
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", MySQLDSN: proxied.FormatDSN(), Redis: true})
	ops := e2etest.Token("op1", auth.RoleOps)
	if r := s.Must(200, "GET", "/readyz", "", nil); r.Str("redis") != "ok" {
		t.Fatalf("readyz: %s", r.Raw)
	}

	proxy.SetDown(true)
	if r := s.Call("GET", "/readyz", "", nil); r.Status != 503 || r.Str("database") != "unavailable" {
		t.Fatalf("readyz with database down: %d %s", r.Status, r.Raw)
	}
	if r := s.Call("POST", "/v1/ops/clock", ops, map[string]string{"now": "2027-01-01"}); r.Status != 503 || r.Reason() != "SERVICE_UNAVAILABLE" {
		t.Fatalf("write with database down: %d %s", r.Status, r.Raw)
	}
	proxy.SetDown(false)
	deadline := time.Now().Add(20 * time.Second)
	for s.Call("GET", "/readyz", "", nil).Status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Break the schema under the server: the SQL error must not leak.
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE app_setting"); err != nil {
		t.Fatal(err)
	}
	r := s.Call("POST", "/v1/ops/clock", ops, map[string]string{"now": "2027-01-02"})
	if r.Status != 500 || r.Reason() != "INTERNAL" || r.Str("message") != "internal error" {
		t.Fatalf("internal error: %d %s", r.Status, r.Raw)
	}
	for _, leak := range []string{"app_setting", "Error 1146", "sql", "mysql", "goroutine", ".go:"} {
		if strings.Contains(strings.ToLower(string(r.Raw)), strings.ToLower(leak)) {
			t.Fatalf("500 body leaks %q: %s", leak, r.Raw)
		}
	}
	id := r.Header.Get("X-Request-Id")
	for i := 0; i < 50 && id != "" && !strings.Contains(s.Logs(), "request_id="+id); i++ {
		time.Sleep(100 * time.Millisecond) // the log line may still be in the pipe
	}
	if id == "" || !strings.Contains(s.Logs(), "request_id="+id) {
		t.Fatalf("the internal error is not logged with its request id %q", r.Header.Get("X-Request-Id"))
	}
}
