package server_test

import (
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestUserIDsAreExactE2E: on a database created as the README does (MariaDB's default,
// case-insensitive collation) a token for VICTIM-ALICE neither reads nor spends
// victim-alice's line, account or statements (issue 16, defect 2).
func TestUserIDsAreExactE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine})
			s.SetClock("2026-11-05T10:00:00+08:00")
			ops := e2etest.Token("ids-ops", auth.RoleOps)
			s.Must(200, "PUT", "/v1/credit/profiles/victim-alice", ops, map[string]any{
				"kyc_verified": true, "age": 35, "education": "master", "employment": "employed",
				"employment_months": 60, "monthly_income": "25000.00", "assets": "300000.00", "housing": "own",
				"credit_history_months": 96, "late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0,
			})
			if r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "victim-alice"}); r.Str("decision") != "approved" {
				t.Fatalf("victim's application: %s", r.Raw)
			}
			merchant := e2etest.Token("ids-shop", auth.RoleMerchant)
			p := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "victim-alice", "merchant_order_id": "v-1", "amount": "10.00"})
			s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", merchant, map[string]any{})
			s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "victim-alice", "merchant_order_id": "v-2", "amount": "7.00"})

			mallory := e2etest.Token("VICTIM-ALICE", auth.RoleShopper)
			if r := s.Call("GET", "/v1/credit/lines/VICTIM-ALICE", mallory, nil); r.Status != 404 {
				t.Errorf("VICTIM-ALICE's line: %d %s (want 404: that user has none)", r.Status, r.Raw)
			}
			if r := s.Call("GET", "/v1/users/VICTIM-ALICE/account", mallory, nil); r.Status != 404 || r.Str("reason") != "ACCOUNT_NOT_FOUND" {
				t.Errorf("VICTIM-ALICE's account: %d %s (want 404 ACCOUNT_NOT_FOUND: that user has none, victim-alice's is not shown)", r.Status, r.Raw)
			}
			// Spending: a checkout for VICTIM-ALICE finds no line, so it is declined.
			r := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "VICTIM-ALICE", "merchant_order_id": "m-1", "amount": "50.00"})
			if r.Str("status") != "declined" || r.Str("decline_reason") != "NO_CREDIT_LINE" {
				t.Fatalf("payment for VICTIM-ALICE: %s (want declined NO_CREDIT_LINE)", r.Raw)
			}
			line := s.Must(200, "GET", "/v1/credit/lines/victim-alice", ops, nil)
			if line.Str("outstanding") != "10.00" || line.Str("held") != "7.00" {
				t.Fatalf("victim's line after the attempt: %s", line.Raw)
			}
			// A repayment by VICTIM-ALICE never lands on victim-alice's account.
			if rp := s.Call("POST", "/v1/users/VICTIM-ALICE/repayments", mallory, map[string]any{"amount": "1.00"}, "Idempotency-Key: m-rp"); rp.Status >= 500 {
				t.Fatalf("repayment for VICTIM-ALICE: %d %s", rp.Status, rp.Raw)
			}
			if a := s.Must(200, "GET", "/v1/users/victim-alice/account", ops, nil); a.Str("unbilled") != "10.00" || a.Str("credit_balance") != "0.00" {
				t.Fatalf("victim-alice's account after VICTIM-ALICE's repayment: %s", a.Raw)
			}
		})
	}
}
