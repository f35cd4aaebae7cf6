package simulation

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/huabei/huabei/app/money"
)

func TestDrawProfileRangesAndRisk(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var goodInc, badInc float64
	var goodLate, badLate int
	for i := 0; i < 4000; i++ {
		r := float64(i%2) * 0.9 // alternately best and worst risk
		p := drawProfile(rng, r)
		if p.Age < 18 || p.Age > 68 || p.EmploymentMonths < 0 || p.CreditHistoryMonths < 0 || p.Inquiries6m < 0 {
			t.Fatalf("out of range: %+v", p)
		}
		for _, s := range []string{p.MonthlyIncome, p.Assets, p.OutstandingDebt} {
			if a, err := money.Parse(s); err != nil || a < 0 {
				t.Fatalf("bad amount %q in %+v", s, p)
			}
		}
		inc, _ := money.Parse(p.MonthlyIncome)
		if r == 0 {
			goodInc += float64(inc)
			goodLate += p.LatePayments12m
		} else {
			badInc += float64(inc)
			badLate += p.LatePayments12m
		}
	}
	if goodInc <= badInc || goodLate >= badLate {
		t.Errorf("risk should lower income and raise late payments: income %.0f vs %.0f, late %d vs %d", goodInc, badInc, goodLate, badLate)
	}
}

func TestBehaviourMixSumsToOneAndWorsensWithScore(t *testing.T) {
	prevDefault := -1.0
	for _, score := range []int{900, 720, 670, 620, 560} {
		m := behaviourMix(score)
		if s := m[0] + m[1] + m[2] + m[3]; math.Abs(s-1) > 1e-9 {
			t.Errorf("score %d: mix sums to %v", score, s)
		}
		if m[3] <= prevDefault {
			t.Errorf("score %d: default share %v not above better band's %v", score, m[3], prevDefault)
		}
		prevDefault = m[3]
	}
}

func TestDrawAmountWithinCaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		c := categories[i%len(categories)]
		a := drawAmount(rng, c, 2000_00)
		if a < 100 || a > 1200_00 {
			t.Fatalf("amount %v outside [1.00, 60%% of limit]", a)
		}
		if a%100_00 == 0 {
			t.Fatalf("round amount %v", a)
		}
	}
}

func TestRouteOfMasksIDs(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/payments/383393900248666112/capture":   "/v1/payments/{id}/capture",
		"/v1/users/s1-u000001/repayments":           "/v1/users/{id}/repayments",
		"/v1/ops/jobs/accrue/runs":                  "/v1/ops/jobs/accrue/runs",
		"/v1/ops/ledger/trial-balance?date=2027-01": "/v1/ops/ledger/trial-balance",
	} {
		if got := routeOf(in); got != want {
			t.Errorf("routeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePortfolio(t *testing.T) {
	counts, bal := map[string]int{}, map[string]money.Amount{}
	out, ok := parsePortfolio(map[string]any{"outstanding_principal": "300.00", "buckets": []any{
		map[string]any{"bucket": "current", "count": float64(2), "balance": "200.00"},
		map[string]any{"bucket": "m1", "count": "1", "balance": "100.00"},
	}}, counts, bal)
	if !ok || out != 300_00 || counts["current"] != 2 || counts["M1"] != 1 || bal["M1"] != 100_00 {
		t.Errorf("got %v %v %v %v", out, ok, counts, bal)
	}
	if _, ok := parsePortfolio(map[string]any{"x": 1}, counts, bal); ok {
		t.Error("unknown shape accepted")
	}
}
