package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestSoldAssetDilutionE2E: after a purchase is sold to a pool, a refund of it and the
// repayment of a statement installment that holds it still reach the pool, so the pool's
// contra receivable always equals the outstanding principal of its purchases.
func TestSoldAssetDilutionE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("gina", profile)
			first := w.buy("gina", "1000.00")
			w.buy("gina", "500.00")
			pool := s.Must(200, "POST", "/v1/abs/pools", w.treasury, map[string]any{"name": "dilution", "cutoff_date": "2026-11-05", "criteria": map[string]any{}})
			s.Must(200, "POST", "/v1/abs/pools/"+pool.Str("pool_id")+"/transfer", w.treasury, map[string]any{"buyer": "SPV", "price": "100.00"}, "Idempotency-Key: d1")
			w.checkBooks("2026-11-05")

			// A refund on a sold purchase is a dilution owed to the pool.
			s.Must(200, "POST", "/v1/payments/"+first+"/refunds", w.merchant, map[string]any{"amount": "300.00"}, "Idempotency-Key: r1")
			if f := w.funding(); f["spv_payables"] != "300.00" {
				t.Fatalf("after refund: %v", f)
			}
			w.checkBooks("2026-11-06")

			// The statement holding the sold purchases becomes a statement installment; its
			// repayments still reach the pool.
			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			s.SetClock("2026-12-02T10:00:00+08:00")
			s.Must(200, "POST", "/v1/users/gina/installment-plans", e2etest.Token("gina", auth.RoleShopper),
				map[string]any{"statement_period": "2026-12", "terms": 3}, "Idempotency-Key: p1")
			w.checkBooks("2026-12-02")
			w.repay("gina", "500.00", "g1")
			w.checkBooks("2026-12-02")
			if f := w.funding(); f["spv_payables"] == "300.00" {
				t.Fatalf("installment repayment did not reach the pool: %v", f)
			}
		})
	}
}

// TestRepayManySoldPurchasesE2E: one repayment that pays 40 purchases sold to a pool
// routes all of them to the pool in one journal entry (the pool postings of each purchase
// fold into one per account, under the ledger's postings limit per entry).
func TestRepayManySoldPurchasesE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("hank", profile)
			for _, day := range []string{"05", "06"} { // within the hourly velocity limit
				s.SetClock("2026-11-" + day + "T10:00:00+08:00")
				for i := 0; i < 20; i++ {
					w.buy("hank", "10.00")
				}
			}
			pool := s.Must(200, "POST", "/v1/abs/pools", w.treasury, map[string]any{"name": "many", "cutoff_date": "2026-11-06", "criteria": map[string]any{}})
			s.Must(200, "POST", "/v1/abs/pools/"+pool.Str("pool_id")+"/transfer", w.treasury, map[string]any{"buyer": "SPV", "price": "100.00"}, "Idempotency-Key: m1")
			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			s.SetClock("2026-12-05T10:00:00+08:00")
			w.repay("hank", "400.00", "h1")
			if f := w.funding(); f["spv_payables"] != "400.00" {
				t.Fatalf("after repaying 40 sold purchases: %v", f)
			}
			w.checkBooks("2026-12-05")
		})
	}
}
