package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

const handTape = `asset_id,obligor_id,principal,annual_rate,remaining_periods,amortization,score
a1,u1,12000.00,0.12,12,level,700
a2,u2,6000.00,0.18,6,equal_principal,620
`

func TestPoolStatsTape(t *testing.T) {
	cases := []struct {
		name, tape string
		want       poolStatsJSON
	}{
		{"hand-checked level + equal principal", handTape,
			// WAC (1440+1080)/18000; WAM (144000+36000)/18000; WAL (12000·6.618546+6000·3.5)/18000.
			poolStatsJSON{2, 2, "18000.00", "9000.00", "0.1400", "10.0000", "5.5790", "0.6667"}},
		{"one level loan", "asset_id,obligor_id,principal,annual_rate,remaining_periods,amortization\nx,o,1000.00,0.12,12,level\n",
			poolStatsJSON{1, 1, "1000.00", "1000.00", "0.1200", "12.0000", "6.6185", "1.0000"}},
		{"equal principal, same obligor", "obligor_id,asset_id,principal,annual_rate,remaining_periods,amortization\no,x,300.00,0.10,3,equal_principal\no,y,100.00,0.20,12,equal_principal\n",
			// WAC (30+20)/400 = 0.125; WAM (900+1200)/400 = 5.25; WAL (300·2 + 100·6.5)/400 = 3.125.
			poolStatsJSON{2, 1, "400.00", "200.00", "0.1250", "5.2500", "3.1250", "1.0000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runTapeStats(strings.NewReader(c.tape), &out, true); err != nil {
				t.Fatal(err)
			}
			var got tapeStatsJSON
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Stats != c.want {
				t.Errorf("stats = %+v, want %+v", got.Stats, c.want)
			}
			for by, rows := range got.Strata {
				sum := decimal.Zero
				for _, r := range rows {
					sum = sum.Add(decimal.RequireFromString(r.Share))
				}
				if !sum.Equal(decimal.NewFromInt(1)) {
					t.Errorf("%s shares sum to %s", by, sum)
				}
			}
		})
	}
}

func TestPoolStatsTable(t *testing.T) {
	var out bytes.Buffer
	if err := runTapeStats(strings.NewReader(handTape), &out, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5.5790", "600-649", "700-749"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPoolStatsBadTape(t *testing.T) {
	for _, tape := range []string{
		"asset_id,obligor_id,principal\n",
		"asset_id,obligor_id,principal,annual_rate,remaining_periods,amortization\nx,o,1.001,0.1,3,level\n",
		"asset_id,obligor_id,principal,annual_rate,remaining_periods,amortization\nx,o,1.00,0.1,3,balloon\n",
	} {
		if err := runTapeStats(strings.NewReader(tape), &bytes.Buffer{}, true); err == nil {
			t.Errorf("tape %q accepted", tape)
		}
	}
}

func runCtl(t *testing.T, args ...string) string {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("huabeictl %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// TestPoolServerCommands drives pool create/show/strata/transfer/report against a real
// server (SQLite) with a token minted from HUABEI_JWT_SECRET.
func TestPoolServerCommands(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Engine: "sqlite", Env: []string{"HUABEI_JOBS_CRON=off"}})
	t.Setenv("HUABEI_JWT_SECRET", e2etest.Secret)
	s.SetClock("2026-11-05T10:00:00+08:00")
	ops := e2etest.Token("ops", auth.RoleOps)
	merchant := e2etest.Token("shop", auth.RoleMerchant)
	s.Must(200, "PUT", "/v1/credit/profiles/u1", ops, map[string]any{"kyc_verified": true, "age": 35, "education": "master",
		"employment": "employed", "employment_months": 60, "monthly_income": "20000.00", "assets": "300000.00", "housing": "own",
		"credit_history_months": 96, "late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0})
	s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "u1"})
	for i, a := range []string{"300.00", "700.00"} {
		p := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "u1", "merchant_order_id": fmt.Sprint("o", i), "amount": a})
		s.Must(200, "POST", "/v1/payments/"+p.Str("payment_id")+"/capture", merchant, map[string]any{})
	}
	out := runCtl(t, "pool", "create", "--server", s.URL, "--name", "cli pool", "--cutoff", "2026-11-05")
	var id string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "pool_id" {
			id = f[1]
		}
	}
	if id == "" || !strings.Contains(out, "1000.00") || !strings.Contains(out, "draft") {
		t.Fatalf("create:\n%s", out)
	}
	if out := runCtl(t, "pool", "show", id, "--server", s.URL); !strings.Contains(out, "asset_count") {
		t.Fatalf("show:\n%s", out)
	}
	if out := runCtl(t, "pool", "strata", id, "--by", "balance", "--server", s.URL); !strings.Contains(out, "0-500") || !strings.Contains(out, "0.3000") {
		t.Fatalf("strata:\n%s", out)
	}
	if out := runCtl(t, "pool", "transfer", id, "--buyer", "SPV", "--price", "98.50", "--server", s.URL); !strings.Contains(out, "985.00") || !strings.Contains(out, "transferred") {
		t.Fatalf("transfer:\n%s", out)
	}
	if out := runCtl(t, "pool", "report", id, "2026-11", "--server", s.URL); !strings.Contains(out, "ending_balance") || !strings.Contains(out, "1000.00") {
		t.Fatalf("report:\n%s", out)
	}
}
