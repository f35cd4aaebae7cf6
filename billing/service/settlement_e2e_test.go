package service_test

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/configs"
)

// flakyPayouts is the shipped configuration with a payout channel that declines half of
// the attempts (fixed seed) and one attempt per run, so runs fail and are re-run.
func flakyPayouts(t *testing.T) string {
	t.Helper()
	s := string(configs.Default)
	for old, repl := range map[string]string{
		`channel: {failure_rate: "0", seed: 1}   # simulated payout channel`: `channel: {failure_rate: "0.5", seed: 7}   # simulated payout channel`,
		"payout_attempts: 3": "payout_attempts: 1",
	} {
		if strings.Count(s, old) != 1 {
			t.Fatalf("configs/config.yaml no longer has %q once", old)
		}
		s = strings.Replace(s, old, repl, 1)
	}
	return s
}

type settlementRow struct {
	SettlementID  string `json:"settlement_id"`
	MerchantID    string `json:"merchant_id"`
	BusinessDate  string `json:"business_date"`
	GrossCaptured string `json:"gross_captured"`
	Refunds       string `json:"refunds"`
	Discount      string `json:"discount"`
	NetAmount     string `json:"net_amount"`
	Status        string `json:"status"`
	PaidAt        string `json:"paid_at"`
	PaymentCount  int    `json:"payment_count"`
}

