package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/configs"
)

// liveClient talks to a server that may be killed at any moment: transport errors come
// back as errors (e2etest.Server.Call would fail the test), and the base URL follows
// restarts.
type liveClient struct {
	base atomic.Pointer[string]
	hc   *http.Client
}

func newLiveClient(s *e2etest.Server) *liveClient {
	c := &liveClient{hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	c.follow(s)
	return c
}

// follow points the client at the server's current address (after Restart).
func (c *liveClient) follow(s *e2etest.Server) {
	u := s.URL
	c.base.Store(&u)
	c.hc.CloseIdleConnections()
}

func (c *liveClient) do(method, path, token string, body []byte, key string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, *c.base.Load()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, raw, nil
}

// op is one client operation with its idempotency key; it is retried with the same key
// and body until the server gives a definitive answer.
type op struct {
	kind, method, path, token, key string
	body                           []byte
	status                         int
	resp                           []byte
	retries                        int // transport errors, 5xx, 409 in flight
	serverErrors                   int // 500s (never expected)
	unavailable                    int // 503s
	lastSent                       time.Time
}

func (o *op) field(name string) string {
	var m map[string]any
	_ = json.Unmarshal(o.resp, &m)
	s, _ := m[name].(string)
	return s
}

// run sends o until it gets a definitive answer (2xx or a 4xx other than 409 in flight),
// retrying with the same key across kills and outages; it gives up after limit.
func (c *liveClient) run(o *op, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		o.lastSent = time.Now()
		status, raw, err := c.do(o.method, o.path, o.token, o.body, o.key)
		switch {
		case err != nil:
		case status == 500:
			o.serverErrors++
		case status == 503:
			o.unavailable++
		case status == 409 && strings.Contains(string(raw), "IDEMPOTENCY_KEY_IN_FLIGHT"):
		case status >= 500:
			o.serverErrors++
		default:
			o.status, o.resp = status, raw
			return true
		}
		o.retries++
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// relaxedConfig is the embedded default config with the velocity rules opened up, so a
// load test is not declined as VELOCITY_LIMIT.
func relaxedConfig(extra string) string {
	cfg := string(configs.Default)
	cfg = strings.Replace(cfg, "max_payments_per_hour: 30", "max_payments_per_hour: 1000000", 1)
	cfg = strings.Replace(cfg, "max_payments_per_day: 100", "max_payments_per_day: 1000000", 1)
	if strings.HasPrefix(extra, "limits:") {
		cfg = dropSection(cfg, "limits")
	}
	return cfg + extra
}

// dropSection removes the top-level YAML section name from cfg.
func dropSection(cfg, name string) string {
	lines := strings.SplitAfter(cfg, "\n")
	var b strings.Builder
	in := false
	for _, l := range lines {
		top := l != "" && l[0] != ' ' && l[0] != '#' && l[0] != '\n'
		if top {
			in = strings.HasPrefix(l, name+":")
		}
		if !in {
			b.WriteString(l)
		}
	}
	return b.String()
}

// --- invariants --------------------------------------------------------------------------

// checkMoneyInvariants asserts, on the database behind s: every credit line's
// outstanding equals its receivable.principal ledger balance, holds equal open
// authorizations, the trial balance balances and reconciliation is clean. It returns the
// number of violations.
func checkMoneyInvariants(t *testing.T, s *e2etest.Server, db *sql.DB) int {
	t.Helper()
	bad := 0
	rows, err := db.Query(`SELECT l.user_id, l.outstanding, l.held,
		COALESCE((SELECT SUM(b.debits - b.credits) FROM ledger_balance b WHERE b.account = 'receivable.principal' AND b.owner = l.user_id), 0),
		COALESCE((SELECT SUM(p.amount) FROM payment p WHERE p.user_id = l.user_id AND p.status = 'authorized'), 0)
		FROM credit_line l ORDER BY l.user_id`)
	if err != nil {
		t.Fatalf("invariants: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var outstanding, held, receivable, open int64
		if err := rows.Scan(&user, &outstanding, &held, &receivable, &open); err != nil {
			t.Fatal(err)
		}
		if outstanding != receivable {
			bad++
			t.Errorf("line %s: outstanding %d fen != receivable.principal %d fen", user, outstanding, receivable)
		}
		if held != open {
			bad++
			t.Errorf("line %s: held %d fen != open authorizations %d fen", user, held, open)
		}
	}
	tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance", e2etest.Token(opsSubject, auth.RoleOps), nil)
	if tb.Body["balanced"] != true || tb.Str("debits") != tb.Str("credits") {
		bad++
		t.Errorf("trial balance not balanced: %s", tb.Raw)
	}
	rec, _ := tb.Body["reconciliation"].(map[string]any)
	diffs, _ := rec["differences"].([]any)
	fails, _ := rec["failures"].([]any)
	if len(diffs) > 0 || len(fails) > 0 {
		bad++
		t.Errorf("reconciliation not clean: %v", rec)
	}
	return bad
}

// count runs a COUNT query.
func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// opsLog is the client's record of what it sent and what was acknowledged.
type opsLog struct {
	mu  sync.Mutex
	ops []*op
}

func (l *opsLog) add(o *op) {
	l.mu.Lock()
	l.ops = append(l.ops, o)
	l.mu.Unlock()
}

func (l *opsLog) byKind() map[string][]*op {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]*op{}
	for _, o := range l.ops {
		out[o.kind] = append(out[o.kind], o)
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
