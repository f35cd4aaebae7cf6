package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

var profile = map[string]any{
	"kyc_verified": true, "age": 35, "education": "master", "employment": "employed",
	"employment_months": 60, "monthly_income": "20000.00", "assets": "300000.00", "housing": "own",
	"credit_history_months": 96, "late_payments_12m": 0, "max_dpd_24m": 0,
	"outstanding_debt": "0.00", "inquiries_6m": 0,
}

// weaker profile: still approved, lower score.
var weakProfile = map[string]any{
	"kyc_verified": true, "age": 23, "education": "high_school", "employment": "employed",
	"employment_months": 8, "monthly_income": "5000.00", "assets": "5000.00", "housing": "rent",
	"credit_history_months": 12, "late_payments_12m": 1, "max_dpd_24m": 10,
	"outstanding_debt": "20000.00", "inquiries_6m": 4,
}

type world struct {
	t        *testing.T
	s        *e2etest.Server
	ops      string
	treasury string
	merchant string
	orders   int
}

func newWorld(t *testing.T, s *e2etest.Server) *world {
	return &world{t: t, s: s, ops: e2etest.Token("e2e-ops", auth.RoleOps), treasury: e2etest.Token("treasurer", auth.RoleTreasury),
		merchant: e2etest.Token("shop1", auth.RoleMerchant)}
}

// shopper opens a credit line for user and returns the score.
func (w *world) shopper(user string, prof map[string]any) float64 {
	w.s.Must(200, "PUT", "/v1/credit/profiles/"+user, w.ops, prof)
	app := w.s.Must(200, "POST", "/v1/credit/applications", w.ops, map[string]any{"user_id": user})
	if app.Str("decision") != "approved" {
		w.t.Fatalf("%s declined: %s", user, app.Raw)
	}
	return app.Num("score")
}

// buy authorizes and captures a credit purchase.
func (w *world) buy(user, amount string) string {
	w.orders++
	p := w.s.Must(200, "POST", "/v1/payments", w.merchant, map[string]any{"user_id": user, "merchant_order_id": fmt.Sprintf("o%d", w.orders), "amount": amount})
	if p.Str("status") != "authorized" {
		w.t.Fatalf("payment for %s: %s", user, p.Raw)
	}
	c := w.s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", w.merchant, map[string]any{})
	if c.Str("status") != "captured" {
		w.t.Fatalf("capture: %s", c.Raw)
	}
	return p.Str("payment_id")
}

func (w *world) funding() map[string]any {
	return w.s.Must(200, "GET", "/v1/abs/funding", w.treasury, nil).Body
}

