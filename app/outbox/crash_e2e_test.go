package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/outbox"
)

// countingReceiver is a receiver that answers after delay (a slow endpoint keeps
// deliveries in flight for the kill).
type countingReceiver struct {
	*receiver
	delay time.Duration
}

func newCountingReceiver(delay time.Duration) *countingReceiver {
	return &countingReceiver{receiver: &receiver{got: map[string]outbox.Stored{}}, delay: delay}
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(c.delay)
	c.receiver.ServeHTTP(w, r)
}

// merchantEventIDs reads the ids of the merchant's committed events straight from the
// database (what must be delivered).
func merchantEventIDs(t *testing.T, dsn, merchantID string) []string {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT seq FROM outbox_event WHERE merchant_id = ? ORDER BY seq", merchantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		out = append(out, outbox.IDOf(seq))
	}
	return out
}

func makePayments(t *testing.T, s *e2etest.Server, prefix string, n int) {
	t.Helper()
	user := "u-" + prefix + ids.String(ids.New()) // Redis velocity counters outlive the test database
	openLine(t, s, user)
	for i := 0; i < n; i++ {
		p := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": user, "merchant_order_id": fmt.Sprint(prefix, i), "amount": fmt.Sprintf("%d.%02d", 10+i, i)})
		if p.Str("status") != "authorized" {
			t.Fatalf("payment declined: %s", p.Raw)
		}
		s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", merchant, map[string]any{})
	}
}

// checkAllDelivered waits until the endpoint received every id in want and checks it got
// nothing else (ids are stable across the crash).
func checkAllDelivered(t *testing.T, rc *receiver, want []string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("all %d events at the endpoint", len(want)), func() bool { return rc.count() >= len(want) })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var got []string
	for id := range rc.got {
		got = append(got, id)
	}
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Fatalf("delivered ids %v\nwant (committed before the crash) %v", got, w)
	}
	if rc.badSigs != 0 {
		t.Fatalf("%d deliveries with a bad signature", rc.badSigs)
	}
}

// TestEventsSurviveKillE2E (MariaDB + Redis): events committed with their business change
// are delivered after a kill -9, whether the process died before relaying them or in the
// middle of delivering them: every one at least once, with the id it was committed with,
// on the webhook and on the stream.
func TestEventsSurviveKillE2E(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: datatest.RedisAddr()})
	defer rdb.Close()
	group := "crash-" + ids.String(ids.New())
	if err := rdb.XGroupCreateMkStream(ctx, outbox.StreamKey, group, "$").Err(); err != nil {
		t.Fatalf("create consumer group: %v", err)
	}
	defer rdb.XGroupDestroy(ctx, outbox.StreamKey, group)

	rc := newCountingReceiver(0)
	hook := httptest.NewServer(rc)
	defer hook.Close()

	// 1. The relay is off: business commits, then kill -9 before any delivery.
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", Redis: true, Config: fastRetries(t),
		Env: []string{"HUABEI_JOBS_CRON=off", "HUABEI_EVENT_RELAY=off", "HUABEI_JOBS_LEASE_TTL=1s"}})
	secret := s.Must(200, "PUT", "/v1/merchants/m1/webhook", merchant, map[string]string{"url": hook.URL}).Str("secret")
	rc.mu.Lock()
	rc.secret = secret
	rc.mu.Unlock()
	makePayments(t, s, "a", 10)
	before := merchantEventIDs(t, s.MySQLDSN, "m1")
	if len(before) != 20 {
		t.Fatalf("%d events committed, want 20", len(before))
	}
	s.Kill()
	if rc.count() != 0 {
		t.Fatal("events were delivered with the relay off")
	}
	s2 := e2etest.Start(t, e2etest.Options{Engine: "mysql", MySQLDSN: s.MySQLDSN, Redis: true, Config: fastRetries(t),
		Env: []string{"HUABEI_JOBS_CRON=off", "HUABEI_JOBS_LEASE_TTL=1s"}})
	checkAllDelivered(t, rc.receiver, before)

	// 2. Kill -9 while deliveries are in flight (a slow endpoint), then restart.
	slow := newCountingReceiver(40 * time.Millisecond)
	slow.secret = secret
	hook2 := httptest.NewServer(slow)
	defer hook2.Close()
	s2.Must(200, "PUT", "/v1/merchants/m1/webhook", merchant, map[string]string{"url": hook2.URL})
	makePayments(t, s2, "b", 15)
	waitFor(t, "some deliveries before the kill", func() bool { return slow.count() >= 3 })
	s2.Kill()
	delivered := slow.count()
	all := merchantEventIDs(t, s.MySQLDSN, "m1")
	var second []string
	for _, id := range all[len(before):] {
		second = append(second, id)
	}
	if delivered >= len(second) {
		t.Fatalf("every event was delivered before the kill (%d): the kill did not interrupt deliveries", delivered)
	}
	s2.Restart()
	checkAllDelivered(t, slow.receiver, second)
	slow.mu.Lock()
	t.Logf("kill during delivery: %d of %d delivered before the kill, %d requests in all (duplicates are allowed: ids dedupe)", delivered, len(second), slow.requests)
	slow.mu.Unlock()

	// Every event is on the stream for a consumer group, with its committed id.
	seen := map[string]bool{}
	waitFor(t, "every event on the stream", func() bool {
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
		for _, id := range all {
			if !seen[id] {
				return false
			}
		}
		return true
	})
}
