package biz

import (
	"testing"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/scorecard"
)

func defaultPolicy(t *testing.T) LimitPolicy {
	t.Helper()
	p, err := DefaultConfig().Policy()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func amt(s string) *money.Amount {
	a := money.MustParse(s)
	return &a
}

func TestLimitPolicyTable(t *testing.T) {
	p := defaultPolicy(t)
	unlimited := money.MaxAmount
	tests := []struct {
		name     string
		score    int
		kyc      bool
		income   *money.Amount
		funding  money.Amount
		approved bool
		limit    string
		reason   string
	}{
		{"no KYC declines whatever the score", 900, false, amt("50000.00"), unlimited, false, "0.00", ReasonKYCNotVerified},
		{"below cut-off", 549, true, amt("50000.00"), unlimited, false, "0.00", ReasonScoreBelowCutoff},
		{"at cut-off, mid income", 550, true, amt("6000.00"), unlimited, true, "2000.00", ""},
		{"band 600 × 1.0", 620, true, amt("5000.00"), unlimited, true, "5000.00", ""},
		{"band 600 × 0.8", 649, true, amt("4999.99"), unlimited, true, "4000.00", ""},
		{"band 650 × 1.3 = 10,400", 650, true, amt("10000.00"), unlimited, true, "10400.00", ""},
		{"band 700 × 0.5 (missing income)", 700, true, nil, unlimited, true, "6000.00", ""},
		{"band 750 × 1.6 = 32,000", 760, true, amt("25000.00"), unlimited, true, "32000.00", ""},
		{"band 850 × 1.6 = 64,000 clamps to 50,000", 900, true, amt("25000.00"), unlimited, true, "50000.00", ""},
		{"band 550 × 0.5 = 1,000", 560, true, amt("0.00"), unlimited, true, "1000.00", ""},
		{"funding caps and rounds down to 100", 900, true, amt("25000.00"), money.MustParse("12345.67"), true, "12300.00", ""},
		{"funding below the minimum limit declines", 900, true, amt("25000.00"), money.MustParse("499.99"), false, "0.00", ReasonFundingExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof := &Profile{KYCVerified: tt.kyc, MonthlyIncome: tt.income}
			d := p.Decide(scorecard.Result{Score: tt.score}, prof, tt.funding)
			if d.Approved != tt.approved || d.Limit.String() != tt.limit || d.Score != tt.score {
				t.Fatalf("decision %+v, want approved=%v limit=%s", d, tt.approved, tt.limit)
			}
			if tt.reason != "" && (len(d.Reasons) == 0 || d.Reasons[0].Code != tt.reason) {
				t.Fatalf("reasons %+v, want first %s", d.Reasons, tt.reason)
			}
			if tt.approved && len(d.Reasons) != 0 {
				t.Fatalf("approved without scorecard reasons should list none: %+v", d.Reasons)
			}
		})
	}
}

func TestLimitRoundsDownTo100(t *testing.T) {
	p := defaultPolicy(t)
	p.Bands = []Band{{MinScore: 550, BaseLimit: money.MustParse("3333.33")}}
	p.IncomeFactors = []IncomeFactor{{MinIncome: 0, Factor: p.MissingIncomeFactor.Add(p.MissingIncomeFactor).Add(p.MissingIncomeFactor)}} // 1.5
	if got := p.Limit(600, amt("1.00")); got != money.Yuan(4900) {                                                                        // 4999.995 → 4900.00
		t.Fatalf("limit %s, want 4900.00", got)
	}
	if got := p.Limit(600, amt("1.00")); got%money.Yuan(100) != 0 {
		t.Fatalf("limit %s not a multiple of 100", got)
	}
}

func TestDecisionReasonsDeduplicateKYC(t *testing.T) {
	p := defaultPolicy(t)
	res := scorecard.Result{Score: 600, Reasons: []scorecard.Reason{
		{Feature: "kyc_verified", Bin: "false", Shortfall: 29, Code: "KYC_NOT_VERIFIED"},
		{Feature: "age", Bin: "[18, 21)", Shortfall: 22.4, Code: "AGE"},
	}}
	d := p.Decide(res, &Profile{}, money.MaxAmount)
	if len(d.Reasons) != 2 || d.Reasons[0].Code != ReasonKYCNotVerified || d.Reasons[1].Code != "AGE" || d.Reasons[1].PointsLost != 22 {
		t.Fatalf("reasons %+v", d.Reasons)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"bad min limit":   func(c *Config) { c.MinLimit = "abc" },
		"min above max":   func(c *Config) { c.MinLimit = "60000.00" },
		"no bands":        func(c *Config) { c.Bands = nil },
		"bad factor":      func(c *Config) { c.IncomeFactors[0].Factor = "-1" },
		"bad base limit":  func(c *Config) { c.Bands[0].BaseLimit = "1.234" },
		"bad risk amount": func(c *Config) { c.Risk.MaxAmountPerPayment = "x" },
		"bad window":      func(c *Config) { c.Risk.CashOutOpeningWindow = "soon" },
	} {
		c := DefaultConfig()
		mutate(&c)
		_, perr := c.Policy()
		_, rerr := c.Risk.Rules()
		if perr == nil && rerr == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
