package scorecard

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

const minimalCard = `{
  "base_points": 600, "base_odds": 50, "pdo": 20,
  "features": [
    {"name": "monthly_income", "type": "numeric",
     "bins": [{"min": null, "max": 3000, "points": 10}, {"min": 3000, "max": 10000, "points": 40}, {"min": 10000, "max": null, "points": 80}],
     "missing": {"points": 5}},
    {"name": "housing", "type": "categorical", "reason_code": "HOUSING_STATUS",
     "bins": [{"values": ["own"], "points": 60}, {"values": ["rent", "other"], "points": 20}],
     "missing": {"points": 0}, "else": {"points": 15}},
    {"name": "channel", "type": "categorical",
     "bins": [{"values": ["app"], "points": 300}, {"values": ["web"], "points": 290}],
     "missing": {"points": 280}}
  ]
}`

func TestParseValid(t *testing.T) {
	s, err := Parse([]byte(minimalCard))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(s.Features(), ","), "monthly_income,housing,channel"; got != want {
		t.Errorf("Features() = %s, want %s", got, want)
	}
}

func TestScoreBins(t *testing.T) {
	s, err := Parse([]byte(minimalCard))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		record Record
		raw    float64
	}{
		{"lower edge is inclusive", Record{"monthly_income": "3000", "housing": "own", "channel": "app"}, 40 + 60 + 300},
		{"just below edge", Record{"monthly_income": "2999.99", "housing": "own", "channel": "app"}, 10 + 60 + 300},
		{"top bin", Record{"monthly_income": "1e9", "housing": "rent", "channel": "web"}, 80 + 20 + 290},
		{"negative", Record{"monthly_income": "-5", "housing": "other", "channel": "web"}, 10 + 20 + 290},
		{"all missing", Record{}, 5 + 0 + 280},
		{"empty strings are missing", Record{"monthly_income": " ", "housing": "", "channel": ""}, 5 + 0 + 280},
		{"garbage number is missing", Record{"monthly_income": "lots", "housing": "own", "channel": "app"}, 5 + 60 + 300},
		{"NaN is missing", Record{"monthly_income": "NaN", "housing": "own", "channel": "app"}, 5 + 60 + 300},
		{"infinity falls in the end bin", Record{"monthly_income": "+Inf", "housing": "own", "channel": "app"}, 80 + 60 + 300},
		{"unseen category takes else", Record{"monthly_income": "5000", "housing": "boat", "channel": "app"}, 40 + 15 + 300},
		{"unseen category without else is neutral", Record{"monthly_income": "5000", "housing": "own", "channel": "fax"}, 40 + 60 + 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Score(tt.record)
			if res.Raw != tt.raw {
				t.Errorf("raw %v, want %v", res.Raw, tt.raw)
			}
			if res.Score != Clamp(tt.raw) {
				t.Errorf("score %d, want %d", res.Score, Clamp(tt.raw))
			}
		})
	}
}

func TestScoreReasonCodes(t *testing.T) {
	s, err := Parse([]byte(minimalCard))
	if err != nil {
		t.Fatal(err)
	}
	res := s.Score(Record{"monthly_income": "100", "housing": "rent", "channel": "web"})
	want := []Reason{
		{Feature: "monthly_income", Bin: "[-inf, 3000)", Points: 10, Shortfall: 70, Code: "MONTHLY_INCOME"},
		{Feature: "housing", Bin: "rent,other", Points: 20, Shortfall: 40, Code: "HOUSING_STATUS"},
		{Feature: "channel", Bin: "web", Points: 290, Shortfall: 10, Code: "CHANNEL"},
	}
	if len(res.Reasons) != len(want) {
		t.Fatalf("reasons %+v, want %+v", res.Reasons, want)
	}
	for i := range want {
		if res.Reasons[i] != want[i] {
			t.Errorf("reason %d = %+v, want %+v", i, res.Reasons[i], want[i])
		}
	}
}

