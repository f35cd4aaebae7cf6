package reliability

import (
	"bytes"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// loadDriver runs workers that authorize+capture payments, refund captured ones and
// repay, each request with an Idempotency-Key, retried with the same key until it gets a
// definitive answer (so requests in flight at a kill are retried after the restart).
type loadDriver struct {
	c        *liveClient
	log      *opsLog
	users    []string
	stop     atomic.Bool
	wg       sync.WaitGroup
	firstOK  atomic.Int64 // unix nanos of the first 2xx after markFault
	faultAt  atomic.Int64
	gaveUp   atomic.Int64
	acked    atomic.Int64
	repay    bool
	plans    bool
	maxRetry time.Duration
}

func (d *loadDriver) markFault() { d.markFaultAt(time.Now()) }

// markFaultAt starts a recovery measurement from at; call it once the fault is in place
// (the process is dead), so a response already on its way does not count as recovery.
func (d *loadDriver) markFaultAt(at time.Time) {
	d.firstOK.Store(0)
	d.faultAt.Store(at.UnixNano())
}

// recovery returns fault → first acknowledged request (0 if none yet).
func (d *loadDriver) recovery() time.Duration {
	ok := d.firstOK.Load()
	if ok == 0 {
		return 0
	}
	return time.Duration(ok - d.faultAt.Load())
}

func (d *loadDriver) exec(o *op) bool {
	ok := d.c.run(o, d.maxRetry)
	d.log.add(o)
	if !ok {
		d.gaveUp.Add(1)
		return false
	}
	if o.status < 300 {
		d.acked.Add(1)
		if o.lastSent.UnixNano() >= d.faultAt.Load() {
			d.firstOK.CompareAndSwap(0, time.Now().UnixNano()) // sent after the fault: a recovery
		}
	}
	return true
}

func (d *loadDriver) start(workers int, seed uint64) {
	for w := 0; w < workers; w++ {
		d.wg.Add(1)
		go func(w int) {
			defer d.wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(w)))
			merchant := "rel-m-" + strconv.Itoa(w)
			mtok := e2etest.Token(merchant, auth.RoleMerchant)
			otok := e2etest.Token(opsSubject, auth.RoleOps)
			type captured struct {
				id      string
				left    int64
				refunds int
			}
			var caps []*captured
			mine := d.users
			if !full() {
				// Short form: each worker owns its users, so no two requests of one user race
				// (kept deterministic for make test); the full form shares users across workers.
				mine = nil
				for i := w; i < len(d.users); i += workers {
					mine = append(mine, d.users[i])
				}
			}
			for n := 0; !d.stop.Load(); n++ {
				user := mine[rnd.IntN(len(mine))]
				tag := fmt.Sprintf("%d-%d", w, n)
				switch x := rnd.IntN(10); {
				case x < 2 && len(caps) > 0:
					c := caps[rnd.IntN(len(caps))]
					if c.left < 100 || c.refunds >= 3 {
						continue
					}
					amt := 100 + rnd.Int64N(min(c.left-99, 500))
					c.left -= amt
					c.refunds++
					o := &op{kind: "refund", method: "POST", path: "/v1/payments/" + c.id + "/refunds", token: mtok,
						key: "rf-" + tag, body: mustJSON(map[string]any{"amount": yuan(amt), "reason": "crash test"})}
					d.exec(o)
				case x < 4 && d.repay:
					o := &op{kind: "repayment", method: "POST", path: "/v1/users/" + user + "/repayments", token: otok,
						key: "rp-" + tag, body: mustJSON(map[string]any{"amount": yuan(500 + rnd.Int64N(2000))})}
					d.exec(o)
				default:
					amt := 1000 + rnd.Int64N(9000)
					plan := d.plans && rnd.IntN(5) == 0
					if plan {
						amt = 10000 + rnd.Int64N(20000) // installments need 100.00 or more
					}
					a := &op{kind: "authorize", method: "POST", path: "/v1/payments", token: mtok, key: "au-" + tag,
						body: mustJSON(map[string]any{"user_id": user, "merchant_order_id": "o-" + tag, "amount": yuan(amt)})}
					if !d.exec(a) || a.status != 200 || a.field("status") != "authorized" {
						continue
					}
					cp := &op{kind: "capture", method: "POST", path: "/v1/payments/" + a.field("payment_id") + "/capture",
						token: mtok, key: "cp-" + tag, body: []byte("{}")}
					if d.exec(cp) && cp.status == 200 && cp.field("status") == "captured" {
						if plan {
							// convert the purchase into installments (the shopper's own call)
							pl := &op{kind: "plan", method: "POST", path: "/v1/users/" + user + "/installment-plans",
								token: e2etest.Token(user, auth.RoleShopper), key: "pl-" + tag,
								body: mustJSON(map[string]any{"payment_id": a.field("payment_id"), "terms": 3})}
							d.exec(pl)
							continue // refunds of plans re-spread schedules; keep refunds on plain purchases
						}
						caps = append(caps, &captured{id: a.field("payment_id"), left: amt})
					}
				}
			}
		}(w)
	}
}

