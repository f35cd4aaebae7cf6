package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestRepayAllPaysOffPlansE2E: an installment purchase's unbilled principal shows in the
// account's unbilled amount, and a repayment with target "all" pays it off exactly
// (unbilled fees waived), freeing the line.
func TestRepayAllPaysOffPlansE2E(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	w := iworld{newBWorld(t, s)}
	s.SetClock("2026-11-05T10:00:00+08:00")
	w.shopper("pa")
	captured := w.buyInstallments("pa", "1200.00", 12)
	if captured.Str("installment_plan_id") == "" {
		t.Fatalf("no plan at capture: %s", captured.Raw)
	}
	w.buy("pa", "50.00")
	w.expect(w.account("pa"), map[string]string{"unbilled": "1250.00"})

	r := w.repayTarget("pa", "1300.00", "all", "pa-all")
	w.expect(r, map[string]string{"to_credit_balance": "50.00"})
	w.expect(w.plan("pa", captured.Str("installment_plan_id")), map[string]string{"status": "paid_off", "remaining_principal": "0.00"})
	w.expect(w.account("pa"), map[string]string{"unbilled": "0.00", "credit_balance": "50.00"})
	w.expect(s.Must(200, "GET", "/v1/credit/lines/pa", w.ops, nil), map[string]string{"outstanding": "0.00", "held": "0.00"})
	w.checkBooks("2026-11-05")
}
