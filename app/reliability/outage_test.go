package reliability

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/e2etest"
)

// outageTotals sums what the client saw.
func outageTotals(log *opsLog) (ops, serverErrors, unavailable, retries int) {
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, o := range log.ops {
		serverErrors += o.serverErrors
		unavailable += o.unavailable
		retries += o.retries
	}
	return len(log.ops), serverErrors, unavailable, retries
}

func checkNoPanic(t *testing.T, s *e2etest.Server) {
	t.Helper()
	if strings.Contains(s.Logs(), "msg=panic") || strings.Contains(s.Logs(), "goroutine ") {
		t.Errorf("server log shows a panic")
	}
}

// TestReliabilityDatabaseOutage cuts MariaDB away from the server (a TCP proxy in
// between) under load: requests get 503 SERVICE_UNAVAILABLE, never a 500 or a panic;
// when the database returns the server recovers by itself and nothing is lost.
func TestReliabilityDatabaseOutage(t *testing.T) {
	dsn := datatest.NewMySQLDatabase(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := e2etest.NewProxy(t, cfg.Addr)
	proxied := *cfg
	proxied.Addr = proxy.Addr
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", MySQLDSN: proxied.FormatDSN(), Config: relaxedConfig(""), Env: []string{"HUABEI_JOBS_CRON=off"}})
	s.SetClock("2026-11-05T10:00:00+08:00")
	users := make([]string, 6)
	for i := range users {
		users[i] = "rel-dbout-" + strconv.Itoa(i)
		seedUser(t, s, users[i])
	}
	d := &loadDriver{c: newLiveClient(s), log: &opsLog{}, users: users, repay: repaymentsLanded(s), maxRetry: 3 * time.Minute}
	d.start(4, 99)
	outages := pick(1, 3)
	down := time.Duration(pick(2, 5)) * time.Second
	var recoveries []time.Duration
	readyDown := 0
	for i := 0; i < outages; i++ {
		time.Sleep(time.Second)
		proxy.SetDown(true)
		until := time.Now().Add(down)
		for time.Now().Before(until) {
			if r := s.Call("GET", "/readyz", "", nil); r.Status == 503 && r.Str("database") == "unavailable" {
				readyDown++
			}
			time.Sleep(200 * time.Millisecond)
		}
		d.markFault()
		proxy.SetDown(false)
		deadline := time.Now().Add(time.Minute)
		for d.recovery() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if d.recovery() == 0 {
			t.Fatalf("outage %d: no request succeeded within a minute of the database returning", i+1)
		}
		recoveries = append(recoveries, d.recovery())
		t.Logf("outage %d (%v): first acknowledged request %v after the database returned", i+1, down, d.recovery())
	}
	time.Sleep(500 * time.Millisecond)
	d.finish()
	ops, serverErrors, unavailable, retries := outageTotals(d.log)
	if serverErrors > 0 {
		t.Errorf("%d 500s during the database outage (want 503 SERVICE_UNAVAILABLE)", serverErrors)
	}
	if unavailable == 0 {
		t.Errorf("no 503 seen while the database was down")
	}
	if readyDown == 0 {
		t.Errorf("/readyz never reported the database unavailable")
	}
	if g := d.gaveUp.Load(); g > 0 {
		t.Errorf("%d operations never got a definitive answer", g)
	}
	checkNoPanic(t, s)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost, dup := verifyOps(t, db, d.log)
	replayAcknowledged(t, d.c, d.log, pick(100, 100000))
	checkMoneyInvariants(t, s, db)
	var worst time.Duration
	for _, r := range recoveries {
		worst = max(worst, r)
	}
	t.Logf("database outage: %d operations, %d 503s, %d 500s, %d retries", ops, unavailable, serverErrors, retries)
	report(summaryRow{Scenario: "database outage under load (MariaDB behind a cut proxy)", Operations: ops,
		Faults: fmt.Sprintf("%d × %v outage, %d × 503, %d × 500", outages, down, unavailable, serverErrors), Lost: lost, Duplicated: dup,
		Recovery: "max " + fmtDur(worst) + " after DB back"})
}

// TestReliabilityRedisOutage cuts Redis away under load: payments keep working on the
// in-process fallbacks, /readyz reports "degraded", and nothing is lost.
func TestReliabilityRedisOutage(t *testing.T) {
	proxy := e2etest.NewProxy(t, datatest.RedisAddr())
	dsn := datatest.NewMySQLDatabase(t)
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", MySQLDSN: dsn, Config: relaxedConfig(""),
		Env: []string{"HUABEI_JOBS_CRON=off", "HUABEI_REDIS_ADDR=" + proxy.Addr}})
	if r := s.Must(200, "GET", "/readyz", "", nil); r.Str("redis") != "ok" {
		t.Fatalf("readyz before the outage: %s", r.Raw)
	}
	s.SetClock("2026-11-05T10:00:00+08:00")
	users := make([]string, 6)
	for i := range users {
		users[i] = "rel-redisout-" + strconv.Itoa(i)
		seedUser(t, s, users[i])
	}
	d := &loadDriver{c: newLiveClient(s), log: &opsLog{}, users: users, repay: repaymentsLanded(s), maxRetry: 3 * time.Minute}
	d.start(4, 77)
	time.Sleep(time.Second)
	proxy.SetDown(true)
	ackedBefore := d.acked.Load()
	down := time.Duration(pick(3, 8)) * time.Second
	degraded := 0
	until := time.Now().Add(down)
	for time.Now().Before(until) {
		r := s.Call("GET", "/readyz", "", nil)
		if r.Status == 200 && r.Str("status") == "degraded" && r.Str("redis") == "unavailable" {
			degraded++
		}
		time.Sleep(250 * time.Millisecond)
	}
	ackedDuring := d.acked.Load() - ackedBefore
	proxy.SetDown(false)
	deadline := time.Now().Add(30 * time.Second)
	var back time.Duration
	start := time.Now()
	for {
		if r := s.Call("GET", "/readyz", "", nil); r.Status == 200 && r.Str("redis") == "ok" {
			back = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not report Redis ok within 30 s of its return")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	d.finish()
	ops, serverErrors, unavailable, retries := outageTotals(d.log)
	if ackedDuring == 0 {
		t.Errorf("no operation acknowledged while Redis was down (payments must fall back)")
	}
	if degraded == 0 {
		t.Errorf("/readyz never said degraded while Redis was down")
	}
	if serverErrors > 0 || unavailable > 0 {
		t.Errorf("Redis outage surfaced to clients: %d 500s, %d 503s", serverErrors, unavailable)
	}
	if g := d.gaveUp.Load(); g > 0 {
		t.Errorf("%d operations never got a definitive answer", g)
	}
	checkNoPanic(t, s)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost, dup := verifyOps(t, db, d.log)
	checkMoneyInvariants(t, s, db)
	t.Logf("redis outage: %d operations, %d acknowledged during the %v outage, readyz degraded %d times, %d retries, ready %v after Redis returned",
		ops, ackedDuring, down, degraded, retries, back)
	report(summaryRow{Scenario: "Redis outage under load (fallback)", Operations: ops,
		Faults: fmt.Sprintf("1 × %v outage, %d ops acknowledged during it, %d × 5xx", down, ackedDuring, serverErrors+unavailable),
		Lost:   lost, Duplicated: dup, Recovery: "0 (no client-visible outage); readyz ok " + fmtDur(back) + " after Redis back"})
}
