package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestAccountNotFoundE2E is issue 15 bug 7: billing refuses users it does not know (no
// credit line, no billing account) with 404 ACCOUNT_NOT_FOUND: a repayment is not taken
// into a credit balance of nobody and the account of an unknown user is not a page of
// zeros. Ops may ask about anyone; a shopper asking about another user stays 403.
func TestAccountNotFoundE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newBWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("known") // a credit line, no purchase yet: no billing account row either
			ghost := e2etest.Token("ghost", auth.RoleShopper)
			notFound := func(r e2etest.Response, what string) {
				t.Helper()
				if r.Status != 404 || r.Reason() != "ACCOUNT_NOT_FOUND" {
					t.Fatalf("%s: %d %s, want 404 ACCOUNT_NOT_FOUND", what, r.Status, r.Raw)
				}
			}
			notFound(s.Call("GET", "/v1/users/ghost/account", w.ops, nil), "ops reads an unknown account")
			notFound(s.Call("GET", "/v1/users/ghost/account", ghost, nil), "an unknown shopper reads its account")
			notFound(s.Call("POST", "/v1/users/ghost/repayments", w.ops, map[string]any{"amount": "100.00"}, "Idempotency-Key: g1"), "ops repays for an unknown user")
			notFound(s.Call("POST", "/v1/users/ghost/repayments", ghost, map[string]any{"amount": "100.00"}), "an unknown shopper repays")
			// Another user's resources stay forbidden, known or not.
			if r := s.Call("GET", "/v1/users/ghost/account", e2etest.Token("known", auth.RoleShopper), nil); r.Status != 403 {
				t.Fatalf("a shopper reads another user's account: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("GET", "/v1/users/known/account", ghost, nil); r.Status != 403 {
				t.Fatalf("an unknown shopper reads another user's account: %d %s", r.Status, r.Raw)
			}
			// Nothing was booked or opened for the ghost.
			notFound(s.Call("GET", "/v1/users/ghost/account", w.ops, nil), "after the refused repayments")
			// A user with a line but no purchase has an (empty) account and may prepay.
			w.expect(w.s.Must(200, "GET", "/v1/users/known/account", w.ops, nil), map[string]string{"statement_balance": "0.00", "credit_balance": "0.00"})
			w.repay("known", "10.00", "k1")
			w.expect(w.account("known"), map[string]string{"credit_balance": "10.00"})
			w.checkBooks("2026-11-05")
		})
	}
}
