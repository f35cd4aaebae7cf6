package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/outbox"
	"github.com/huabei/huabei/configs"
)

var (
	ops       = e2etest.Token("e2e-ops", auth.RoleOps)
	merchant  = e2etest.Token("m1", auth.RoleMerchant)
	merchant2 = e2etest.Token("m2", auth.RoleMerchant)
)

var goodProfile = map[string]any{
	"kyc_verified": true, "age": 30, "education": "bachelor", "employment": "employed", "employment_months": 48,
	"monthly_income": "20000.00", "assets": "500000.00", "housing": "own", "credit_history_months": 72,
	"late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0,
}

// fastRetries is the shipped configuration with webhook retries after 50 ms.
func fastRetries(t testing.TB) string {
	t.Helper()
	s := string(configs.Default)
	if strings.Count(s, "retry_base: 10s") != 1 {
		t.Fatal("configs/config.yaml no longer has retry_base: 10s once")
	}
	return strings.Replace(s, "retry_base: 10s", "retry_base: 50ms", 1)
}

func openLine(t testing.TB, s *e2etest.Server, user string) {
	t.Helper()
	s.Must(200, "PUT", "/v1/credit/profiles/"+user, ops, goodProfile)
	if r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]string{"user_id": user}); r.Str("decision") != "approved" {
		t.Fatalf("application of %s: %s", user, r.Raw)
	}
}

