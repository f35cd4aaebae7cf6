package service_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

var billingProfile = map[string]any{
	"kyc_verified": true, "age": 35, "education": "master", "employment": "employed",
	"employment_months": 60, "monthly_income": "20000.00", "assets": "300000.00", "housing": "own",
	"credit_history_months": 96, "late_payments_12m": 0, "max_dpd_24m": 0,
	"outstanding_debt": "0.00", "inquiries_6m": 0,
}

type bworld struct {
	t        *testing.T
	s        *e2etest.Server
	ops      string
	merchant string
	orders   int
}

func newBWorld(t *testing.T, s *e2etest.Server) *bworld {
	return &bworld{t: t, s: s, ops: e2etest.Token("e2e-ops", auth.RoleOps), merchant: e2etest.Token("shop1", auth.RoleMerchant)}
}

func (w *bworld) shopper(user string) {
	w.t.Helper()
	w.s.Must(200, "PUT", "/v1/credit/profiles/"+user, w.ops, billingProfile)
	app := w.s.Must(200, "POST", "/v1/credit/applications", w.ops, map[string]any{"user_id": user})
	if app.Str("decision") != "approved" {
		w.t.Fatalf("%s declined: %s", user, app.Raw)
	}
}

func (w *bworld) authorize(user, amount string) e2etest.Response {
	w.t.Helper()
	w.orders++
	return w.s.Must(200, "POST", "/v1/payments", w.merchant, map[string]any{"user_id": user, "merchant_order_id": fmt.Sprintf("o%d", w.orders), "amount": amount})
}

func (w *bworld) buy(user, amount string) string {
	w.t.Helper()
	p := w.authorize(user, amount)
	if p.Str("status") != "authorized" {
		w.t.Fatalf("payment for %s: %s", user, p.Raw)
	}
	c := w.s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", w.merchant, map[string]any{})
	if c.Str("status") != "captured" {
		w.t.Fatalf("capture: %s", c.Raw)
	}
	return p.Str("payment_id")
}

func (w *bworld) job(name, date string) {
	w.t.Helper()
	r := w.s.Must(200, "POST", "/v1/ops/jobs/"+name+"/runs", w.ops, map[string]any{"business_date": date})
	if r.Str("status") != "succeeded" {
		w.t.Fatalf("job %s %s: %s", name, date, r.Raw)
	}
}

func (w *bworld) repay(user, amount, key string) e2etest.Response {
	w.t.Helper()
	return w.s.Must(200, "POST", "/v1/users/"+user+"/repayments", e2etest.Token(user, auth.RoleShopper),
		map[string]any{"amount": amount}, "Idempotency-Key: "+key)
}

func (w *bworld) statement(user, period string) e2etest.Response {
	w.t.Helper()
	return w.s.Must(200, "GET", "/v1/users/"+user+"/statements/"+period, e2etest.Token(user, auth.RoleShopper), nil)
}

func (w *bworld) account(user string) e2etest.Response {
	w.t.Helper()
	return w.s.Must(200, "GET", "/v1/users/"+user+"/account", w.ops, nil)
}

func (w *bworld) expect(r e2etest.Response, want map[string]string) {
	w.t.Helper()
	for k, v := range want {
		if got := fmt.Sprint(r.Body[k]); got != v {
			w.t.Errorf("%s = %q, want %q in %s", k, got, v, r.Raw)
		}
	}
}

func (w *bworld) checkBooks(date string) {
	w.t.Helper()
	tb := w.s.Must(200, "GET", "/v1/ops/ledger/trial-balance?date="+date, w.ops, nil)
	if tb.Body["balanced"] != true {
		w.t.Fatalf("trial balance: %s", tb.Raw)
	}
	rec, _ := tb.Body["reconciliation"].(map[string]any)
	if diffs, _ := rec["differences"].([]any); len(diffs) != 0 {
		w.t.Fatalf("reconciliation differences: %s", tb.Raw)
	}
	if fails, _ := rec["failures"].([]any); len(fails) != 0 {
		w.t.Fatalf("reconciliation failures: %s", tb.Raw)
	}
}

