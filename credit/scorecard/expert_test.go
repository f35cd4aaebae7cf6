package scorecard

import (
	"strconv"
	"testing"
)

const expertPath = "../../configs/scorecard.json"

func loadExpert(t testing.TB) *Scorecard {
	t.Helper()
	s, err := Load(expertPath)
	if err != nil {
		t.Fatalf("load shipped scorecard: %v", err)
	}
	return s
}

var (
	strongProfile = Record{
		"kyc_verified": "true", "age": "35", "education": "master", "employment": "employed",
		"employment_months": "120", "monthly_income": "30000.00", "assets": "500000.00", "housing": "own",
		"credit_history_months": "120", "late_payments_12m": "0", "max_dpd_24m": "0",
		"outstanding_debt": "0.00", "inquiries_6m": "0",
	}
	typicalProfile = Record{
		"kyc_verified": "true", "age": "28", "education": "college", "employment": "employed",
		"employment_months": "24", "monthly_income": "6000.00", "assets": "30000.00", "housing": "rent",
		"credit_history_months": "36", "late_payments_12m": "0", "max_dpd_24m": "0",
		"outstanding_debt": "20000.00", "inquiries_6m": "2",
	}
	terribleProfile = Record{
		"age": "19", "education": "none", "employment": "unemployed", "monthly_income": "0",
		"housing": "rent", "credit_history_months": "0", "late_payments_12m": "6", "max_dpd_24m": "120",
		"outstanding_debt": "200000.00", "inquiries_6m": "10",
	}
)

func with(r Record, kv ...string) Record {
	out := make(Record, len(r)+len(kv)/2)
	for k, v := range r {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func without(r Record, keys ...string) Record {
	out := with(r)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestExpertScorecardProfiles(t *testing.T) {
	s := loadExpert(t)
	tests := []struct {
		name   string
		record Record
		lo, hi int
	}{
		{"strong", strongProfile, 850, MaxScore},
		{"strong without KYC field", without(strongProfile, "kyc_verified"), 850, MaxScore},
		{"typical", typicalProfile, 600, 700},
		{"typical with one late payment", with(typicalProfile, "late_payments_12m", "1", "max_dpd_24m", "12"), 600, 700},
		{"terrible", terribleProfile, MinScore, 420},
		{"terrible unverified", with(terribleProfile, "kyc_verified", "false", "assets", "0", "employment_months", "0"), MinScore, 420},
		{"empty record", Record{}, MinScore, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Score(tt.record)
			if res.Score < tt.lo || res.Score > tt.hi {
				t.Errorf("score %d (raw %.1f), want in [%d, %d]", res.Score, res.Raw, tt.lo, tt.hi)
			}
			if res.Score < MinScore || res.Score > MaxScore {
				t.Errorf("score %d outside [%d, %d]", res.Score, MinScore, MaxScore)
			}
		})
	}
}

// TestExpertScorecardMonotonic raises one feature step by step from each base profile and
// checks the score never goes the wrong way.
func TestExpertScorecardMonotonic(t *testing.T) {
	s := loadExpert(t)
	tests := []struct {
		feature string
		values  []float64 // ascending
		better  bool      // true: a higher value must never lower the score
	}{
		{"monthly_income", grid(0, 60000, 250), true},
		{"assets", grid(0, 3000000, 5000), true},
		{"credit_history_months", grid(0, 300, 1), true},
		{"employment_months", grid(0, 300, 1), true},
		{"late_payments_12m", grid(0, 20, 1), false},
		{"max_dpd_24m", grid(0, 365, 1), false},
		{"outstanding_debt", grid(0, 500000, 500), false},
		{"inquiries_6m", grid(0, 30, 1), false},
	}
	bases := map[string]Record{"strong": strongProfile, "typical": typicalProfile, "terrible": terribleProfile}
	for _, tt := range tests {
		for baseName, base := range bases {
			t.Run(tt.feature+"/"+baseName, func(t *testing.T) {
				prev := 0.0
				for i, v := range tt.values {
					raw := s.Score(with(base, tt.feature, strconv.FormatFloat(v, 'f', -1, 64))).Raw
					if i > 0 && (tt.better && raw < prev || !tt.better && raw > prev) {
						t.Fatalf("%s %v: raw score %.2f after %.2f at %v", tt.feature, v, raw, prev, tt.values[i-1])
					}
					prev = raw
				}
			})
		}
	}
}

func grid(from, to, step float64) []float64 {
	var out []float64
	for x := from; x <= to; x += step {
		out = append(out, x)
	}
	return out
}

func TestExpertScorecardReasons(t *testing.T) {
	s := loadExpert(t)
	tests := []struct {
		name      string
		record    Record
		wantFirst string
		wantNone  bool
	}{
		{"terrible leads with income", terribleProfile, "LOW_INCOME", false},
		{"strong minus income", with(strongProfile, "monthly_income", "2000"), "LOW_INCOME", false},
		{"best possible has no reasons", with(strongProfile, "assets", "2000000", "education", "doctorate"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Score(tt.record)
			if tt.wantNone {
				if len(res.Reasons) != 0 {
					t.Fatalf("reasons %+v, want none", res.Reasons)
				}
				return
			}
			if len(res.Reasons) == 0 || len(res.Reasons) > MaxReasons {
				t.Fatalf("got %d reasons, want 1..%d", len(res.Reasons), MaxReasons)
			}
			if res.Reasons[0].Code != tt.wantFirst {
				t.Errorf("first reason %+v, want code %s", res.Reasons[0], tt.wantFirst)
			}
			for i, r := range res.Reasons {
				if r.Shortfall <= 0 {
					t.Errorf("reason %d %+v has no shortfall", i, r)
				}
				if i > 0 && r.Shortfall > res.Reasons[i-1].Shortfall {
					t.Errorf("reasons not worst first: %+v", res.Reasons)
				}
			}
		})
	}
}

func BenchmarkScore(b *testing.B) {
	s := loadExpert(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Score(typicalProfile)
	}
}
