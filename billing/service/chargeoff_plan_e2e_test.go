package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestChargeOffWritesOffPlans: a shopper who bought 1,200.00 in 12 installments and never
// paid is charged off at 180 days past due with the plan: the plan is charged_off with
// nothing remaining, its purchase principal is written off with the rest of the account
// (the books reconcile), and later statements bill neither its principal nor its fees.
func TestChargeOffWritesOffPlans(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := iworld{newBWorld(t, s)}
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("co")
			planID := w.buyInstallments("co", "1200.00", 12).Str("installment_plan_id")
			for _, m := range []string{"2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"} {
				s.SetClock(m + "-01T00:30:00+08:00")
				w.job("statements", m+"-01")
			}
			w.expect(w.plan("co", planID), map[string]string{"status": "active", "periods_billed": "7", "remaining_principal": "1200.00"})
			feeIncome := func(date string) string {
				tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance?date="+date, w.ops, nil)
				accts, _ := tb.Body["accounts"].([]any)
				for _, a := range accts {
					if m, _ := a.(map[string]any); m["account"] == "income.installment_fee" {
						return m["balance"].(string)
					}
				}
				return "0.00"
			}
			if got := feeIncome("2027-06-01"); got != "61.60" {
				t.Fatalf("fees recognized on 7 statements = %s, want 61.60", got)
			}

			s.SetClock("2027-06-09T00:20:00+08:00")
			w.job("accrue", "2027-06-08")
			w.expect(w.account("co"), map[string]string{"status": "charged_off"})
			w.expect(w.plan("co", planID), map[string]string{"status": "charged_off", "remaining_principal": "0.00", "periods_billed": "7", "fee_waived": "44.00", "closed_date": "2027-06-08"})
			w.checkBooks("2027-06-08")

			s.SetClock("2027-07-01T00:30:00+08:00")
			w.job("statements", "2027-07-01")
			w.expect(w.plan("co", planID), map[string]string{"status": "charged_off", "periods_billed": "7"})
			if got := feeIncome("2027-07-01"); got != "61.60" {
				t.Fatalf("fee income after charge-off = %s, want 61.60 (nothing billed on a written-off plan)", got)
			}
			w.checkBooks("2027-07-01")
		})
	}
}