func TestBillingLifecycle(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newBWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			for _, u := range []string{"ua", "ub", "uc", "ud", "ue", "uf"} {
				w.shopper(u)
			}
			// ua: two purchases and a refund in November.
			w.buy("ua", "500.00")
			s.SetClock("2026-11-12T10:00:00+08:00")
			pid := w.buy("ua", "300.00")
			for _, u := range []string{"ub", "ud", "uf"} {
				w.buy(u, map[string]string{"ub": "400.00", "ud": "200.00", "uf": "250.00"}[u])
			}
			w.buy("uc", "400.00")
			w.buy("ue", "100.00")
			s.SetClock("2026-11-20T10:00:00+08:00")
			w.s.Must(200, "POST", "/v1/payments/"+pid+"/refunds", w.merchant, map[string]any{"amount": "100.00"})
			// ue overpays before the statement: 50.00 becomes credit balance.
			s.SetClock("2026-11-25T10:00:00+08:00")
			r := w.repay("ue", "150.00", "ue-1")
			w.expect(r, map[string]string{"to_credit_balance": "50.00"})
			s.Must(200, "PUT", "/v1/users/uf/autopay", e2etest.Token("uf", auth.RoleShopper), map[string]any{"enabled": true})
			w.checkBooks("2026-11-25")

			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			w.job("statements", "2026-12-01") // not repeated
			if r := s.Must(200, "GET", "/v1/ops/jobs/statements/runs/2026-12-01", w.ops, nil); r.Num("attempts") != 1 || r.Str("finished_at") == "" {
				t.Fatalf("run: %s", r.Raw)
			}
			if r := s.Call("POST", "/v1/ops/jobs/nope/runs", w.ops, map[string]any{"business_date": "2026-12-01"}); r.Status != 404 || r.Reason() != "JOB_NOT_FOUND" {
				t.Fatalf("unknown job: %d %s", r.Status, r.Raw)
			}
			st := w.statement("ua", "2026-12")
			w.expect(st, map[string]string{"statement_date": "2026-12-01", "due_date": "2026-12-10", "opening_balance": "0.00",
				"new_purchases": "800.00", "refunds": "100.00", "interest": "0.00", "new_balance": "700.00", "minimum_due": "70.00", "status": "open"})
			if lines, _ := st.Body["lines"].([]any); len(lines) != 3 {
				t.Fatalf("lines: %s", st.Raw)
			}
			goldenStatement(t, "statement_purchases_refund_2026-12", st.Raw)
			// ue paid everything before the cycle closed: the statement shows it and owes nothing.
			w.expect(w.statement("ue", "2026-12"), map[string]string{"new_purchases": "100.00", "payments_and_credits": "100.00", "new_balance": "0.00", "status": "paid"})
			w.expect(w.account("ue"), map[string]string{"credit_balance": "50.00"})
			w.expect(w.account("ua"), map[string]string{"statement_balance": "700.00", "minimum_due": "70.00", "due_date": "2026-12-10", "delinquency_bucket": "current"})
			list := s.Must(200, "GET", "/v1/users/ua/statements?limit=1", e2etest.Token("ua", auth.RoleShopper), nil)
			if sts, _ := list.Body["statements"].([]any); len(sts) != 1 {
				t.Fatalf("list: %s", list.Raw)
			}
			if s.Call("GET", "/v1/users/ua/statements/2026-11", e2etest.Token("ua", auth.RoleShopper), nil).Status != http.StatusNotFound {
				t.Fatal("statement for a period without one should be 404")
			}
			if s.Call("GET", "/v1/users/ua/account", e2etest.Token("ub", auth.RoleShopper), nil).Status != http.StatusForbidden {
				t.Fatal("another shopper's account should be 403")
			}
			w.checkBooks("2026-12-01")

			// Due date: ub pays in full, uc pays 50.00 (≥ minimum 40.00), ud pays nothing,
			// uf's autopay collects (the job runs twice).
			s.SetClock("2026-12-10T12:00:00+08:00")
			w.repay("ub", "400.00", "ub-1")
			w.repay("uc", "50.00", "uc-1")
			w.repay("uc", "50.00", "uc-1") // replay: same response, nothing more
			w.job("autopay", "2026-12-10")
			w.job("autopay", "2026-12-10")
			w.expect(w.account("uf"), map[string]string{"statement_balance": "0.00"})
			w.checkBooks("2026-12-10")

			for d := 11; d <= 15; d++ {
				s.SetClock(fmt.Sprintf("2026-12-%02dT00:20:00+08:00", d))
				w.job("accrue", fmt.Sprintf("2026-12-%02d", d-1))
			}
			a := w.account("ud")
			w.expect(a, map[string]string{"days_past_due": "5", "delinquency_bucket": "M1", "status": "overdue", "past_due": "20.00"})
			if p := w.authorize("ud", "10.00"); p.Str("status") != "declined" || p.Str("decline_reason") != "ACCOUNT_OVERDUE" {
				t.Fatalf("overdue user's payment: %s", p.Raw)
			}
			// The ops portfolio: ua (700.00) and ud (200.00) are 1-30 days past due.
			pf := s.Must(200, "GET", "/v1/ops/portfolio", w.ops, nil)
			buckets, _ := pf.Body["buckets"].([]any)
			var m1 map[string]any
			for _, b := range buckets {
				if bm := b.(map[string]any); bm["bucket"] == "M1" {
					m1 = bm
				}
			}
			if len(buckets) != 6 || m1 == nil || m1["count"] != float64(2) || m1["balance"] != "900.00" || pf.Str("sold_principal") != "0.00" ||
				pf.Str("outstanding_principal") != "1250.00" {
				t.Fatalf("portfolio: %s", pf.Raw)
			}
			if r := s.Call("GET", "/v1/ops/portfolio", e2etest.Token("ud", auth.RoleShopper), nil); r.Status != 403 {
				t.Fatalf("shopper read the portfolio: %d", r.Status)
			}
			// ue buys in December: the January statement uses the credit balance.
			w.buy("ue", "80.00")
			w.checkBooks("2026-12-15")

			s.SetClock("2027-01-01T00:30:00+08:00")
			w.job("statements", "2027-01-01")
			w.expect(w.statement("ub", "2027-01"), map[string]string{"interest": "0.00", "penalty": "0.00", "new_balance": "0.00", "status": "paid"})
			stc := w.statement("uc", "2027-01")
			w.expect(stc, map[string]string{"interest": "3.68", "penalty": "0.00", "opening_balance": "400.00", "new_balance": "353.68"})
			goldenStatement(t, "statement_minimum_paid_interest_2027-01", stc.Raw)
			std := w.statement("ud", "2027-01")
			w.expect(std, map[string]string{"penalty": "2.10", "interest": "0.00", "new_balance": "202.10", "status": "open"})
			goldenStatement(t, "statement_overdue_penalty_2027-01", std.Raw)
			ste := w.statement("ue", "2027-01")
			w.expect(ste, map[string]string{"new_purchases": "80.00", "payments_and_credits": "50.00", "new_balance": "30.00"})
			goldenStatement(t, "statement_credit_balance_used_2027-01", ste.Raw)
			w.expect(w.account("ue"), map[string]string{"credit_balance": "0.00", "statement_balance": "30.00"})
			w.expect(w.statement("uf", "2027-01"), map[string]string{"opening_balance": "250.00", "payments_and_credits": "250.00", "new_balance": "0.00"})
			w.checkBooks("2027-01-01")

			// ud repays: penalty first, and the account is cured.
			s.SetClock("2027-01-02T10:00:00+08:00")
			rep := w.repay("ud", "50.00", "ud-1")
			alloc, _ := rep.Body["allocated"].([]any)
			if len(alloc) == 0 || alloc[0].(map[string]any)["kind"] != "penalty" || alloc[0].(map[string]any)["amount"] != "2.10" {
				t.Fatalf("allocation: %s", rep.Raw)
			}
			w.expect(w.account("ud"), map[string]string{"days_past_due": "0", "delinquency_bucket": "current", "status": "current"})
			if p := w.authorize("ud", "10.00"); p.Str("status") != "authorized" {
				t.Fatalf("cured user's payment: %s", p.Raw)
			}
			w.job("dayend", "2027-01-02")
			w.checkBooks("2027-01-02")

			// ua never paid: the accrual of 2027-06-08 (180 DPD) charges it off; the account
			// (read on the 9th) is then 181 days past due.
			s.SetClock("2027-06-09T00:20:00+08:00")
			w.job("accrue", "2027-06-08")
			w.expect(w.account("ua"), map[string]string{"status": "charged_off", "days_past_due": "181", "delinquency_bucket": "M3+"})
			w.checkBooks("2027-06-08")
		})
	}
}