func (w *world) checkBooks(date string) {
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

func amt(t *testing.T, v any) decimal.Decimal {
	s, _ := v.(string)
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return d
}

func TestAssetCenterE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")

			good := w.shopper("alice", profile)
			w.shopper("bob", profile)
			w.shopper("carol", profile) // frozen below: excluded
			weak := w.shopper("dave", weakProfile)
			if weak >= good {
				t.Fatalf("weak profile scored %v ≥ %v", weak, good)
			}
			w.buy("alice", "1000.00")
			w.buy("alice", "1000.00")
			w.buy("alice", "1000.00")
			w.buy("bob", "1500.00")
			w.buy("bob", "500.00")
			w.buy("carol", "700.00")
			w.buy("dave", "800.00")
			s.Must(200, "POST", "/v1/credit/lines/carol/freeze", w.ops, map[string]any{"reason": "fraud review"})
			// erin buys in 3 installments: plan purchases are not eligible (see abs/data).
			w.shopper("erin", profile)
			w.orders++
			inst := s.Must(200, "POST", "/v1/payments", w.merchant, map[string]any{"user_id": "erin", "merchant_order_id": "inst-1", "amount": "900.00", "installments": 3})
			s.Must(200, "POST", "/v1/payments/"+inst.Str("payment_id")+"/capture", w.merchant, map[string]any{})

			// Treasury only; bad input names the field.
			if r := s.Call("POST", "/v1/abs/pools", w.ops, map[string]any{"name": "x", "cutoff_date": "2026-11-05"}); r.Status != 403 {
				t.Fatalf("ops created a pool: %d", r.Status)
			}
			if r := s.Call("POST", "/v1/abs/pools", w.treasury, map[string]any{"name": "x", "cutoff_date": "2026-11-05",
				"criteria": map[string]any{"max_obligor_share": "1.5"}}); r.Status != 400 || !strings.Contains(string(r.Raw), "max_obligor_share") {
				t.Fatalf("bad share: %d %s", r.Status, r.Raw)
			}

			// min score excludes dave, frozen carol is excluded, alice capped at 50% of the pool.
			pool := s.Must(200, "POST", "/v1/abs/pools", w.treasury, map[string]any{"name": "HB 2026-1", "cutoff_date": "2026-11-05",
				"criteria": map[string]any{"min_score": int(weak) + 1, "max_obligor_share": "0.5"}})
			id := pool.Str("pool_id")
			stats, _ := pool.Body["stats"].(map[string]any)
			if pool.Str("status") != "draft" || stats["balance"] != "4000.00" || stats["asset_count"] != float64(4) ||
				stats["obligor_count"] != float64(2) || stats["top_obligor_share"] != "0.5000" {
				t.Fatalf("pool: %s", pool.Raw)
			}
			got := s.Must(200, "GET", "/v1/abs/pools/"+id, w.treasury, nil)
			if st, _ := got.Body["stats"].(map[string]any); st["wal"] != "1.0000" || st["wam"] != "1.0000" || st["wac"] != "0.0720" {
				t.Fatalf("stats: %s", got.Raw)
			}
			strata := s.Must(200, "GET", "/v1/abs/pools/"+id+"/strata?by=balance", w.treasury, nil)
			sum := decimal.Zero
			rows, _ := strata.Body["rows"].([]any)
			for _, r := range rows {
				sum = sum.Add(amt(t, r.(map[string]any)["share"]))
			}
			if !sum.Equal(decimal.NewFromInt(1)) {
				t.Fatalf("strata shares sum %s: %s", sum, strata.Raw)
			}
			if r := s.Call("GET", "/v1/abs/pools/"+id+"/strata?by=colour", w.treasury, nil); r.Status != 400 {
				t.Fatalf("bad strata: %d", r.Status)
			}

			before := w.funding()
			tr := s.Must(200, "POST", "/v1/abs/pools/"+id+"/transfer", w.treasury, map[string]any{"buyer": "SPV Trust 1", "price": "98.50"}, "Idempotency-Key: t1")
			if tr.Str("status") != "transferred" || tr.Str("proceeds") != "3940.00" || tr.Str("balance") != "4000.00" {
				t.Fatalf("transfer: %s", tr.Raw)
			}
			again := s.Must(200, "POST", "/v1/abs/pools/"+id+"/transfer", w.treasury, map[string]any{"buyer": "SPV Trust 1", "price": "98.50"}, "Idempotency-Key: t1")
			if string(again.Raw) != string(tr.Raw) {
				t.Fatalf("replay differs: %s", again.Raw)
			}
			after := w.funding()
			if d := amt(t, after["available"]).Sub(amt(t, before["available"])); !d.Equal(decimal.RequireFromString("3940")) {
				t.Fatalf("funding rose by %s: %v → %v", d, before, after)
			}
			if after["sale_proceeds"] != "3940.00" {
				t.Fatalf("funding: %v", after)
			}
			w.checkBooks("2026-11-05")

			// alice repays 1000.00 on a sold purchase: owed to the pool.
			s.SetClock("2026-11-20T10:00:00+08:00")
			w.repay("alice", "1000.00", "a1")
			if f := w.funding(); f["spv_payables"] != "1000.00" {
				t.Fatalf("after repayment: %v", f)
			}
			rep := s.Must(200, "GET", "/v1/abs/pools/"+id+"/reports/2026-11", w.treasury, nil)
			w.expect(rep, map[string]string{"beginning_balance": "4000.00", "principal_collected": "1000.00", "ending_balance": "3000.00",
				"pool_factor": "0.7500", "smm": "0.2500", "cpr": "0.9683", "defaults": "0.00"})
			w.checkBooks("2026-11-20")
			w.job("abs_servicing", "2026-11-20")
			if f := w.funding(); f["spv_payables"] != "0.00" {
				t.Fatalf("after remittance: %v", f)
			}

			// December statement; alice pays it in full (1000.00 more to the pool), bob never pays.
			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			s.SetClock("2026-12-05T10:00:00+08:00")
			w.repay("alice", "2000.00", "a2")
			w.job("abs_servicing", "2026-12-05")
			rep = s.Must(200, "GET", "/v1/abs/pools/"+id+"/reports/2026-12", w.treasury, nil)
			w.expect(rep, map[string]string{"beginning_balance": "3000.00", "principal_collected": "1000.00", "ending_balance": "2000.00",
				"remitted": "1000.00"})

			// bob is more than 90 days past due: his assets are bought back as defaulted.
			s.SetClock("2027-03-15T10:00:00+08:00")
			w.job("accrue", "2027-03-15")
			if acc := s.Must(200, "GET", "/v1/users/bob/account", w.ops, nil); acc.Num("days_past_due") <= 90 {
				t.Fatalf("bob: %s", acc.Raw)
			}
			bb := s.Must(200, "POST", "/v1/abs/pools/"+id+"/buybacks", w.treasury, map[string]any{"reason": "defaulted"}, "Idempotency-Key: b1")
			w.expect(bb, map[string]string{"asset_count": "2", "amount": "2000.00"})
			rep = s.Must(200, "GET", "/v1/abs/pools/"+id+"/reports/2027-03", w.treasury, nil)
			w.expect(rep, map[string]string{"beginning_balance": "2000.00", "defaults": "2000.00", "recoveries": "2000.00",
				"ending_balance": "0.00", "mdr": "1.0000", "cumulative_default_rate": "0.5000", "pool_factor": "0.0000"})
			w.checkBooks("2027-03-15")
		})
	}
}