func settlements(t *testing.T, s *e2etest.Server, token, merchantID string) []settlementRow {
	t.Helper()
	r := s.Must(200, "GET", "/v1/merchants/"+merchantID+"/settlements", token, nil)
	var out struct{ Settlements []settlementRow }
	if err := json.Unmarshal(r.Raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Settlements
}

// settlementFile fetches the CSV and returns its rows and the sum of its net column.
func settlementFile(t *testing.T, s *e2etest.Server, token, merchantID, id string) ([][]string, money.Amount) {
	t.Helper()
	r := s.Must(200, "GET", "/v1/merchants/"+merchantID+"/settlements/"+id+"/file", token, nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "payment_id,merchant_order_id,type,amount,discount,net" {
		t.Fatalf("header %v", rows[0])
	}
	var sum money.Amount
	for _, row := range rows[1:] {
		a, d, n := money.MustParse(row[3]), money.MustParse(row[4]), money.MustParse(row[5])
		if a-d != n {
			t.Fatalf("line %v: amount − discount ≠ net", row)
		}
		sum += n
	}
	return rows[1:], sum
}

// runUntilSucceeded runs the job, re-running failed runs (the channel declines), as an
// operator or the next cron firing would.
func runUntilSucceeded(t *testing.T, s *e2etest.Server, name, date string) int {
	t.Helper()
	for i := 1; i <= 20; i++ {
		r := s.Must(200, "POST", "/v1/ops/jobs/"+name+"/runs", ops, map[string]any{"business_date": date})
		if r.Str("status") == "succeeded" {
			return i
		}
	}
	t.Fatalf("%s for %s never succeeded", name, date)
	return 0
}

func fundingCash(t *testing.T, s *e2etest.Server) money.Amount {
	t.Helper()
	return money.MustParse(s.Must(200, "GET", "/v1/abs/funding", ops, nil).Str("cash"))
}

func payableBalance(t *testing.T, s *e2etest.Server) money.Amount {
	t.Helper()
	tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance", ops, nil)
	if tb.Body["balanced"] != true {
		t.Fatalf("trial balance: %s", tb.Raw)
	}
	rec, _ := tb.Body["reconciliation"].(map[string]any)
	if diffs, _ := rec["differences"].([]any); len(diffs) != 0 {
		t.Fatalf("reconciliation differences: %s", tb.Raw)
	}
	if fails, _ := rec["failures"].([]any); len(fails) != 0 {
		t.Fatalf("reconciliation failures: %s", tb.Raw)
	}
	accts, _ := tb.Body["accounts"].([]any)
	for _, a := range accts {
		m := a.(map[string]any)
		if m["account"] == "merchant.payable" {
			return money.MustParse(m["balance"].(string))
		}
	}
	return 0
}

// TestMerchantSettlementE2E: T+1 settlement nets captures, refunds and discount into one
// payout per merchant through a channel that declines half the attempts (paid once,
// never twice); the CSV, the settlement and the ledger agree, funding cash falls by
// exactly the payouts, a negative day carries into the next payout, settlement.paid
// reaches the merchant's events, and another merchant gets 403.
func TestMerchantSettlementE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Config: flakyPayouts(t), Env: []string{"HUABEI_JOBS_CRON=off"}})
			s.SetClock("2026-11-05T10:00:00+08:00")
			openLine(t, s, "u-set", "")
			capture := func(token, order, amount string) string {
				p := pay(t, s, token, map[string]any{"user_id": "u-set", "merchant_order_id": order, "amount": amount})
				s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", token, map[string]any{})
				return p.Str("payment_id")
			}
			big := capture(merchant, "s-1", "1000.00")
			mid := capture(merchant, "s-2", "500.00")
			s.Must(200, "POST", "/v1/payments/"+mid+"/refunds", merchant, map[string]any{"amount": "100.00"}, "Idempotency-Key", "s-r1")
			pay(t, s, merchant, map[string]any{"user_id": "u-set", "merchant_order_id": "s-3", "amount": "200.00"}) // never captured
			capture(merchant2, "s-4", "300.00")

			// T+1: the day must be over.
			if r := s.Must(200, "POST", "/v1/ops/jobs/merchant_settlement/runs", ops, map[string]any{"business_date": "2026-11-05"}); r.Str("status") != "failed" || !strings.Contains(r.Str("error"), "BUSINESS_DATE_NOT_OVER") {
				t.Fatalf("same-day settlement: %s", r.Raw)
			}
			cash0, payable0 := fundingCash(t, s), payableBalance(t, s)
			s.SetClock("2026-11-06T01:00:00+08:00")
			runs := runUntilSucceeded(t, s, "merchant_settlement", "2026-11-05")
			if runs < 2 {
				t.Fatalf("day 1 settled in %d run: the seed no longer makes the channel decline (pick one that does)", runs)
			}

			// 1000 × 0.6% = 6.00, 500 × 0.6% = 3.00, refund 100 of 500 returns 0.60
			list := settlements(t, s, merchant, "m1")
			want := settlementRow{MerchantID: "m1", BusinessDate: "2026-11-05", GrossCaptured: "1500.00", Refunds: "100.00",
				Discount: "8.40", NetAmount: "1391.60", Status: "paid", PaymentCount: 2}
			if len(list) != 1 {
				t.Fatalf("m1 settlements %+v", list)
			}
			got := list[0]
			if got.PaidAt == "" {
				t.Fatalf("paid settlement without paid_at: %+v", got)
			}
			got.SettlementID, got.PaidAt = "", ""
			if got != want {
				t.Fatalf("m1 settlement %+v, want %+v", got, want)
			}
			rows, sum := settlementFile(t, s, merchant, "m1", list[0].SettlementID)
			if len(rows) != 3 || sum != money.MustParse("1391.60") {
				t.Fatalf("file rows %v sum %v", rows, sum)
			}
			m2 := settlements(t, s, merchant2, "m2")
			if len(m2) != 1 || m2[0].NetAmount != "298.20" || m2[0].Status != "paid" {
				t.Fatalf("m2 settlements %+v", m2)
			}
			paid := money.MustParse("1391.60") + money.MustParse("298.20")
			if cash := fundingCash(t, s); cash0-cash != paid {
				t.Fatalf("funding cash fell by %v, want exactly the payouts %v", cash0-cash, paid)
			}
			if p := payableBalance(t, s); payable0-p != paid || p != 0 {
				t.Fatalf("merchant.payable %v → %v, want down by %v to 0", payable0, p, paid)
			}
			// re-running a settled date changes nothing
			s.Must(200, "POST", "/v1/ops/jobs/merchant_settlement/runs", ops, map[string]any{"business_date": "2026-11-05"})
			if cash := fundingCash(t, s); cash0-cash != paid {
				t.Fatalf("a re-run paid again: cash fell by %v", cash0-cash)
			}

			// Another merchant sees nothing of m1's.
			s.Must(403, "GET", "/v1/merchants/m1/settlements", merchant2, nil)
			s.Must(403, "GET", "/v1/merchants/m1/settlements/"+list[0].SettlementID+"/file", merchant2, nil)
			s.Must(404, "GET", "/v1/merchants/m2/settlements/"+list[0].SettlementID+"/file", merchant2, nil)
			s.Must(403, "GET", "/v1/merchants/m1/payments", merchant2, nil)
			ps := s.Must(200, "GET", "/v1/merchants/m1/payments?status=captured&from=2026-11-05&to=2026-11-05", merchant, nil)
			if n := strings.Count(string(ps.Raw), `"payment_id"`); n != 2 {
				t.Fatalf("m1 captured payments: %d in %s", n, ps.Raw)
			}
			s.Must(400, "GET", "/v1/merchants/m1/payments?status=bogus", merchant, nil)
			s.Must(400, "GET", "/v1/merchants/m1/payments?from=11/05/2026", merchant, nil)

			// Day 2: a refund bigger than the day's sales: nothing paid, carried forward.
			s.Must(200, "POST", "/v1/payments/"+big+"/refunds", merchant, map[string]any{"amount": "900.00"}, "Idempotency-Key", "s-r2")
			s.SetClock("2026-11-07T01:00:00+08:00")
			runUntilSucceeded(t, s, "merchant_settlement", "2026-11-06")
			if l := settlements(t, s, merchant, "m1"); len(l) != 1 {
				t.Fatalf("a negative day was listed or paid: %+v", l)
			}
			// Day 3: sales again; the payout takes the carried −894.60 (900 − 5.40) in.
			capture(merchant, "s-5", "2000.00")
			s.SetClock("2026-11-08T01:00:00+08:00")
			cash1 := fundingCash(t, s)
			runUntilSucceeded(t, s, "merchant_settlement", "2026-11-07")
			l := settlements(t, s, merchant, "m1")
			if len(l) != 2 || l[0].BusinessDate != "2026-11-07" || l[0].NetAmount != "1093.40" || l[0].Status != "paid" {
				t.Fatalf("day 3 settlement %+v", l)
			}
			rows, sum = settlementFile(t, s, ops, "m1", l[0].SettlementID)
			if sum != money.MustParse("1093.40") || len(rows) != 2 || rows[0][2] != "carry_forward" || rows[0][5] != "-894.60" {
				t.Fatalf("day 3 file %v sum %v", rows, sum)
			}
			if cash := fundingCash(t, s); cash1-cash != money.MustParse("1093.40") {
				t.Fatalf("day 3 cash fell by %v", cash1-cash)
			}
			if p := payableBalance(t, s); p != 0 {
				t.Fatalf("merchant.payable %v after every day was settled", p)
			}

			// settlement.paid reaches m1's event list (through the relay).
			deadline := time.Now().Add(60 * time.Second)
			for {
				ev := s.Must(200, "GET", "/v1/merchants/m1/events?limit=200", merchant, nil)
				if strings.Count(string(ev.Raw), `"settlement.paid"`) == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("settlement.paid events: %s", ev.Raw)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestSettlementCrashE2E (MariaDB): the process dies (exit right after the channel paid a
// settlement, before the payout is recorded) again and again during the settlement job;
// each restart re-runs it. Every settlement ends paid exactly once: one channel payout per
// settlement, funding cash down by exactly the nets, one settlement.paid each.
func TestSettlementCrashE2E(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Engine: "mysql", Env: []string{"HUABEI_JOBS_CRON=off",
		"HUABEI_TEST_CRASH_AFTER_PAYOUTS=2", "HUABEI_JOBS_LEASE_TTL=1s"}})
	s.SetClock("2026-11-05T10:00:00+08:00")
	openLine(t, s, "u-crash", "")
	merchants := []string{"mc-a", "mc-b", "mc-c", "mc-d", "mc-e"}
	want := money.Amount(0)
	for i, m := range merchants {
		tok := e2etest.Token(m, auth.RoleMerchant)
		p := pay(t, s, tok, map[string]any{"user_id": "u-crash", "merchant_order_id": "c", "amount": fmt.Sprintf("%d.00", 100*(i+1))})
		s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", tok, map[string]any{})
		gross := money.MustParse(fmt.Sprintf("%d.00", 100*(i+1)))
		want += gross - gross.MulRate(decimal.RequireFromString("0.006"), money.HalfUp)
	}
	cash0 := fundingCash(t, s)
	s.SetClock("2026-11-06T01:00:00+08:00")
	crashes := 0
	for {
		if crashes > 10 {
			t.Fatal("merchant_settlement did not finish")
		}
		r, err := s.TryCall("POST", "/v1/ops/jobs/merchant_settlement/runs", ops, map[string]any{"business_date": "2026-11-05"})
		if err == nil && r.Status == 200 && r.Str("status") == "succeeded" {
			break
		}
		// the process exits by itself at the hook: wait for it, then restart
		for i := 0; i < 400; i++ {
			resp, err := http.Get(s.URL + "/healthz")
			if err != nil {
				break
			}
			resp.Body.Close()
			time.Sleep(25 * time.Millisecond)
		}
		s.Kill()
		crashes++
		time.Sleep(1100 * time.Millisecond) // the dead runner's lease expires
		s.Restart()
	}
	if crashes < 2 {
		t.Fatalf("%d crashes: the hook did not interrupt the payouts", crashes)
	}
	db, err := sql.Open("mysql", s.MySQLDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var payouts, paidSettlements, events int
	var paidSum, netSum int64
	if err := db.QueryRow("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM channel_payout").Scan(&payouts, &paidSum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*), COALESCE(SUM(net_amount), 0) FROM merchant_settlement WHERE status = 'paid'").Scan(&paidSettlements, &netSum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM outbox_event WHERE type = 'settlement.paid'").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if payouts != len(merchants) || paidSettlements != len(merchants) || events != len(merchants) ||
		money.Amount(paidSum) != want || money.Amount(netSum) != want {
		t.Fatalf("after %d crashes: %d channel payouts (%v), %d paid settlements (%v), %d settlement.paid events; want %d each, %v",
			crashes, payouts, money.Amount(paidSum), paidSettlements, money.Amount(netSum), events, len(merchants), want)
	}
	if cash := fundingCash(t, s); cash0-cash != want {
		t.Fatalf("funding cash fell by %v, want exactly %v", cash0-cash, want)
	}
	if p := payableBalance(t, s); p != 0 {
		t.Fatalf("merchant.payable %v after settlement", p)
	}
	t.Logf("settlement survived %d crashes between a channel payout and its record", crashes)
}
