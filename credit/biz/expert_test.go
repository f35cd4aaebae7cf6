package biz

import (
	"os"
	"testing"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/scorecard"
)

func loadShipped(t *testing.T) *scorecard.Scorecard {
	t.Helper()
	b, err := os.ReadFile("../../configs/scorecard.json")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scorecard.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckScorecard(sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

func ip(n int) *int { return &n }

func typical() Profile {
	return Profile{KYCVerified: true, Age: ip(28), Education: "college", Employment: "employed", EmploymentMonths: ip(24),
		MonthlyIncome: amt("6000.00"), Assets: amt("30000.00"), Housing: "rent", CreditHistoryMonths: ip(36),
		LatePayments12m: ip(0), MaxDPD24m: ip(0), OutstandingDebt: amt("20000.00"), Inquiries6m: ip(2)}
}

// TestShippedScorecardMonotonic runs crafted profiles through the shipped scorecard and the
// default policy: each step that makes a profile better never lowers the score or the limit,
// and each step that makes it worse never raises them.
func TestShippedScorecardMonotonic(t *testing.T) {
	sc := loadShipped(t)
	p := defaultPolicy(t)
	decide := func(pr Profile) Decision { return p.Decide(sc.Score(pr.Record()), &pr, money.MaxAmount) }
	base := decide(typical())
	if !base.Approved || base.Score < 600 || base.Score > 700 {
		t.Fatalf("typical profile: %+v", base)
	}
	better := map[string]func(*Profile){
		"longer employment":     func(p *Profile) { p.EmploymentMonths = ip(120) },
		"higher income":         func(p *Profile) { p.MonthlyIncome = amt("30000.00") },
		"more assets":           func(p *Profile) { p.Assets = amt("500000.00") },
		"owns home":             func(p *Profile) { p.Housing = "own" },
		"longer credit history": func(p *Profile) { p.CreditHistoryMonths = ip(120) },
		"no debt":               func(p *Profile) { p.OutstandingDebt = amt("0.00") },
		"no inquiries":          func(p *Profile) { p.Inquiries6m = ip(0) },
		"master's degree":       func(p *Profile) { p.Education = "master" },
	}
	worse := map[string]func(*Profile){
		"late payments":        func(p *Profile) { p.LatePayments12m = ip(3) },
		"serious delinquency":  func(p *Profile) { p.MaxDPD24m = ip(90) },
		"unemployed":           func(p *Profile) { p.Employment = "unemployed" },
		"heavy debt":           func(p *Profile) { p.OutstandingDebt = amt("300000.00") },
		"many inquiries":       func(p *Profile) { p.Inquiries6m = ip(10) },
		"short credit history": func(p *Profile) { p.CreditHistoryMonths = ip(1) },
		"missing income":       func(p *Profile) { p.MonthlyIncome = nil },
	}
	for name, f := range better {
		pr := typical()
		f(&pr)
		d := decide(pr)
		if d.Score < base.Score || d.Limit < base.Limit {
			t.Errorf("%s: score %d limit %s, below typical %d %s", name, d.Score, d.Limit, base.Score, base.Limit)
		}
	}
	for name, f := range worse {
		pr := typical()
		f(&pr)
		d := decide(pr)
		if d.Score > base.Score || d.Limit > base.Limit {
			t.Errorf("%s: score %d limit %s, above typical %d %s", name, d.Score, d.Limit, base.Score, base.Limit)
		}
	}
	// a ladder of profiles from worst to best: scores and limits never decrease
	ladder := []Profile{
		{KYCVerified: true, Age: ip(19), Education: "none", Employment: "unemployed", MonthlyIncome: amt("0.00"), Housing: "rent",
			CreditHistoryMonths: ip(0), LatePayments12m: ip(6), MaxDPD24m: ip(120), OutstandingDebt: amt("200000.00"), Inquiries6m: ip(10)},
		{KYCVerified: true, Age: ip(23), Education: "high_school", Employment: "student", MonthlyIncome: amt("2000.00"), Housing: "family",
			CreditHistoryMonths: ip(6), LatePayments12m: ip(1), MaxDPD24m: ip(15), OutstandingDebt: amt("10000.00"), Inquiries6m: ip(4)},
		typical(),
		{KYCVerified: true, Age: ip(35), Education: "bachelor", Employment: "employed", EmploymentMonths: ip(60),
			MonthlyIncome: amt("15000.00"), Assets: amt("200000.00"), Housing: "own", CreditHistoryMonths: ip(84),
			LatePayments12m: ip(0), MaxDPD24m: ip(0), OutstandingDebt: amt("5000.00"), Inquiries6m: ip(1)},
		{KYCVerified: true, Age: ip(35), Education: "master", Employment: "employed", EmploymentMonths: ip(120),
			MonthlyIncome: amt("30000.00"), Assets: amt("500000.00"), Housing: "own", CreditHistoryMonths: ip(120),
			LatePayments12m: ip(0), MaxDPD24m: ip(0), OutstandingDebt: amt("0.00"), Inquiries6m: ip(0)},
	}
	prev := Decision{Score: 0}
	for i, pr := range ladder {
		d := decide(pr)
		if d.Score < prev.Score || d.Limit < prev.Limit {
			t.Errorf("rung %d: score %d limit %s below rung %d: %d %s", i, d.Score, d.Limit, i-1, prev.Score, prev.Limit)
		}
		prev = d
	}
	if first := decide(ladder[0]); first.Approved {
		t.Errorf("worst profile approved: %+v", first)
	}
	if last := decide(ladder[len(ladder)-1]); !last.Approved || last.Limit < money.Yuan(30000) {
		t.Errorf("best profile: %+v", last)
	}
	// the same strong profile without KYC is declined with KYC first
	strong := ladder[len(ladder)-1]
	strong.KYCVerified = false
	if d := decide(strong); d.Approved || d.Reasons[0].Code != ReasonKYCNotVerified {
		t.Errorf("strong without KYC: %+v", d)
	}
}

func TestCheckScorecardRejectsForeignFeatures(t *testing.T) {
	bad := []byte(`{"base_points":600,"base_odds":50,"pdo":20,"features":[{"name":"shoe_size","type":"numeric",
"bins":[{"min":null,"max":40,"points":1},{"min":40,"max":null,"points":2}],"missing":{"points":0}}]}`)
	sc, err := scorecard.Parse(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckScorecard(sc); err == nil {
		t.Fatal("a scorecard on shoe_size was accepted")
	}
	wrongType := []byte(`{"base_points":600,"base_odds":50,"pdo":20,"features":[{"name":"education","type":"numeric",
"bins":[{"min":null,"max":null,"points":1}],"missing":{"points":0}}]}`)
	if sc, err = scorecard.Parse(wrongType); err != nil {
		t.Fatal(err)
	}
	if err := CheckScorecard(sc); err == nil {
		t.Fatal("numeric education accepted")
	}
}
