package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestInstallmentAPRFromDatedCashFlowsE2E is issue 15 bug 4: quotes and plans disclose the
// APR and EAR of their real dated cash flows. A statement plan's period 1 is due with the
// statement it converts, so 3,000.00 over 6 at 4.5% costs 21.54% (EAR 23.80%), not the
// 15.27% of payments a whole month apart; a checkout plan captured 35 days before its first
// due date costs 15.45% (EAR 16.60%), not 15.86%.
func TestInstallmentAPRFromDatedCashFlowsE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := iworld{newBWorld(t, s)}
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("apr-s")
			w.shopper("apr-c")
			c := w.buyInstallments("apr-c", "1200.00", 12)
			w.expect(w.plan("apr-c", c.Str("installment_plan_id")), map[string]string{
				"source": "payment", "apr": "0.1545", "effective_annual_rate": "0.1660"})
			w.buyInstallments("apr-s", "3000.00", 0)

			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			s.SetClock("2026-12-03T10:00:00+08:00")
			body := map[string]any{"statement_period": "2026-12", "terms": 6}
			want := map[string]string{"principal": "3000.00", "terms": "6", "fee_rate": "0.045", "total_fee": "135.00",
				"apr": "0.2154", "effective_annual_rate": "0.2380", "total_payable": "3135.00"}
			q := s.Must(200, "POST", "/v1/users/apr-s/installment-quotes", w.shopperToken("apr-s"), body)
			w.expect(q, want)
			if it := period(t, q, 1); it["due_date"] != "2026-12-10" || it["total"] != "522.50" {
				t.Fatalf("period 1 is due with the statement: %v", it)
			}
			p := s.Must(200, "POST", "/v1/users/apr-s/installment-plans", w.shopperToken("apr-s"), body, "Idempotency-Key: apr-plan")
			w.expect(p, want)
			w.expect(w.plan("apr-s", p.Str("plan_id")), want)
		})
	}
}
