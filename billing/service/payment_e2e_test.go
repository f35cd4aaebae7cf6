package service_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/configs"
)

// configWithVelocity is the shipped configuration with other per-user payment counts.
func configWithVelocity(t *testing.T, perHour, perDay int) string {
	t.Helper()
	s := string(configs.Default)
	for old, repl := range map[string]string{
		"max_payments_per_hour: 30": fmt.Sprintf("max_payments_per_hour: %d", perHour),
		"max_payments_per_day: 100": fmt.Sprintf("max_payments_per_day: %d", perDay),
	} {
		if strings.Count(s, old) != 1 {
			t.Fatalf("configs/config.yaml no longer has %q once", old)
		}
		s = strings.Replace(s, old, repl, 1)
	}
	return s
}

var (
	ops       = e2etest.Token("e2e-ops", auth.RoleOps)
	merchant  = e2etest.Token("m1", auth.RoleMerchant)
	merchant2 = e2etest.Token("m2", auth.RoleMerchant)
)

// goodProfile scores well above the cut-off (limit 50,000.00 with the shipped policy).
var goodProfile = map[string]any{
	"kyc_verified": true, "age": 30, "education": "bachelor", "employment": "employed", "employment_months": 48,
	"monthly_income": "20000.00", "assets": "500000.00", "housing": "own", "credit_history_months": 72,
	"late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0,
}

// openLine gives user an approved line, set to limit when limit is not "".
func openLine(t *testing.T, s *e2etest.Server, user, limit string) {
	t.Helper()
	s.Must(200, "PUT", "/v1/credit/profiles/"+user, ops, goodProfile)
	r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]string{"user_id": user})
	if r.Str("decision") != "approved" {
		t.Fatalf("application of %s: %s", user, r.Raw)
	}
	if limit != "" {
		s.Must(200, "POST", "/v1/credit/lines/"+user+"/adjustments", ops, map[string]string{"limit": limit, "reason": "e2e"})
	}
}

func pay(t *testing.T, s *e2etest.Server, token string, body map[string]any, headers ...string) e2etest.Response {
	t.Helper()
	return s.Must(200, "POST", "/v1/payments", token, body, headers...)
}

func line(t *testing.T, s *e2etest.Server, user string) e2etest.Response {
	t.Helper()
	return s.Must(200, "GET", "/v1/credit/lines/"+user, ops, nil)
}