func (d *loadDriver) finish() {
	d.stop.Store(true)
	d.wg.Wait()
}

// verifyLedger checks every acknowledged operation exists exactly once and every
// business row has exactly its ledger entry (and no entry lacks its row): returns lost
// and duplicated counts.
func verifyOps(t *testing.T, db *sql.DB, log *opsLog) (lost, dup int) {
	t.Helper()
	kinds := log.byKind()
	orders := map[string]bool{}
	for _, o := range kinds["authorize"] {
		if o.status != 200 {
			continue
		}
		orders[o.key] = true
		id := o.field("payment_id")
		n := count(t, db, "SELECT COUNT(*) FROM payment WHERE id = ?", id)
		switch {
		case n == 0:
			lost++
			t.Errorf("acknowledged payment %s (%s) missing", id, o.key)
		case n > 1:
			dup++
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM payment WHERE merchant_id LIKE 'rel-m-%'"); n != len(orders) {
		t.Errorf("payments in the database: %d, acknowledged orders: %d", n, len(orders))
		if n > len(orders) {
			dup += n - len(orders)
		} else {
			lost += len(orders) - n
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM (SELECT merchant_id, merchant_order_id FROM payment GROUP BY merchant_id, merchant_order_id HAVING COUNT(*) > 1) d"); n > 0 {
		dup += n
		t.Errorf("%d merchant orders have more than one payment", n)
	}
	for _, o := range kinds["capture"] {
		if o.status != 200 || o.field("status") != "captured" {
			continue
		}
		id := o.field("payment_id")
		if n := count(t, db, "SELECT COUNT(*) FROM payment WHERE id = ? AND status IN ('captured','refunded') AND captured_at > 0", id); n != 1 {
			lost++
			t.Errorf("acknowledged capture of %s not in the database", id)
		}
	}
	refundsPerPayment := map[string]int{}
	for _, o := range kinds["refund"] {
		if o.status != 200 {
			continue
		}
		id := o.field("refund_id")
		refundsPerPayment[o.field("payment_id")]++
		switch n := count(t, db, "SELECT COUNT(*) FROM payment_refund WHERE id = ?", id); {
		case n == 0:
			lost++
			t.Errorf("acknowledged refund %s missing", id)
		case n > 1:
			dup++
		}
	}
	for pid, want := range refundsPerPayment {
		if n := count(t, db, "SELECT COUNT(*) FROM payment_refund WHERE payment_id = ?", pid); n != want {
			t.Errorf("payment %s: %d refunds stored, %d acknowledged", pid, n, want)
			if n > want {
				dup += n - want
			}
		}
	}
	plans := 0
	for _, o := range kinds["plan"] {
		if o.status != 200 {
			continue
		}
		plans++
		id := o.field("plan_id")
		switch n := count(t, db, "SELECT COUNT(*) FROM installment_plan WHERE id = ?", id); {
		case n == 0:
			lost++
			t.Errorf("acknowledged installment plan %s missing", id)
		case n > 1:
			dup++
		}
	}
	if len(kinds["plan"]) > 0 {
		if n := count(t, db, "SELECT COUNT(*) FROM installment_plan"); n != plans {
			t.Errorf("installment plans stored %d, acknowledged %d", n, plans)
			if n > plans {
				dup += n - plans
			} else {
				lost += plans - n
			}
		}
	}
	repayments := 0
	for _, o := range kinds["repayment"] {
		if o.status != 200 {
			continue
		}
		repayments++
		id := o.field("repayment_id")
		switch n := count(t, db, "SELECT COUNT(*) FROM repayment WHERE id = ?", id); {
		case n == 0:
			lost++
			t.Errorf("acknowledged repayment %s missing", id)
		case n > 1:
			dup++
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM repayment"); n != repayments {
		t.Errorf("repayments stored %d, acknowledged %d", n, repayments)
		if n > repayments {
			dup += n - repayments
		}
	}
	// Business rows ⇔ ledger entries: nothing half-applied.
	pairs := []struct{ name, rows, entries, orphan string }{
		{"captures",
			"SELECT COUNT(*) FROM payment WHERE captured_at > 0",
			"SELECT COUNT(*) FROM ledger_entry WHERE idempotency_id LIKE 'payment:%:capture'",
			"SELECT COUNT(*) FROM payment p WHERE p.captured_at > 0 AND (SELECT COUNT(*) FROM ledger_entry e WHERE e.idempotency_id = CONCAT('payment:', p.id, ':capture')) <> 1"},
		{"refunds",
			"SELECT COUNT(*) FROM payment_refund",
			"SELECT COUNT(*) FROM ledger_entry WHERE idempotency_id LIKE 'payment:%:refund:%'",
			"SELECT COUNT(*) FROM payment_refund r WHERE (SELECT COUNT(*) FROM ledger_entry e WHERE e.idempotency_id = CONCAT('payment:', r.payment_id, ':refund:', r.id)) <> 1"},
		{"repayments",
			"SELECT COUNT(*) FROM repayment",
			"SELECT COUNT(*) FROM ledger_entry WHERE idempotency_id LIKE 'repayment:%'",
			"SELECT COUNT(*) FROM repayment r WHERE (SELECT COUNT(*) FROM ledger_entry e WHERE e.idempotency_id = CONCAT('repayment:', r.id)) <> 1"},
	}
	for _, p := range pairs {
		rows, entries, orphans := count(t, db, p.rows), count(t, db, p.entries), count(t, db, p.orphan)
		if rows != entries || orphans != 0 {
			t.Errorf("%s: %d business rows, %d ledger entries, %d rows without exactly one entry", p.name, rows, entries, orphans)
		}
	}
	// Refunded totals agree with the refund rows.
	if n := count(t, db, "SELECT COUNT(*) FROM payment p WHERE p.refunded_amount <> COALESCE((SELECT SUM(r.amount) FROM payment_refund r WHERE r.payment_id = p.id), 0)"); n != 0 {
		t.Errorf("%d payments whose refunded_amount differs from their refunds", n)
	}
	return lost, dup
}

// replayAcknowledged re-sends acknowledged requests with their keys: the stored
// response must come back byte for byte.
func replayAcknowledged(t *testing.T, c *liveClient, log *opsLog, limit int) int {
	t.Helper()
	log.mu.Lock()
	ops := append([]*op(nil), log.ops...)
	log.mu.Unlock()
	step := max(1, len(ops)/max(1, limit))
	n := 0
	for i := 0; i < len(ops); i += step {
		o := ops[i]
		if o.status != 200 {
			continue
		}
		status, raw, err := c.do(o.method, o.path, o.token, o.body, o.key)
		n++
		if err != nil || status != o.status || !bytes.Equal(raw, o.resp) {
			t.Errorf("replay %s %s (%s): %d %s, originally %d %s (%v)", o.method, o.path, o.key, status, raw, o.status, o.resp, err)
		}
	}
	return n
}

func plansLanded(s *e2etest.Server) bool {
	r := s.Call("POST", "/v1/users/"+ownUser+"/installment-plans", e2etest.Token(ownUser, auth.RoleShopper), map[string]any{"terms": "x"})
	return r.Status == 400
}

func repaymentsLanded(s *e2etest.Server) bool {
	r := s.Call("POST", "/v1/users/"+ownUser+"/repayments", e2etest.Token(opsSubject, auth.RoleOps), map[string]any{"amount": "abc"})
	return r.Status == 400
}

// TestReliabilityCrash drives concurrent payments, captures, refunds and repayments on
// MariaDB, SIGKILLs the server at random moments and restarts it on the same database;
// every acknowledged operation must exist exactly once, nothing may be half-applied and
// the books must balance.
func TestReliabilityCrash(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", Config: relaxedConfig(""), Env: []string{"HUABEI_JOBS_CRON=off"}})
	s.SetClock("2026-11-05T10:00:00+08:00")
	users := make([]string, pick(6, 24))
	for i := range users {
		users[i] = "rel-crash-" + strconv.Itoa(i)
		seedUser(t, s, users[i])
	}
	d := &loadDriver{c: newLiveClient(s), log: &opsLog{}, users: users, repay: repaymentsLanded(s), plans: plansLanded(s), maxRetry: 3 * time.Minute}
	if !d.plans {
		t.Log("installment plans route not available: the crash test makes no plans")
	}
	if !d.repay {
		t.Log("repayments route not available: crash test drives payments, captures and refunds only")
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	kills := pick(2, 10)
	var recoveries []time.Duration
	d.start(pick(4, 8), 42)
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(400+rnd.IntN(1200)) * time.Millisecond)
		killedAt := time.Now()
		s.Kill()
		d.markFaultAt(killedAt)
		s.Restart()
		d.c.follow(s)
		deadline := time.Now().Add(2 * time.Minute)
		for d.recovery() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		recoveries = append(recoveries, d.recovery())
		t.Logf("kill %d: first acknowledged request %v after SIGKILL (acknowledged so far %d)", k+1, d.recovery(), d.acked.Load())
	}
	time.Sleep(500 * time.Millisecond)
	d.finish()
	if g := d.gaveUp.Load(); g > 0 {
		t.Errorf("%d operations never got a definitive answer", g)
	}
	serverErrors, retries := 0, 0
	for _, o := range d.log.ops {
		serverErrors += o.serverErrors
		retries += o.retries
	}
	if serverErrors > 0 {
		t.Errorf("%d 500 responses (a crash must look like a dropped connection, never a 500)", serverErrors)
	}
	db, err := sql.Open("mysql", s.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost, dup := verifyOps(t, db, d.log)
	replayed := replayAcknowledged(t, d.c, d.log, pick(150, 100000))
	bad := checkMoneyInvariants(t, s, db)
	kinds := d.log.byKind()
	for kind, list := range kinds {
		refused := 0
		for _, o := range list {
			if o.status >= 300 {
				if refused == 0 {
					t.Logf("%s refused: %d %s", kind, o.status, o.resp)
				}
				refused++
			}
		}
		if refused > 0 {
			t.Logf("%d %s operations refused (definitive 4xx answers)", refused, kind)
		}
	}
	t.Logf("crash: %d operations (%d authorize, %d capture, %d refund, %d repayment, %d plan), %d acknowledged, %d retries, %d kills, %d replays identical, %d invariant violations",
		len(d.log.ops), len(kinds["authorize"]), len(kinds["capture"]), len(kinds["refund"]), len(kinds["repayment"]), len(kinds["plan"]), d.acked.Load(), retries, kills, replayed, bad)
	var worst, total time.Duration
	for _, r := range recoveries {
		worst = max(worst, r)
		total += r
	}
	scenario := "crash: kill -9 under payments/captures/refunds"
	if d.repay {
		scenario += "/repayments"
	}
	if d.plans {
		scenario += "/installment plans"
	}
	scenario += " (MariaDB)"
	report(summaryRow{Scenario: scenario, Operations: len(d.log.ops),
		Faults: fmt.Sprintf("%d × SIGKILL, %d retried requests", kills, retries), Lost: lost, Duplicated: dup,
		Recovery: fmt.Sprintf("mean %s, max %s", fmtDur(total/time.Duration(max(1, len(recoveries)))), fmtDur(worst))})
}