func TestStatementsJobCrashResumes(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off",
				"HUABEI_TEST_CRASH_AFTER_CHUNKS=2", "HUABEI_BILLING_CHUNK_SIZE=2", "HUABEI_JOBS_LEASE_TTL=1s"}})
			w := newBWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			users := []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7"}
			for _, u := range users {
				w.shopper(u)
				w.buy(u, "100.00")
			}
			s.SetClock("2026-12-01T00:30:00+08:00")
			for attempt := 0; ; attempt++ {
				if attempt > 6 {
					t.Fatal("statements job did not finish")
				}
				// The crash may beat the response: a transport error is expected then.
				r, err := s.TryCall("POST", "/v1/ops/jobs/statements/runs", w.ops, map[string]any{"business_date": "2026-12-01", "async": true})
				if err == nil && r.Status == 200 && r.Str("status") == "succeeded" {
					break
				}
				// The server exits by itself after two chunks (a crash); wait, then restart.
				for i := 0; i < 400; i++ {
					resp, err := http.Get(s.URL + "/healthz")
					if err != nil {
						break
					}
					resp.Body.Close()
					time.Sleep(25 * time.Millisecond)
					if i == 399 {
						// still alive: the run finished without crashing
						r = s.Call("GET", "/v1/ops/jobs/statements/runs/2026-12-01", w.ops, nil)
						if r.Str("status") == "succeeded" {
							goto done
						}
					}
				}
				s.Kill()
				time.Sleep(1100 * time.Millisecond) // let the dead runner's lease expire
				s.Restart()
			}
		done:
			if r := s.Must(200, "GET", "/v1/ops/jobs/statements/runs/2026-12-01", w.ops, nil); r.Num("attempts") < 2 || r.Num("processed") != float64(len(users)) {
				t.Fatalf("run should have crashed and resumed: %s", r.Raw)
			}
			for _, u := range users {
				w.expect(w.statement(u, "2026-12"), map[string]string{"new_purchases": "100.00", "new_balance": "100.00", "minimum_due": "10.00"})
				list := s.Must(200, "GET", "/v1/users/"+u+"/statements", w.ops, nil)
				if sts, _ := list.Body["statements"].([]any); len(sts) != 1 {
					t.Fatalf("%s statements: %s", u, list.Raw)
				}
			}
			w.checkBooks("2026-12-01")
		})
	}
}
