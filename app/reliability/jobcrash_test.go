package reliability

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// seedBook gives n users lines and two captured November purchases each, with amounts
// fixed by the user's index, so two servers seeded alike hold the same business data.
func seedBook(t *testing.T, s *e2etest.Server, n int) {
	t.Helper()
	s.SetClock("2026-11-05T10:00:00+08:00")
	c := newLiveClient(s)
	ops := e2etest.Token(opsSubject, auth.RoleOps)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				user := fmt.Sprintf("rel-book-%03d", i)
				m := e2etest.Token("rel-book-merchant", auth.RoleMerchant)
				steps := []*op{
					{method: "PUT", path: "/v1/credit/profiles/" + user, token: ops, body: mustJSON(goodProfile)},
					{method: "POST", path: "/v1/credit/applications", token: ops, body: mustJSON(map[string]any{"user_id": user})},
				}
				for _, o := range steps {
					if !c.run(o, time.Minute) || o.status != 200 {
						errs <- fmt.Errorf("seed %s %s: %d %s", o.method, o.path, o.status, o.resp)
						return
					}
				}
				for k := 0; k < 2; k++ {
					amt := int64(10000 + 731*i + 1913*k)
					a := &op{method: "POST", path: "/v1/payments", token: m, key: fmt.Sprintf("bk-%d-%d", i, k),
						body: mustJSON(map[string]any{"user_id": user, "merchant_order_id": fmt.Sprintf("bk-%d-%d", i, k), "amount": yuan(amt)})}
					if !c.run(a, time.Minute) || a.field("status") != "authorized" {
						errs <- fmt.Errorf("seed payment %s: %d %s", user, a.status, a.resp)
						return
					}
					cp := &op{method: "POST", path: "/v1/payments/" + a.field("payment_id") + "/capture", token: m, key: "bkc-" + a.key, body: []byte("{}")}
					if !c.run(cp, time.Minute) || cp.field("status") != "captured" {
						errs <- fmt.Errorf("seed capture %s: %d %s", user, cp.status, cp.resp)
						return
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// runJobSync runs name for date and waits (taking over a crashed run once its lease
// expires); it returns the run.
func runJobSync(t *testing.T, s *e2etest.Server, name, date string) e2etest.Response {
	t.Helper()
	r := s.Must(200, "POST", "/v1/ops/jobs/"+name+"/runs", e2etest.Token(opsSubject, auth.RoleOps), map[string]any{"business_date": date})
	if r.Str("status") != "succeeded" {
		t.Fatalf("job %s %s: %s", name, date, r.Raw)
	}
	return r
}

// waitLeaseExpired waits until no runner holds name/date (its lease has expired or the
// run has finished), reading the job_run row.
func waitLeaseExpired(t *testing.T, db *sql.DB, name string, date int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var status string
		var lease int64
		err := db.QueryRow("SELECT status, lease_expires_at FROM job_run WHERE name = ? AND business_date = ?", name, date).Scan(&status, &lease)
		if err == sql.ErrNoRows || (err == nil && (status != "running" || lease < time.Now().UnixMilli())) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s %d: lease never expired", name, date)
}

// crashJob starts name/date asynchronously and SIGKILLs the server once the run has
// processed a growing share of the users, kills times, restarting and resuming each time;
// then finishes the run synchronously. It returns
// how many kills landed while the run was still running.
func crashJob(t *testing.T, s *e2etest.Server, db *sql.DB, name, date string, users, kills int, rnd *rand.Rand) int {
	t.Helper()
	d, _ := strconv.Atoi(strings.ReplaceAll(date, "-", ""))
	mid := 0
	for k := 0; k < kills; k++ {
		waitLeaseExpired(t, db, name, d)
		s.Must(200, "POST", "/v1/ops/jobs/"+name+"/runs", e2etest.Token(opsSubject, auth.RoleOps), map[string]any{"business_date": date, "async": true})
		// Kill either at once (before the first checkpoint) or right after the run has
		// committed a growing share of the users; runs are fast, so a tight poll, no sleep.
		if rnd.IntN(2) == 1 {
			target := int64(1 + k*users/(2*(kills+1)))
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				var status string
				var processed int64
				err := db.QueryRow("SELECT status, processed FROM job_run WHERE name = ? AND business_date = ?", name, d).Scan(&status, &processed)
				if err == nil && (processed >= target || status != "running") {
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		s.Kill()
		var status string
		var processed int64
		if err := db.QueryRow("SELECT status, processed FROM job_run WHERE name = ? AND business_date = ?", name, d).Scan(&status, &processed); err != nil {
			t.Fatal(err)
		}
		if status == "running" {
			mid++
		}
		t.Logf("%s %s kill %d: run was %s with %d processed", name, date, k+1, status, processed)
		s.Restart()
	}
	runJobSync(t, s, name, date)
	return mid
}

// bookSnapshot is what the statements and accrue jobs produced, keyed by user (ids
// differ between servers, user ids and amounts do not).
func bookSnapshot(t *testing.T, db *sql.DB) (snap []string, statements, accruals int) {
	t.Helper()
	queries := []string{
		"SELECT CONCAT_WS(',', 'statement', user_id, period, statement_date, due_date, opening_balance, new_purchases, refunds, installments_due, interest, penalty, fees, payments_and_credits, new_balance, minimum_due, paid, status) FROM statement",
		"SELECT CONCAT_WS(',', 'line', user_id, line_date, kind, amount) FROM statement_line",
		"SELECT CONCAT_WS(',', 'accrual', user_id, business_date, kind, base, amount_micro) FROM accrual",
		"SELECT CONCAT_WS(',', 'entries', entry_type, COUNT(*)) FROM ledger_entry GROUP BY entry_type",
		"SELECT CONCAT_WS(',', 'balance', account, SUM(debits), SUM(credits)) FROM ledger_balance GROUP BY account",
		"SELECT CONCAT_WS(',', 'line', user_id, status, outstanding, held) FROM credit_line",
		"SELECT CONCAT_WS(',', 'account', user_id, days_past_due) FROM billing_account",
	}
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			if strings.Contains(q, "billing_account") {
				continue // column names may differ; the rest still compares
			}
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			snap = append(snap, s)
			switch {
			case strings.HasPrefix(s, "statement,"):
				statements++
			case strings.HasPrefix(s, "accrual,"):
				accruals++
			}
		}
		rows.Close()
	}
	sort.Strings(snap)
	return snap, statements, accruals
}

func diffSnapshots(a, b []string) (onlyA, onlyB []string) {
	ca := map[string]int{}
	for _, s := range a {
		ca[s]++
	}
	for _, s := range b {
		if ca[s] > 0 {
			ca[s]--
		} else {
			onlyB = append(onlyB, s)
		}
	}
	for s, n := range ca {
		for ; n > 0; n-- {
			onlyA = append(onlyA, s)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return
}

// TestReliabilityJobCrash kills the server during the statements and accrue runs,
// restarts it and re-runs them; the books must equal an uninterrupted control run on
// another fresh database seeded alike: nobody billed twice, nobody skipped.
func TestReliabilityJobCrash(t *testing.T) {
	env := []string{"HUABEI_JOBS_CRON=off", "HUABEI_JOBS_LEASE_TTL=1s", "HUABEI_BILLING_CHUNK_SIZE=1"}
	// Small sequential chunks so a run commits many checkpoints and kills land between them.
	cfg := strings.Replace(relaxedConfig(""), "chunk_size: 200", "chunk_size: 1", 1)
	cfg = strings.Replace(cfg, "parallel: 4 ", "parallel: 1 ", 1)
	control := e2etest.Start(t, e2etest.Options{Engine: "mysql", Config: cfg, Env: env})
	crash := e2etest.Start(t, e2etest.Options{Engine: "mysql", Config: cfg, Env: env})
	if r := control.Call("GET", "/v1/ops/jobs/statements/runs/2026-12-01", e2etest.Token(opsSubject, auth.RoleOps), nil); r.Status == 404 && r.Reason() == "JOB_NOT_FOUND" {
		t.Skip("statements job not registered yet")
	}
	n := pick(40, 150)
	seedBook(t, control, n)
	seedBook(t, crash, n)
	cdb, err := sql.Open("mysql", control.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	xdb, err := sql.Open("mysql", crash.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer xdb.Close()

	rnd := rand.New(rand.NewPCG(12, 1))
	kills := pick(1, 3)
	accrueDates := []string{"2026-12-11", "2026-12-12"}
	if full() {
		accrueDates = append(accrueDates, "2026-12-13", "2026-12-14")
	}
	totalKills, mid := 0, 0
	var recoveries []time.Duration
	for _, srv := range []*e2etest.Server{control, crash} {
		srv.SetClock("2026-12-01T00:30:00+08:00")
	}
	runJobSync(t, control, "statements", "2026-12-01")
	start := time.Now()
	mid += crashJob(t, crash, xdb, "statements", "2026-12-01", n, kills, rnd)
	recoveries = append(recoveries, time.Since(start))
	totalKills += kills
	for _, date := range accrueDates {
		for _, srv := range []*e2etest.Server{control, crash} {
			srv.SetClock(date + "T23:50:00+08:00")
		}
		runJobSync(t, control, "accrue", date)
		start := time.Now()
		mid += crashJob(t, crash, xdb, "accrue", date, n, kills, rnd)
		recoveries = append(recoveries, time.Since(start))
		totalKills += kills
	}
	// A second full pass over every date changes nothing (completed runs are not repeated).
	runJobSync(t, crash, "statements", "2026-12-01")
	for _, date := range accrueDates {
		runJobSync(t, crash, "accrue", date)
	}

	want, wantStatements, wantAccruals := bookSnapshot(t, cdb)
	got, gotStatements, gotAccruals := bookSnapshot(t, xdb)
	onlyControl, onlyCrash := diffSnapshots(want, got)
	for i, s := range onlyControl {
		if i < 10 {
			t.Errorf("skipped (in the control run only): %s", s)
		}
	}
	for i, s := range onlyCrash {
		if i < 10 {
			t.Errorf("extra (in the crashed run only): %s", s)
		}
	}
	if wantStatements < n {
		t.Errorf("control run issued %d statements for %d users with purchases", wantStatements, n)
	}
	if wantAccruals == 0 {
		t.Errorf("control run accrued nothing: the accrue scenario proves nothing")
	}
	checkMoneyInvariants(t, crash, xdb)
	t.Logf("job crash: %d users, %d statements and %d accruals in both runs, %d kills (%d while the run was running)", n, gotStatements, gotAccruals, totalKills, mid)
	var worst time.Duration
	for _, r := range recoveries {
		worst = max(worst, r)
	}
	lost, dup := len(onlyControl), len(onlyCrash)
	report(summaryRow{Scenario: "job crash: statements + accrue killed mid-run (MariaDB), vs control run", Operations: gotStatements + gotAccruals,
		Faults: fmt.Sprintf("%d × SIGKILL (%d mid-run)", totalKills, mid), Lost: lost, Duplicated: dup,
		Recovery: "max " + fmtDur(worst) + " kill → run completed (lease 1s)"})
}