func TestPaymentsE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Config: configWithVelocity(t, 3, 100), Env: []string{"HUABEI_JOBS_CRON=off"}})

			t.Run("capture and refunds", func(t *testing.T) {
				openLine(t, s, "u-flow", "")
				p := pay(t, s, merchant, map[string]any{"user_id": "u-flow", "merchant_order_id": "flow-1", "amount": "1000.00", "description": "phone"})
				if p.Str("status") != "authorized" || p.Str("amount") != "1000.00" {
					t.Fatalf("authorize: %s", p.Raw)
				}
				id := p.Str("payment_id")
				if got := line(t, s, "u-flow").Str("held"); got != "1000.00" {
					t.Fatalf("held %s", got)
				}
				// another merchant may neither read nor capture it
				if r := s.Call("POST", "/v1/payments/"+id+"/capture", merchant2, map[string]any{}); r.Status != 403 || r.Reason() != "FORBIDDEN" {
					t.Fatalf("other merchant capture: %d %s", r.Status, r.Raw)
				}
				if r := s.Call("GET", "/v1/payments/"+id, merchant2, nil); r.Status != 403 {
					t.Fatalf("other merchant get: %d %s", r.Status, r.Raw)
				}
				if r := s.Call("POST", "/v1/payments/"+id+"/capture", merchant, map[string]any{"amount": "1000.01"}); r.Status != 422 {
					t.Fatalf("over-capture: %d %s", r.Status, r.Raw)
				}
				c := s.Must(200, "POST", "/v1/payments/"+id+"/capture", merchant, map[string]any{"amount": "800.00"})
				if c.Str("status") != "captured" || c.Str("captured_amount") != "800.00" || c.Str("merchant_discount") != "4.80" || c.Str("captured_at") == "" {
					t.Fatalf("capture: %s", c.Raw)
				}
				l := line(t, s, "u-flow")
				if l.Str("held") != "0.00" || l.Str("outstanding") != "800.00" {
					t.Fatalf("line after capture: %s", l.Raw)
				}
				if r := s.Call("POST", "/v1/payments/"+id+"/capture", merchant, map[string]any{}); r.Status != 409 {
					t.Fatalf("second capture: %d %s", r.Status, r.Raw)
				}
				r1 := s.Must(200, "POST", "/v1/payments/"+id+"/refunds", merchant, map[string]any{"amount": "300.00", "reason": "returned"}, "Idempotency-Key: rf-1")
				if r1.Str("amount") != "300.00" || r1.Str("status") != "succeeded" || r1.Str("to_principal") != "300.00" || r1.Str("refund_id") == "" {
					t.Fatalf("refund 1: %s", r1.Raw)
				}
				// replay of the refund: same refund, nothing refunded twice
				again := s.Must(200, "POST", "/v1/payments/"+id+"/refunds", merchant, map[string]any{"amount": "300.00", "reason": "returned"}, "Idempotency-Key: rf-1")
				if again.Str("refund_id") != r1.Str("refund_id") {
					t.Fatalf("refund replay: %s", again.Raw)
				}
				s.Must(200, "POST", "/v1/payments/"+id+"/refunds", ops, map[string]any{"amount": "199.99"})
				before := s.Must(200, "GET", "/v1/payments/"+id, merchant, nil)
				if before.Str("refunded_amount") != "499.99" || before.Str("status") != "captured" {
					t.Fatalf("after refunds: %s", before.Raw)
				}
				over := s.Call("POST", "/v1/payments/"+id+"/refunds", merchant, map[string]any{"amount": "300.02"})
				if over.Status != 422 || over.Reason() != "REFUND_EXCEEDS_CAPTURED" {
					t.Fatalf("over-refund: %d %s", over.Status, over.Raw)
				}
				after := s.Must(200, "GET", "/v1/payments/"+id, merchant, nil)
				if !bytes.Equal(before.Raw, after.Raw) {
					t.Fatalf("over-refund changed the payment:\n%s\n%s", before.Raw, after.Raw)
				}
				if got := line(t, s, "u-flow").Str("outstanding"); got != "300.01" {
					t.Fatalf("outstanding after refunds %s", got)
				}
				last := s.Must(200, "POST", "/v1/payments/"+id+"/refunds", merchant, map[string]any{"amount": "300.01"})
				if last.Str("payment_status") != "refunded" {
					t.Fatalf("full refund: %s", last.Raw)
				}
				if got := s.Must(200, "GET", "/v1/payments/"+id, ops, nil); got.Str("status") != "refunded" || got.Str("refunded_discount") != "4.80" {
					t.Fatalf("refunded payment: %s", got.Raw)
				}
				if r := s.Call("POST", "/v1/payments/"+id+"/refunds", merchant, map[string]any{"amount": "0.01"}); r.Status != 422 {
					t.Fatalf("refund of refunded: %d %s", r.Status, r.Raw)
				}
			})

			t.Run("cancel restores credit", func(t *testing.T) {
				openLine(t, s, "u-cancel", "1000.00")
				p := pay(t, s, merchant, map[string]any{"user_id": "u-cancel", "merchant_order_id": "cancel-1", "amount": "400.00"})
				if got := line(t, s, "u-cancel").Str("available"); got != "600.00" {
					t.Fatalf("available after authorize %s", got)
				}
				if r := s.Call("POST", "/v1/payments/"+p.Str("payment_id")+"/cancel", merchant2, map[string]any{}); r.Status != 403 {
					t.Fatalf("other merchant cancel: %d", r.Status)
				}
				c := s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/cancel", merchant, map[string]any{})
				if c.Str("status") != "cancelled" {
					t.Fatalf("cancel: %s", c.Raw)
				}
				if l := line(t, s, "u-cancel"); l.Str("available") != "1000.00" || l.Str("held") != "0.00" {
					t.Fatalf("line after cancel: %s", l.Raw)
				}
				if r := s.Call("POST", "/v1/payments/"+p.Str("payment_id")+"/capture", merchant, map[string]any{}); r.Status != 409 {
					t.Fatalf("capture after cancel: %d", r.Status)
				}
			})

			t.Run("declines", func(t *testing.T) {
				openLine(t, s, "u-small", "1000.00")
				openLine(t, s, "u-big", "")
				openLine(t, s, "u-frozen", "")
				s.Must(200, "POST", "/v1/credit/lines/u-frozen/freeze", ops, map[string]string{"reason": "e2e"})
				openLine(t, s, "u-fast", "")
				for i := range 3 {
					pay(t, s, merchant, map[string]any{"user_id": "u-fast", "merchant_order_id": fmt.Sprintf("fast-%d", i), "amount": "10.00"})
				}
				for _, tc := range []struct {
					user, amount, category, reason string
				}{
					{"u-small", "1000.01", "", "INSUFFICIENT_CREDIT"},
					{"u-frozen", "10.00", "", "ACCOUNT_FROZEN"},
					{"u-fast", "10.00", "", "VELOCITY_LIMIT"},
					{"u-big", "20000.01", "", "AMOUNT_LIMIT"},
					{"u-big", "10.00", "gambling", "MERCHANT_BLOCKED"},
					{"u-nobody", "10.00", "", "NO_CREDIT_LINE"},
				} {
					p := pay(t, s, merchant, map[string]any{"user_id": tc.user, "merchant_order_id": "decline-" + tc.reason,
						"amount": tc.amount, "merchant_category": tc.category})
					if p.Str("status") != "declined" || p.Str("decline_reason") != tc.reason {
						t.Errorf("%s: %s", tc.reason, p.Raw)
					}
					// declines are recorded
					if got := s.Must(200, "GET", "/v1/payments/"+p.Str("payment_id"), ops, nil); got.Str("decline_reason") != tc.reason {
						t.Errorf("stored %s: %s", tc.reason, got.Raw)
					}
				}
				for _, body := range []map[string]any{
					{"user_id": "u-big", "merchant_order_id": "bad-1", "amount": "-1.00"},
					{"user_id": "u-big", "merchant_order_id": "bad-2", "amount": "1.001"},
					{"user_id": "u-big", "merchant_order_id": "bad-3", "amount": "10.00", "installments": 5},
					{"user_id": "u-big", "merchant_order_id": "bad-4", "amount": "10.00", "merchant_category": "weapons"},
					{"user_id": "", "merchant_order_id": "bad-5", "amount": "10.00"},
					{"user_id": "u-big", "merchant_order_id": "", "amount": "10.00"},
				} {
					if r := s.Call("POST", "/v1/payments", merchant, body); r.Status != 400 {
						t.Errorf("%v: %d %s", body, r.Status, r.Raw)
					}
				}
				if r := s.Call("POST", "/v1/payments", ops, map[string]any{"user_id": "u-big", "merchant_order_id": "ops-1", "amount": "1.00"}); r.Status != 403 {
					t.Errorf("ops authorizing: %d", r.Status)
				}
			})

			t.Run("duplicates and replays", func(t *testing.T) {
				openLine(t, s, "u-dup", "")
				first := pay(t, s, merchant, map[string]any{"user_id": "u-dup", "merchant_order_id": "dup-1", "amount": "600.00", "installments": 3})
				if first.Num("installments") != 3 {
					t.Fatalf("installments not stored: %s", first.Raw)
				}
				repeat := pay(t, s, merchant, map[string]any{"user_id": "u-dup", "merchant_order_id": "dup-1", "amount": "600.00", "installments": 3})
				if !bytes.Equal(first.Raw, repeat.Raw) {
					t.Fatalf("repeat order:\n%s\n%s", first.Raw, repeat.Raw)
				}
				k1 := pay(t, s, merchant, map[string]any{"user_id": "u-dup", "merchant_order_id": "dup-2", "amount": "30.00"}, "Idempotency-Key: pay-k1")
				k2 := pay(t, s, merchant, map[string]any{"user_id": "u-dup", "merchant_order_id": "dup-2", "amount": "30.00"}, "Idempotency-Key: pay-k1")
				if !bytes.Equal(k1.Raw, k2.Raw) {
					t.Fatalf("idempotent replay:\n%s\n%s", k1.Raw, k2.Raw)
				}
				if r := s.Call("POST", "/v1/payments", merchant, map[string]any{"user_id": "u-dup", "merchant_order_id": "dup-3", "amount": "30.00"}, "Idempotency-Key: pay-k1"); r.Status != 422 {
					t.Fatalf("key reuse: %d %s", r.Status, r.Raw)
				}
				// only the two payments hold credit
				if got := line(t, s, "u-dup").Str("held"); got != "630.00" {
					t.Fatalf("held %s", got)
				}
				// installments requested at checkout become a plan at capture
				c := s.Must(200, "POST", "/v1/payments/"+first.Str("payment_id")+"/capture", merchant, map[string]any{})
				if c.Str("installment_plan_id") == "" {
					t.Fatalf("no plan after capture: %s", c.Raw)
				}
				if got := s.Must(200, "GET", "/v1/payments/"+first.Str("payment_id"), merchant, nil); got.Str("installment_plan_id") != c.Str("installment_plan_id") {
					t.Fatalf("plan id not read back: %s", got.Raw)
				}
			})

			t.Run("auto capture job", func(t *testing.T) {
				openLine(t, s, "u-auto", "")
				p := pay(t, s, merchant, map[string]any{"user_id": "u-auto", "merchant_order_id": "auto-1", "amount": "88.00"})
				id := p.Str("payment_id")
				authDate := p.Str("authorized_at")[:10]
				d, err := time.Parse("2006-01-02", authDate)
				if err != nil {
					t.Fatal(err)
				}
				early := d.AddDate(0, 0, 9).Format("2006-01-02")
				due := d.AddDate(0, 0, 10).Format("2006-01-02")
				s.SetClock(early) // jobs refuse business dates after the business clock
				s.Must(200, "POST", "/v1/ops/jobs/auto_capture/runs", ops, map[string]any{"business_date": early})
				if got := s.Must(200, "GET", "/v1/payments/"+id, ops, nil); got.Str("status") != "authorized" {
					t.Fatalf("captured before due: %s", got.Raw)
				}
				s.SetClock(due)
				run := s.Must(200, "POST", "/v1/ops/jobs/auto_capture/runs", ops, map[string]any{"business_date": due})
				if run.Str("status") != "succeeded" {
					t.Fatalf("job run: %s", run.Raw)
				}
				got := s.Must(200, "GET", "/v1/payments/"+id, ops, nil)
				if got.Str("status") != "captured" || got.Str("capture_date") != due || got.Str("captured_amount") != "88.00" {
					t.Fatalf("auto-captured: %s", got.Raw)
				}
				if l := line(t, s, "u-auto"); l.Str("held") != "0.00" || l.Str("outstanding") != "88.00" {
					t.Fatalf("line: %s", l.Raw)
				}
			})

			metrics := s.Call("GET", "/metrics", "", nil)
			for _, want := range []string{`huabei_payments_total{reason="",status="authorized"}`, `huabei_payments_total{reason="VELOCITY_LIMIT",status="declined"}`, "huabei_payment_authorize_seconds_bucket"} {
				if !strings.Contains(string(metrics.Raw), want) {
					t.Errorf("metrics lack %s", want)
				}
			}

			tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance", ops, nil)
			if tb.Body["balanced"] != true {
				t.Fatalf("trial balance: %s", tb.Raw)
			}
		})
	}
}

