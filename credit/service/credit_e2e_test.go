package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

var (
	typicalProfile = map[string]any{
		"kyc_verified": true, "age": 28, "education": "college", "employment": "employed",
		"employment_months": 24, "monthly_income": "6000.00", "assets": "30000.00", "housing": "rent",
		"credit_history_months": 36, "late_payments_12m": 0, "max_dpd_24m": 0,
		"outstanding_debt": "20000.00", "inquiries_6m": 2,
	}
	terribleProfile = map[string]any{
		"kyc_verified": true, "age": 19, "education": "none", "employment": "unemployed", "monthly_income": "0.00",
		"housing": "rent", "credit_history_months": 0, "late_payments_12m": 6, "max_dpd_24m": 120,
		"outstanding_debt": "200000.00", "inquiries_6m": 10,
	}
)

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func reasonCodes(r e2etest.Response) []string {
	var out []string
	list, _ := r.Body["reasons"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		c, _ := m["code"].(string)
		out = append(out, c)
	}
	return out
}

func field(r e2etest.Response) string {
	md, _ := r.Body["metadata"].(map[string]any)
	f, _ := md["field"].(string)
	return f
}

func TestCreditE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine})
			ops := e2etest.Token("e2e-ops", auth.RoleOps)
			alice := e2etest.Token("alice", auth.RoleShopper)
			bob := e2etest.Token("bob", auth.RoleShopper)
			s.SetClock("2026-11-05T10:00:00+08:00")

			// profile → application approved with score, limit and reasons
			p := s.Must(200, "PUT", "/v1/credit/profiles/alice", ops, typicalProfile)
			if p.Num("version") != 1 || p.Str("monthly_income") != "6000.00" {
				t.Fatalf("stored profile: %s", p.Raw)
			}
			p = s.Must(200, "PUT", "/v1/credit/profiles/alice", ops, typicalProfile)
			if p.Num("version") != 2 {
				t.Fatalf("second version: %s", p.Raw)
			}
			app := s.Must(200, "POST", "/v1/credit/applications", alice, map[string]any{"user_id": "alice"})
			score := app.Num("score")
			if app.Str("decision") != "approved" || score < 550 || score > 950 || app.Str("limit") == "0.00" || len(reasonCodes(app)) == 0 {
				t.Fatalf("application: %s", app.Raw)
			}
			limit := app.Str("limit")
			line := s.Must(200, "GET", "/v1/credit/lines/alice", alice, nil)
			if line.Str("status") != "active" || line.Str("limit") != limit || line.Str("available") != limit ||
				line.Str("outstanding") != "0.00" || line.Str("held") != "0.00" || line.Num("score") != score {
				t.Fatalf("line: %s", line.Raw)
			}
			// another shopper: 403 on the line and on applying for it
			if r := s.Call("GET", "/v1/credit/lines/alice", bob, nil); r.Status != 403 || r.Reason() != "FORBIDDEN" {
				t.Fatalf("bob reads alice's line: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("POST", "/v1/credit/applications", bob, map[string]any{"user_id": "alice"}); r.Status != 403 {
				t.Fatalf("bob applies for alice: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("PUT", "/v1/credit/profiles/bob", bob, typicalProfile); r.Status != 403 {
				t.Fatalf("shopper writes a profile: %d %s", r.Status, r.Raw)
			}

			// declines: no KYC, low score, no profile
			s.Must(200, "PUT", "/v1/credit/profiles/carol", ops, with(typicalProfile, "kyc_verified", false))
			r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "carol"})
			if codes := reasonCodes(r); r.Str("decision") != "declined" || r.Str("limit") != "0.00" || len(codes) == 0 || codes[0] != "KYC_NOT_VERIFIED" {
				t.Fatalf("no-KYC application: %s", r.Raw)
			}
			s.Must(404, "GET", "/v1/credit/lines/carol", ops, nil)
			s.Must(200, "PUT", "/v1/credit/profiles/dave", ops, terribleProfile)
			r = s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "dave"})
			if codes := reasonCodes(r); r.Str("decision") != "declined" || r.Num("score") >= 550 || len(codes) < 2 || codes[0] != "SCORE_BELOW_CUTOFF" {
				t.Fatalf("low-score application: %s", r.Raw)
			}
			s.Must(404, "GET", "/v1/credit/lines/dave", ops, nil)
			r = s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "nobody"})
			if codes := reasonCodes(r); r.Str("decision") != "declined" || len(codes) != 1 || codes[0] != "NO_CREDIT_PROFILE" {
				t.Fatalf("no-profile application: %s", r.Raw)
			}

			// malformed profiles: 400 naming the field, nothing stored
			for _, tc := range []struct {
				body  any
				field string
			}{
				{with(typicalProfile, "education", "phd"), "education"},
				{with(typicalProfile, "housing", "castle"), "housing"},
				{with(typicalProfile, "age", 200), "age"},
				{with(typicalProfile, "late_payments_12m", -1), "late_payments_12m"},
				{with(typicalProfile, "monthly_income", "12.345"), "monthly_income"},
				{with(typicalProfile, "assets", "-5.00"), "assets"},
				{map[string]any{"age": 30}, "kyc_verified"},
			} {
				r := s.Call("PUT", "/v1/credit/profiles/eve", ops, tc.body)
				if r.Status != 400 || field(r) != tc.field {
					t.Errorf("want 400 naming %s, got %d %s", tc.field, r.Status, r.Raw)
				}
			}
			if r := s.Call("PUT", "/v1/credit/profiles/eve", ops, `{"kyc_verified": true, "age": "old"}`); r.Status != 400 {
				t.Errorf("non-numeric age: %d %s", r.Status, r.Raw)
			}
			s.Must(404, "GET", "/v1/credit/profiles/eve", ops, nil)
			s.Must(404, "GET", "/v1/credit/lines/eve", ops, nil)

			// adjustments: permanent and temporary limit; expiry falls back to the base limit
			r = s.Must(200, "POST", "/v1/credit/lines/alice/adjustments", ops, map[string]any{"limit": "6000.00", "reason": "manual review"})
			if r.Str("limit") != "6000.00" || r.Str("available") != "6000.00" {
				t.Fatalf("adjust limit: %s", r.Raw)
			}
			if r := s.Call("POST", "/v1/credit/lines/alice/adjustments", ops, map[string]any{"limit": "60000.00", "reason": "x"}); r.Status != 400 || field(r) != "limit" {
				t.Fatalf("limit above max: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("POST", "/v1/credit/lines/alice/adjustments", ops, map[string]any{"limit": "6000.00"}); r.Status != 400 || field(r) != "reason" {
				t.Fatalf("no reason: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("POST", "/v1/credit/lines/alice/adjustments", bob, map[string]any{"limit": "6000.00", "reason": "x"}); r.Status != 403 {
				t.Fatalf("shopper adjusts: %d %s", r.Status, r.Raw)
			}
			r = s.Must(200, "POST", "/v1/credit/lines/alice/adjustments", ops, map[string]any{
				"temp_limit": "9000.00", "temp_limit_expires": "2026-11-06T12:00:00+08:00", "reason": "Double 11"})
			if r.Str("temp_limit") != "9000.00" || r.Str("temp_limit_expires") != "2026-11-06T04:00:00Z" || r.Str("available") != "9000.00" || r.Str("limit") != "6000.00" {
				t.Fatalf("temp limit: %s", r.Raw)
			}
			s.SetClock("2026-11-06T11:59:00+08:00")
			if r := s.Must(200, "GET", "/v1/credit/lines/alice", alice, nil); r.Str("available") != "9000.00" {
				t.Fatalf("before expiry: %s", r.Raw)
			}
			s.SetClock("2026-11-06T12:00:01+08:00")
			if r := s.Must(200, "GET", "/v1/credit/lines/alice", alice, nil); r.Str("available") != "6000.00" || r.Str("effective_limit") != "6000.00" || r.Str("limit") != "6000.00" {
				t.Fatalf("after expiry: %s", r.Raw)
			}

			// freeze / unfreeze with the audit trail
			r = s.Must(200, "POST", "/v1/credit/lines/alice/freeze", ops, map[string]any{"reason": "suspected fraud"})
			if r.Str("status") != "frozen" {
				t.Fatalf("freeze: %s", r.Raw)
			}
			if r := s.Call("POST", "/v1/credit/lines/alice/freeze", ops, map[string]any{"reason": "again"}); r.Status != 409 {
				t.Fatalf("double freeze: %d %s", r.Status, r.Raw)
			}
			if r := s.Must(200, "GET", "/v1/credit/lines/alice", alice, nil); r.Str("status") != "frozen" {
				t.Fatalf("frozen line: %s", r.Raw)
			}
			// the payment-time check refuses a frozen line
			merchant := e2etest.Token("m-e2e", auth.RoleMerchant)
			pay := func(order string) e2etest.Response {
				return s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "alice", "merchant_order_id": order,
					"amount": "100.00", "merchant_category": "apparel"}, "Idempotency-Key: "+order)
			}
			if r := pay("o-frozen"); r.Str("status") != "declined" || r.Str("decline_reason") != "ACCOUNT_FROZEN" {
				t.Fatalf("payment on a frozen line: %s", r.Raw)
			}
			r = s.Must(200, "POST", "/v1/credit/lines/alice/unfreeze", ops, map[string]any{"reason": "cleared"})
			if r.Str("status") != "active" {
				t.Fatalf("unfreeze: %s", r.Raw)
			}
			if r := pay("o-after"); r.Str("status") != "authorized" {
				t.Fatalf("payment after unfreeze: %s", r.Raw)
			}
			if r := s.Must(200, "GET", "/v1/credit/lines/alice", alice, nil); r.Str("held") != "100.00" || r.Str("available") != "5900.00" {
				t.Fatalf("line after the payment: %s", r.Raw)
			}
			ev := s.Must(200, "GET", "/v1/credit/lines/alice/events?page_size=3", ops, nil)
			events, _ := ev.Body["events"].([]any)
			if len(events) != 3 || ev.Str("next_cursor") == "" {
				t.Fatalf("events page: %s", ev.Raw)
			}
			first := events[0].(map[string]any)
			if first["kind"] != "unfreeze" || first["actor"] != "ops:e2e-ops" || first["reason"] != "cleared" ||
				first["old_status"] != "frozen" || first["new_status"] != "active" || first["at"] == "" {
				t.Fatalf("newest event: %v", first)
			}
			ev2 := s.Must(200, "GET", "/v1/credit/lines/alice/events?cursor="+ev.Str("next_cursor"), ops, nil)
			rest, _ := ev2.Body["events"].([]any)
			var kinds []string
			for _, e := range append(events, rest...) {
				kinds = append(kinds, e.(map[string]any)["kind"].(string))
			}
			if want := "unfreeze freeze adjust adjust open"; join(kinds) != want {
				t.Fatalf("event kinds %q, want %q", join(kinds), want)
			}
			if r := s.Call("GET", "/v1/credit/lines/alice/events", alice, nil); r.Status != 403 {
				t.Fatalf("shopper reads events: %d", r.Status)
			}

			// re-scoring keeps the line and records it
			r = s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "alice"}, "Idempotency-Key: rescore-1")
			if r.Str("decision") != "approved" || r.Str("limit") != limit {
				t.Fatalf("rescore: %s", r.Raw)
			}
			again := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "alice"}, "Idempotency-Key: rescore-1")
			if again.Str("application_id") != r.Str("application_id") {
				t.Fatalf("idempotent replay: %s vs %s", again.Raw, r.Raw)
			}
		})
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