func TestClamp(t *testing.T) {
	tests := []struct {
		raw  float64
		want int
	}{
		{-1e9, MinScore}, {349.4, MinScore}, {350, 350}, {600.49, 600}, {600.5, 601}, {950, 950}, {1200, MaxScore}, {math.NaN(), MinScore},
	}
	for _, tt := range tests {
		if got := Clamp(tt.raw); got != tt.want {
			t.Errorf("Clamp(%v) = %d, want %d", tt.raw, got, tt.want)
		}
	}
}

func TestUpperSnake(t *testing.T) {
	tests := map[string]string{
		"monthly_income": "MONTHLY_INCOME", "maxDPD 24m": "MAXDPD_24M", "  a--b  ": "A_B", "6m_inquiries": "F_6M_INQUIRIES", "": "F_",
	}
	for in, want := range tests {
		if got := UpperSnake(in); got != want {
			t.Errorf("UpperSnake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string // substring of the error
	}{
		{"pdo zero", `{"base_points":600,"base_odds":50,"pdo":0,"features":[]}`, "pdo must be a positive"},
		{"base odds negative", `{"base_points":600,"base_odds":-1,"pdo":20,"features":[]}`, "base_odds"},
		{"no features", `{"base_points":600,"base_odds":50,"pdo":20,"features":[]}`, "no features"},
		{"unknown type", card(`{"name":"x","type":"ordinal","bins":[{"values":["a"],"points":1}],"missing":{"points":0}}`), `feature "x": unknown type "ordinal"`},
		{"missing type", card(`{"name":"x","bins":[{"values":["a"],"points":1}],"missing":{"points":0}}`), `feature "x": missing type`},
		{"duplicate feature", card(numFeature("x", `[{"min":null,"max":null,"points":1}]`) + "," + numFeature("x", `[{"min":null,"max":null,"points":1}]`)), `feature "x": defined twice`},
		{"gap", card(numFeature("age", `[{"min":null,"max":18,"points":1},{"min":21,"max":null,"points":2}]`)), `feature "age": bin 2 ([21, +inf)): gap [18, 21)`},
		{"overlap", card(numFeature("age", `[{"min":null,"max":30,"points":1},{"min":21,"max":null,"points":2}]`)), `feature "age": bin 2 ([21, +inf)): overlaps the previous bin`},
		{"first bin bounded", card(numFeature("age", `[{"min":0,"max":null,"points":1}]`)), `bin 1 ([0, +inf)): first bin must start at -inf`},
		{"last bin bounded", card(numFeature("age", `[{"min":null,"max":18,"points":1}]`)), `bin 1 ([-inf, 18)): last bin must end at +inf`},
		{"empty range", card(numFeature("age", `[{"min":null,"max":18,"points":1},{"min":18,"max":18,"points":1},{"min":18,"max":null,"points":1}]`)), `bin 2 ([18, 18)): min must be below max`},
		{"two unbounded", card(numFeature("age", `[{"min":null,"max":null,"points":1},{"min":null,"max":null,"points":1}]`)), `bin 1 ([-inf, +inf)): only the last bin may end at +inf`},
		{"numeric with values", card(numFeature("age", `[{"min":null,"max":null,"values":["a"],"points":1}]`)), `numeric bin must not have values`},
		{"no bins", card(numFeature("age", `[]`)), `feature "age": no bins`},
		{"duplicated category", card(`{"name":"edu","type":"categorical","bins":[{"values":["a","b"],"points":1},{"values":["c","a"],"points":2}],"missing":{"points":0}}`), `feature "edu": bin 2 (c,a): value "a" already in bin 1`},
		{"empty category", card(`{"name":"edu","type":"categorical","bins":[{"values":[""],"points":1}],"missing":{"points":0}}`), `empty value`},
		{"category bin without values", card(`{"name":"edu","type":"categorical","bins":[{"label":"x","points":1}],"missing":{"points":0}}`), `bin 1 (x): no values`},
		{"categorical with range", card(`{"name":"edu","type":"categorical","bins":[{"values":["a"],"min":1,"points":1}],"missing":{"points":0}}`), `must not have min or max`},
		{"else on numeric", card(`{"name":"age","type":"numeric","bins":[{"min":null,"max":null,"points":1}],"missing":{"points":0},"else":{"points":0}}`), `else bin is only for categorical`},
		{"bad reason code", card(`{"name":"age","type":"numeric","reason_code":"too young","bins":[{"min":null,"max":null,"points":1}],"missing":{"points":0}}`), `reason_code "too young" is not UPPER_SNAKE`},
		{"unknown field", card(`{"name":"age","type":"numeric","bins":[{"min":null,"max":null,"point":1}],"missing":{"points":0}}`), `unknown field "point"`},
		{"not json", `{"base_points":`, "decode"},
		{"trailing data", `{"base_points":600,"base_odds":50,"pdo":20,"features":[` + numFeature("x", `[{"min":null,"max":null,"points":1}]`) + `]} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateNonFinitePoints(t *testing.T) {
	s, err := Parse([]byte(minimalCard))
	if err != nil {
		t.Fatal(err)
	}
	s.Characteristics[1].Bins[0].Points = math.Inf(1)
	err = s.Validate()
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `feature "housing": bin 1 (own): points must be finite`) {
		t.Errorf("Validate() = %v", err)
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	path := t.TempDir() + "/bad.json"
	if err := os.WriteFile(path, []byte(`{"base_points":600,"base_odds":50,"pdo":-3,"features":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, ErrInvalid) {
		t.Errorf("Load() = %v, want invalid error naming %s", err, path)
	}
	if _, err := Load(t.TempDir() + "/absent.json"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// TestMarshalRoundTrip writes a card and parses it back: explicit null bounds survive, and
// categorical bins carry no bounds.
func TestMarshalRoundTrip(t *testing.T) {
	s := loadExpert(t)
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"min":null`) {
		t.Error("numeric bins lost their explicit null bounds")
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Record{strongProfile, typicalProfile, terribleProfile, {}} {
		if a, b := s.Score(r), back.Score(r); a.Raw != b.Raw {
			t.Errorf("round trip changed raw score %v -> %v", a.Raw, b.Raw)
		}
	}
}

func TestOdds(t *testing.T) {
	s := &Scorecard{BasePoints: 600, BaseOdds: 50, PDO: 20}
	if got := s.Odds(600); math.Abs(got-50) > 1e-9 {
		t.Errorf("Odds(600) = %v, want 50", got)
	}
	if got := s.Odds(620); math.Abs(got-100) > 1e-9 {
		t.Errorf("Odds(620) = %v, want 100", got)
	}
	if got := s.BadProbability(600); math.Abs(got-1.0/51) > 1e-12 {
		t.Errorf("BadProbability(600) = %v, want 1/51", got)
	}
}

func card(features string) string {
	return `{"base_points":600,"base_odds":50,"pdo":20,"features":[` + features + `]}`
}

func numFeature(name, bins string) string {
	return `{"name":"` + name + `","type":"numeric","bins":` + bins + `,"missing":{"points":0}}`
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(expertPath); err == nil {
		f.Add(data)
	}
	f.Add([]byte(minimalCard))
	f.Add([]byte(`{"base_points":600,"base_odds":50,"pdo":20,"features":[{"name":"a","type":"numeric","bins":[{"min":null,"max":1,"points":1},{"min":1,"max":null,"points":2}],"missing":{"points":0}}]}`))
	f.Add([]byte(`{"pdo":1e309}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"features":[{"bins":[{"min":null}]}]}`))
	records := []Record{{}, strongProfile, terribleProfile, {"a": "0.5", "monthly_income": "x", "housing": "moon", "channel": "1"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		// A card that parses must score anything without panicking and survive a round trip.
		for _, r := range records {
			res := s.Score(r)
			if res.Score < MinScore || res.Score > MaxScore || len(res.Reasons) > MaxReasons {
				t.Fatalf("bad result %+v", res)
			}
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-parse of a valid card failed: %v\n%s", err, out)
		}
	})
}
