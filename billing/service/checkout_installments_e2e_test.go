package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestCheckoutInstallmentsBelowMinimumE2E is issue 15 bug 6: a checkout asking for
// installments its amount cannot have (50.00 in 3, the minimum being 100.00) is refused
// with a 400 naming `installments` and writes nothing, instead of being captured as a
// single payment with no plan; a partial capture that would fall below the minimum is
// refused naming `amount`.
func TestCheckoutInstallmentsBelowMinimumE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := iworld{newBWorld(t, s)}
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("ci")
			before := line(t, s, "ci")
			body := map[string]any{"user_id": "ci", "merchant_order_id": "ci-1", "amount": "50.00", "installments": 3}
			r := s.Call("POST", "/v1/payments", w.merchant, body)
			if r.Status != 400 || r.Reason() != "INVALID_ARGUMENT" || r.Body["metadata"].(map[string]any)["field"] != "installments" {
				t.Fatalf("50.00 in 3: %d %s", r.Status, r.Raw)
			}
			after := line(t, s, "ci")
			if after.Str("held") != before.Str("held") || after.Str("available") != before.Str("available") {
				t.Fatalf("refused authorization held credit: %s → %s", before.Raw, after.Raw)
			}
			// Nothing was recorded under the order id: the same order as a single payment is
			// a new payment, not the refused one.
			delete(body, "installments")
			single := s.Must(200, "POST", "/v1/payments", w.merchant, body)
			if single.Str("status") != "authorized" || single.Str("amount") != "50.00" {
				t.Fatalf("single payment: %s", single.Raw)
			}
			// At the minimum it is a plan at capture.
			p := w.buyInstallments("ci", "100.00", 3)
			if p.Str("installment_plan_id") == "" {
				t.Fatalf("100.00 in 3 captured without a plan: %s", p.Raw)
			}
			// A partial capture below the minimum is refused; the authorization stays open.
			a := s.Must(200, "POST", "/v1/payments", w.merchant, map[string]any{"user_id": "ci", "merchant_order_id": "ci-3",
				"amount": "150.00", "installments": 3})
			c := s.Call("POST", "/v1/payments/"+a.Str("payment_id")+"/capture", w.merchant, map[string]any{"amount": "60.00"})
			if c.Status != 400 || c.Body["metadata"].(map[string]any)["field"] != "amount" {
				t.Fatalf("partial capture of 60.00 in 3: %d %s", c.Status, c.Raw)
			}
			if g := s.Must(200, "GET", "/v1/payments/"+a.Str("payment_id"), w.ops, nil); g.Str("status") != "authorized" {
				t.Fatalf("refused capture changed the payment: %s", g.Raw)
			}
			w.checkBooks("2026-11-05")
		})
	}
}