// receiver is a merchant endpoint that fails its first failFirst requests, then accepts
// every request and keeps what it got, checking each signature.
type receiver struct {
	mu        sync.Mutex
	secret    string
	failFirst int
	requests  int
	badSigs   int
	got       map[string]outbox.Stored // by event id (deduped)
	order     []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if !validSignature(rc.secret, r.Header.Get(outbox.SignatureHeader), body) {
		rc.badSigs++
	}
	if rc.requests <= rc.failFirst {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	var e outbox.Stored
	if err := json.Unmarshal(body, &e); err != nil || e.ID == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if _, dup := rc.got[e.ID]; !dup {
		rc.order = append(rc.order, e.ID)
	}
	rc.got[e.ID] = e
}

// validSignature checks t=<unix>,v1=<hex> against the body as a receiver would.
func validSignature(secret, header string, body []byte) bool {
	var ts string
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = v
		}
	}
	if ts == "" {
		return false
	}
	var sec int64
	if _, err := fmt.Sscan(ts, &sec); err != nil {
		return false
	}
	return outbox.Sign(secret, time.Unix(sec, 0), body) == header
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// A merchant's endpoint fails the first deliveries, then receives every one of its
// events exactly as listed by GET /events, each signed with its secret; the same events
// reach the Redis stream for a consumer group; another merchant gets 403.
func TestWebhooksE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			rc := &receiver{failFirst: 3, got: map[string]outbox.Stored{}}
			hook := httptest.NewServer(rc)
			defer hook.Close()

			rdb := redis.NewClient(&redis.Options{Addr: datatest.RedisAddr()})
			defer rdb.Close()
			ctx := context.Background()
			group := "e2e-" + ids.String(ids.New())
			if err := rdb.XGroupCreateMkStream(ctx, outbox.StreamKey, group, "$").Err(); err != nil {
				t.Fatalf("create consumer group: %v", err)
			}
			defer rdb.XGroupDestroy(ctx, outbox.StreamKey, group)

			s := e2etest.Start(t, e2etest.Options{Engine: engine, Redis: true, Config: fastRetries(t), Env: []string{"HUABEI_JOBS_CRON=off"}})
			s.Must(403, "PUT", "/v1/merchants/m1/webhook", merchant2, map[string]string{"url": hook.URL})
			s.Must(403, "PUT", "/v1/merchants/m1/webhook", ops, map[string]string{"url": hook.URL})
			if r := s.Must(400, "PUT", "/v1/merchants/m1/webhook", merchant, map[string]string{"url": "ftp://x"}); r.Str("metadata.field") != "url" && !strings.Contains(string(r.Raw), `"field":"url"`) {
				t.Fatalf("bad url: %s", r.Raw)
			}
			s.Must(404, "POST", "/v1/merchants/m1/webhook/rotate", merchant, nil)
			w := s.Must(200, "PUT", "/v1/merchants/m1/webhook", merchant, map[string]string{"url": hook.URL + "/old"})
			first := w.Str("secret")
			if !strings.HasPrefix(first, "whsec_") {
				t.Fatalf("put webhook: %s", w.Raw)
			}
			if again := s.Must(200, "PUT", "/v1/merchants/m1/webhook", merchant, map[string]string{"url": hook.URL}); again.Str("secret") != "" || again.Str("url") != hook.URL {
				t.Fatalf("second put shows the secret again or lost the url: %s", again.Raw)
			}
			rot := s.Must(200, "POST", "/v1/merchants/m1/webhook/rotate", merchant, nil)
			if rot.Str("secret") == first || !strings.HasPrefix(rot.Str("secret"), "whsec_") {
				t.Fatalf("rotate: %s", rot.Raw)
			}
			rc.mu.Lock()
			rc.secret = rot.Str("secret")
			rc.mu.Unlock()

			user := "u-" + ids.String(ids.New()) // Redis velocity counters outlive the test database
			openLine(t, s, user)
			var pids []string
			for i := 0; i < 3; i++ {
				p := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": user, "merchant_order_id": fmt.Sprint("o", i), "amount": "100.00"})
				if p.Str("status") != "authorized" {
					t.Fatalf("declined: %s", p.Raw)
				}
				pids = append(pids, p.Str("payment_id"))
			}
			s.Must(200, "POST", "/v1/payments/"+pids[0]+"/capture", merchant, map[string]any{})
			s.Must(200, "POST", "/v1/payments/"+pids[0]+"/refunds", merchant, map[string]any{"amount": "10.00"}, "Idempotency-Key", "r1")
			s.Must(200, "POST", "/v1/payments/"+pids[1]+"/cancel", merchant, map[string]any{})
			s.Must(200, "POST", "/v1/payments", merchant2, map[string]any{"user_id": user, "merchant_order_id": "x", "amount": "1.00"})

			const want = 6 // 3 authorized, captured, refunded, cancelled
			waitFor(t, "every m1 event at the endpoint", func() bool { return rc.count() >= want })

			list := s.Must(200, "GET", "/v1/merchants/m1/events?limit=200", merchant, nil)
			var page struct {
				Events []struct {
					ID, Type string
					Data     map[string]any
				}
				NextPageToken string `json:"next_page_token"`
			}
			if err := json.Unmarshal(list.Raw, &page); err != nil {
				t.Fatal(err)
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(page.Events) != want || len(rc.got) != want {
				t.Fatalf("listed %d, received %d, want %d: %s", len(page.Events), len(rc.got), want, list.Raw)
			}
			types := map[string]int{}
			for _, e := range page.Events {
				got, ok := rc.got[e.ID]
				if !ok || got.Type != e.Type {
					t.Fatalf("listed event %s %s was not delivered (%+v)", e.ID, e.Type, got)
				}
				if e.Data["merchant_id"] != "m1" {
					t.Fatalf("event %s data %v", e.ID, e.Data)
				}
				types[e.Type]++
			}
			if types[outbox.PaymentAuthorized] != 3 || types[outbox.PaymentCaptured] != 1 || types[outbox.PaymentRefunded] != 1 || types[outbox.PaymentCancelled] != 1 {
				t.Fatalf("event types %v", types)
			}
			if rc.requests < want+rc.failFirst || rc.badSigs != 0 {
				t.Fatalf("requests %d (want ≥ %d: the first %d failed and were retried), bad signatures %d", rc.requests, want+rc.failFirst, rc.failFirst, rc.badSigs)
			}
			// paging: after the 4th event come the last two
			p2 := s.Must(200, "GET", "/v1/merchants/m1/events?limit=2&after="+page.Events[3].ID, ops, nil)
			if !strings.Contains(string(p2.Raw), page.Events[4].ID) || !strings.Contains(string(p2.Raw), page.Events[5].ID) || p2.Str("next_page_token") != page.Events[5].ID {
				t.Fatalf("page after %s: %s", page.Events[3].ID, p2.Raw)
			}
			s.Must(403, "GET", "/v1/merchants/m1/events", merchant2, nil)
			s.Must(400, "GET", "/v1/merchants/m2/events?after="+page.Events[0].ID, merchant2, nil)

			// The stream has every event (m1's and m2's) for a consumer group.
			seen := map[string]bool{}
			waitFor(t, "the events on the stream", func() bool {
				res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c1", Streams: []string{outbox.StreamKey, ">"}, Count: 1000, Block: -1}).Result()
				if err != nil && err != redis.Nil {
					t.Fatal(err)
				}
				for _, st := range res {
					for _, m := range st.Messages {
						seen[fmt.Sprint(m.Values["id"])] = true
						rdb.XAck(ctx, outbox.StreamKey, group, m.ID)
					}
				}
				for _, e := range page.Events {
					if !seen[e.ID] {
						return false
					}
				}
				return true
			})
		})
	}
}