func (w *world) job(name, date string) {
	w.t.Helper()
	if r := w.s.Must(200, "POST", "/v1/ops/jobs/"+name+"/runs", w.ops, map[string]any{"business_date": date}); r.Str("status") != "succeeded" {
		w.t.Fatalf("job %s %s: %s", name, date, r.Raw)
	}
}

func (w *world) repay(user, amount, key string) {
	w.t.Helper()
	w.s.Must(200, "POST", "/v1/users/"+user+"/repayments", e2etest.Token(user, auth.RoleShopper), map[string]any{"amount": amount}, "Idempotency-Key: "+key)
}

func (w *world) expect(r e2etest.Response, want map[string]string) {
	w.t.Helper()
	for k, v := range want {
		if got := fmt.Sprint(r.Body[k]); got != v {
			w.t.Errorf("%s = %q, want %q in %s", k, got, v, r.Raw)
		}
	}
}

// TestTransferCrashE2E kills the server after each committed batch of a transfer and
// resumes: every asset flips exactly once and there is one ledger entry.
func TestTransferCrashE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_TEST_CRASH_AFTER_BATCHES=1", "HUABEI_TEST_TRANSFER_BATCH=2"}})
			w := newWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("alice", profile)
			w.shopper("bob", profile)
			for i := 0; i < 3; i++ {
				w.buy("alice", "100.00")
				w.buy("bob", "200.00")
			}
			pool := s.Must(200, "POST", "/v1/abs/pools", w.treasury, map[string]any{"name": "crash", "cutoff_date": "2026-11-05"})
			id := pool.Str("pool_id")
			body := `{"buyer": "SPV 2", "price": "99.00"}`
			crashes := 0
			for ; crashes < 10; crashes++ {
				req, _ := http.NewRequest("POST", s.URL+"/v1/abs/pools/"+id+"/transfer", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+w.treasury)
				req.Header.Set("Idempotency-Key", "crash-1")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Fatalf("transfer status %d", resp.StatusCode)
					}
					break
				}
				s.Kill()
				s.Restart()
				p := s.Must(200, "GET", "/v1/abs/pools/"+id, w.treasury, nil)
				if p.Str("status") != "transferring" {
					t.Fatalf("after crash: %s", p.Raw)
				}
			}
			// 6 assets, 2 per batch, parallel workers: every process dies after its first
			// committed batch (others may commit alongside), so 1 to 3 crashes.
			if crashes < 1 || crashes > 3 {
				t.Fatalf("%d crashes", crashes)
			}
			p := s.Must(200, "GET", "/v1/abs/pools/"+id, w.treasury, nil)
			if p.Str("status") != "transferred" || p.Num("transferred_count") != 6 || p.Str("proceeds") != "891.00" {
				t.Fatalf("pool: %s", p.Raw)
			}
			f := w.funding()
			if f["sale_proceeds"] != "891.00" {
				t.Fatalf("funding: %v", f)
			}
			w.checkBooks("2026-11-05")
		})
	}
}