// TestPaymentsConcurrentE2E: 100 concurrent payments on one 1,000.00 line; exactly the
// ones that fit are authorized, and the books agree afterwards.
func TestPaymentsConcurrentE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Config: configWithVelocity(t, 1000, 1000), Env: []string{"HUABEI_JOBS_CRON=off"}})
			openLine(t, s, "u-hot", "1000.00")
			const n = 100
			amount := money.MustParse("30.00") // 33 fit: 990.00
			type result struct {
				status int
				body   map[string]any
			}
			results := make([]result, n)
			var wg sync.WaitGroup
			client := &http.Client{}
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, _ := json.Marshal(map[string]any{"user_id": "u-hot", "merchant_order_id": fmt.Sprintf("hot-%d", i), "amount": amount.String()})
					req, _ := http.NewRequest("POST", s.URL+"/v1/payments", bytes.NewReader(b))
					req.Header.Set("Authorization", "Bearer "+merchant)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						results[i] = result{status: -1}
						return
					}
					defer resp.Body.Close()
					var body map[string]any
					_ = json.NewDecoder(resp.Body).Decode(&body)
					results[i] = result{resp.StatusCode, body}
				}()
			}
			wg.Wait()
			var approved []string
			for i, r := range results {
				if r.status != 200 {
					t.Fatalf("payment %d: status %d %v", i, r.status, r.body)
				}
				switch r.body["status"] {
				case "authorized":
					approved = append(approved, r.body["payment_id"].(string))
				case "declined":
					if r.body["decline_reason"] != "INSUFFICIENT_CREDIT" {
						t.Fatalf("payment %d: %v", i, r.body)
					}
				default:
					t.Fatalf("payment %d: %v", i, r.body)
				}
			}
			if len(approved) != 33 {
				t.Fatalf("%d authorized, want 33", len(approved))
			}
			if l := line(t, s, "u-hot"); l.Str("held") != "990.00" || l.Str("available") != "10.00" {
				t.Fatalf("line: %s", l.Raw)
			}
			// capture all, refund a little of some, concurrently
			var captured, refunded money.Amount
			var mu sync.Mutex
			errs := make(chan string, len(approved))
			for i, id := range approved {
				wg.Add(1)
				go func() {
					defer wg.Done()
					post := func(path string, body string) int {
						req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+merchant)
						resp, err := client.Do(req)
						if err != nil {
							return -1
						}
						resp.Body.Close()
						return resp.StatusCode
					}
					if st := post("/v1/payments/"+id+"/capture", `{"amount":"25.00"}`); st != 200 {
						errs <- fmt.Sprintf("capture %s: %d", id, st)
						return
					}
					mu.Lock()
					captured += money.MustParse("25.00")
					mu.Unlock()
					if i%3 == 0 {
						if st := post("/v1/payments/"+id+"/refunds", `{"amount":"7.77"}`); st != 200 {
							errs <- fmt.Sprintf("refund %s: %d", id, st)
							return
						}
						mu.Lock()
						refunded += money.MustParse("7.77")
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
			want := captured - refunded
			if l := line(t, s, "u-hot"); l.Str("held") != "0.00" || l.Str("outstanding") != want.String() {
				t.Fatalf("line after captures: %s, want outstanding %s", l.Raw, want)
			}
			tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance", ops, nil)
			if tb.Body["balanced"] != true {
				t.Fatalf("trial balance: %s", tb.Raw)
			}
			accounts, _ := tb.Body["accounts"].([]any)
			found := false
			for _, a := range accounts {
				m := a.(map[string]any)
				if m["account"] == "receivable.principal" {
					found = true
					// u-hot is the only user of this server
					if m["balance"] != want.String() {
						t.Fatalf("receivable.principal %v, want %s", m["balance"], want)
					}
				}
			}
			if !found {
				t.Fatalf("no receivable.principal in %s", tb.Raw)
			}
		})
	}
}
