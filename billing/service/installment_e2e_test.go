package service_test

import (
	"fmt"
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// iworld drives installment scenarios over HTTP on top of the billing helpers.
type iworld struct {
	*bworld
}

func (w iworld) shopperToken(user string) string { return e2etest.Token(user, auth.RoleShopper) }

// buyInstallments authorizes and captures amount for user at checkout with terms periods
// (0: a single payment) and returns the captured payment.
func (w iworld) buyInstallments(user, amount string, terms int) e2etest.Response {
	w.t.Helper()
	w.orders++
	p := w.s.Must(200, "POST", "/v1/payments", w.merchant, map[string]any{"user_id": user,
		"merchant_order_id": fmt.Sprintf("i%d", w.orders), "amount": amount, "installments": terms})
	if p.Str("status") != "authorized" {
		w.t.Fatalf("payment for %s: %s", user, p.Raw)
	}
	return w.s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", w.merchant, map[string]any{})
}

func (w iworld) plan(user, id string) e2etest.Response {
	w.t.Helper()
	return w.s.Must(200, "GET", "/v1/users/"+user+"/installment-plans/"+id, w.shopperToken(user), nil)
}

func (w iworld) repayTarget(user, amount, target, key string) e2etest.Response {
	w.t.Helper()
	return w.s.Must(200, "POST", "/v1/users/"+user+"/repayments", w.shopperToken(user),
		map[string]any{"amount": amount, "target": target}, "Idempotency-Key: "+key)
}

// period returns schedule item n (1-based) of a quote or plan.
func period(t *testing.T, r e2etest.Response, n int) map[string]any {
	t.Helper()
	items, _ := r.Body["schedule"].([]any)
	if len(items) < n {
		t.Fatalf("schedule has %d periods: %s", len(items), r.Raw)
	}
	return items[n-1].(map[string]any)
}

func TestInstallmentsE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := iworld{newBWorld(t, s)}
			s.SetClock("2026-11-05T10:00:00+08:00")
			for _, u := range []string{"ia", "ib", "ic", "id", "ie", "if"} {
				w.shopper(u)
			}
			// ia, ic, id: 1,200.00 in 12 at checkout; ib: a single payment, converted on its statement.
			plans := map[string]string{}
			for _, u := range []string{"ia", "ic", "id"} {
				c := w.buyInstallments(u, "1200.00", 12)
				plans[u] = c.Str("installment_plan_id")
				if plans[u] == "" {
					t.Fatalf("no plan at capture: %s", c.Raw)
				}
			}
			p := w.plan("ia", plans["ia"])
			w.expect(p, map[string]string{"status": "active", "source": "payment", "principal": "1200.00", "terms": "12",
				"fee_rate": "0.088", "total_fee": "105.60", "apr": "0.1545", "effective_annual_rate": "0.1660",
				"total_payable": "1305.60", "periods_billed": "0", "remaining_principal": "1200.00"})
			for n, due := range map[int]string{1: "2026-12-10", 2: "2027-01-10", 12: "2027-11-10"} {
				if it := period(t, p, n); it["due_date"] != due || it["principal"] != "100.00" || it["fee"] != "8.80" || it["total"] != "108.80" {
					t.Errorf("period %d: %v", n, it)
				}
			}
			// Quotes: another shopper's payment is not found; a plan converts only once.
			other := s.Call("POST", "/v1/users/ib/installment-quotes", w.shopperToken("ib"), map[string]any{"payment_id": p.Str("payment_id"), "terms": 12})
			if other.Status != 404 {
				t.Fatalf("quote on another user's payment: %d %s", other.Status, other.Raw)
			}
			again := s.Call("POST", "/v1/users/ia/installment-plans", w.shopperToken("ia"), map[string]any{"payment_id": p.Str("payment_id"), "terms": 6})
			if again.Status != 409 || again.Reason() != "ALREADY_IN_INSTALLMENTS" {
				t.Fatalf("second plan: %d %s", again.Status, again.Raw)
			}
			if r := s.Call("POST", "/v1/users/ia/installment-quotes", w.shopperToken("ia"), map[string]any{"terms": 12}); r.Status != 400 {
				t.Fatalf("quote without source: %d %s", r.Status, r.Raw)
			}
			s.SetClock("2026-11-10T10:00:00+08:00")
			w.buyInstallments("ib", "1200.00", 0)
			w.buyInstallments("if", "200.00", 0) // billed in December, never converted
			// 交易分期 after checkout: ie converts a captured, unbilled 600.00 into 3 periods.
			ep := w.buyInstallments("ie", "600.00", 0)
			ebody := map[string]any{"payment_id": ep.Str("payment_id"), "terms": 3}
			eq := s.Must(200, "POST", "/v1/users/ie/installment-quotes", w.shopperToken("ie"), ebody)
			w.expect(eq, map[string]string{"principal": "600.00", "total_fee": "15.00", "apr": "0.1494", "total_payable": "615.00", "source": "payment"})
			if s.Call("POST", "/v1/users/ie/installment-plans", w.shopperToken("ia"), ebody, "Idempotency-Key: x").Status != 403 {
				t.Fatal("another shopper created ie's plan")
			}
			eplan := s.Must(200, "POST", "/v1/users/ie/installment-plans", w.shopperToken("ie"), ebody, "Idempotency-Key: ie-plan")
			plans["ie"] = eplan.Str("plan_id")
			w.expect(w.plan("ie", plans["ie"]), map[string]string{"status": "active", "remaining_principal": "600.00"})
			if it := period(t, eplan, 1); it["due_date"] != "2026-12-10" || it["total"] != "205.00" {
				t.Fatalf("ie period 1: %v", it)
			}
			w.checkBooks("2026-11-10")

			// December: period 1 of every checkout plan on the statement, principal and fee apart.
			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			for _, u := range []string{"ia", "ic", "id"} {
				st := w.statement(u, "2026-12")
				w.expect(st, map[string]string{"installments_due": "108.80", "new_balance": "108.80", "fees": "8.80", "new_purchases": "0.00"})
				lines, _ := st.Body["lines"].([]any)
				if len(lines) != 2 {
					t.Fatalf("%s lines: %s", u, st.Raw)
				}
			}
			w.expect(w.statement("ib", "2026-12"), map[string]string{"new_purchases": "1200.00", "new_balance": "1200.00", "installments_due": "0.00"})
			w.expect(w.statement("ie", "2026-12"), map[string]string{"new_purchases": "0.00", "installments_due": "205.00", "new_balance": "205.00"})

			// 账单分期: ib converts the December statement: period 1 is due on 2026-12-10.
			s.SetClock("2026-12-03T10:00:00+08:00")
			body := map[string]any{"statement_period": "2026-12", "terms": 12}
			q := s.Must(200, "POST", "/v1/users/ib/installment-quotes", w.shopperToken("ib"), body)
			w.expect(q, map[string]string{"principal": "1200.00", "total_fee": "105.60", "apr": "0.1886", "source": "statement"})
			if it := period(t, q, 1); it["due_date"] != "2026-12-10" {
				t.Fatalf("statement plan period 1: %v", it)
			}
			bp := s.Must(200, "POST", "/v1/users/ib/installment-plans", w.shopperToken("ib"), body, "Idempotency-Key: ib-plan")
			replay := s.Must(200, "POST", "/v1/users/ib/installment-plans", w.shopperToken("ib"), body, "Idempotency-Key: ib-plan")
			if replay.Str("plan_id") != bp.Str("plan_id") {
				t.Fatalf("replay made another plan: %s vs %s", replay.Raw, bp.Raw)
			}
			plans["ib"] = bp.Str("plan_id")
			w.expect(bp, map[string]string{"status": "active", "source": "statement", "statement_period": "2026-12", "periods_billed": "1"})
			w.expect(w.statement("ib", "2026-12"), map[string]string{"installments_due": "108.80", "new_balance": "108.80", "due_date": "2026-12-10"})
			w.expect(w.account("ib"), map[string]string{"statement_balance": "108.80"})
			// A statement without purchase principal, or an unknown one, does not convert;
			// operations read any plan; an unknown plan is a 404.
			if r := s.Call("POST", "/v1/users/ia/installment-quotes", w.shopperToken("ia"), body); r.Status != 409 || r.Reason() != "STATEMENT_NOT_INSTALLABLE" {
				t.Fatalf("statement of plan periods only: %d %s", r.Status, r.Raw)
			}
			if r := s.Call("POST", "/v1/users/ib/installment-quotes", w.shopperToken("ib"), map[string]any{"statement_period": "2030-01", "terms": 3}); r.Status != 404 {
				t.Fatalf("unknown statement: %d %s", r.Status, r.Raw)
			}
			w.expect(s.Must(200, "GET", "/v1/users/ib/installment-plans/"+plans["ib"], w.ops, nil), map[string]string{"plan_id": plans["ib"]})
			if r := s.Call("GET", "/v1/users/ib/installment-plans/"+plans["ia"], w.shopperToken("ib"), nil); r.Status != 404 {
				t.Fatalf("another user's plan id: %d %s", r.Status, r.Raw)
			}
			w.checkBooks("2026-12-03")

			// Everyone pays what is due each month on the 5th; id gets a partial refund in month 2.
			due := map[string]string{"ia": "108.80", "ib": "108.80", "ic": "108.80", "id": "108.80", "ie": "205.00"}
			for month := 0; month < 12; month++ {
				y, m := 2026+(11+month)/12, (11+month)%12+1
				date := fmt.Sprintf("%04d-%02d-01", y, m)
				if month > 0 {
					s.SetClock(date + "T00:30:00+08:00")
					w.job("statements", date)
				}
				for _, u := range []string{"ia", "ib", "ic", "id", "ie"} {
					if want, ok := due[u]; ok && month > 0 {
						st := w.statement(u, date[:7])
						w.expect(st, map[string]string{"installments_due": want, "new_balance": want})
						if u == "id" && month == 1 {
							// The refund shows through the re-spread installment, not as a refund line too.
							w.expect(st, map[string]string{"refunds": "0.00", "payments_and_credits": "108.80", "opening_balance": "108.80"})
						}
					}
				}
				s.SetClock(fmt.Sprintf("%04d-%02d-05T10:00:00+08:00", y, m))
				for _, u := range []string{"ia", "ib", "ic", "id", "ie"} {
					if amt, ok := due[u]; ok {
						r := w.repay(u, amt, fmt.Sprintf("%s-%s", u, date))
						w.expect(r, map[string]string{"to_credit_balance": "0.00"})
					}
				}
				switch month {
				case 0:
					// A partial refund in month 2: the 1,100.00 unbilled → 800.00 re-spread over
					// periods 2-12, unbilled fees cut in proportion (96.80 × 3/11 = 26.40).
					s.SetClock("2026-12-15T10:00:00+08:00")
					pid := w.plan("id", plans["id"]).Str("payment_id")
					w.s.Must(200, "POST", "/v1/payments/"+pid+"/refunds", w.merchant, map[string]any{"amount": "300.00"})
					pl := w.plan("id", plans["id"])
					w.expect(pl, map[string]string{"remaining_principal": "800.00", "unbilled_principal": "800.00", "fee_waived": "26.40",
						"total_fee": "79.20", "status": "active"})
					if it := period(t, pl, 2); it["principal"] != "72.80" || it["fee"] != "6.40" || it["total"] != "79.20" {
						t.Fatalf("re-spread period 2: %v", it)
					}
					if it := period(t, pl, 12); it["principal"] != "72.72" || it["fee"] != "6.40" {
						t.Fatalf("re-spread period 12: %v", it)
					}
					due["id"] = "79.20"
					// After its due date a statement no longer converts.
					if r := s.Call("POST", "/v1/users/if/installment-quotes", w.shopperToken("if"), map[string]any{"statement_period": "2026-12", "terms": 3}); r.Status != 409 || r.Reason() != "STATEMENT_NOT_INSTALLABLE" {
						t.Fatalf("statement past its due date: %d %s", r.Status, r.Raw)
					}
					w.checkBooks("2026-12-15")
				case 1:
					due["id"] = "79.12"

				case 2:
					w.expect(w.plan("ie", plans["ie"]), map[string]string{"status": "completed", "remaining_principal": "0.00", "periods_billed": "3"})
					delete(due, "ie")
				case 3:
					// Early payoff in month 4 (periods 1-4 billed): exactly the remaining 800.00.
					r := w.repayTarget("ic", "800.00", "plan:"+plans["ic"], "ic-payoff")
					w.expect(r, map[string]string{"to_credit_balance": "0.00"})
					allocs, _ := r.Body["allocated"].([]any)
					if len(allocs) != 1 || allocs[0].(map[string]any)["kind"] != "principal" || allocs[0].(map[string]any)["amount"] != "800.00" {
						t.Fatalf("payoff allocations: %s", r.Raw)
					}
					w.expect(w.plan("ic", plans["ic"]), map[string]string{"status": "paid_off", "remaining_principal": "0.00",
						"unbilled_principal": "0.00", "fee_waived": "70.40"})
					delete(due, "ic")
					// The line was used by the whole plan and is free again once it is repaid.
					w.expect(s.Must(200, "GET", "/v1/credit/lines/ic", w.ops, nil), map[string]string{"outstanding": "0.00"})
					w.expect(s.Must(200, "GET", "/v1/credit/lines/ia", w.ops, nil), map[string]string{"outstanding": "800.00"})
					w.checkBooks("2027-03-05")
				}
			}
			// The plans ran their course: the last statement (2027-11) billed period 12.
			w.expect(w.statement("ia", "2027-11"), map[string]string{"installments_due": "108.80"})
			for _, u := range []string{"ia", "ib", "id"} {
				w.expect(w.plan(u, plans[u]), map[string]string{"status": "completed", "remaining_principal": "0.00", "periods_billed": "12"})
			}
			w.expect(w.statement("ic", "2027-04"), map[string]string{"installments_due": "0.00"})
			w.expect(w.account("ia"), map[string]string{"statement_balance": "0.00", "credit_balance": "0.00"})
			w.checkBooks("2027-11-05")
		})
	}
}
