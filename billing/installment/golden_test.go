package installment

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/huabei/huabei/app/money"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type goldenPeriod struct {
	Period    int    `json:"period"`
	Principal string `json:"principal"`
	Fee       string `json:"fee"`
	Total     string `json:"total"`
}

type goldenSchedule struct {
	Method              string         `json:"method"`
	Principal           string         `json:"principal"`
	Terms               int            `json:"terms"`
	Rate                string         `json:"rate"`
	TotalFee            string         `json:"total_fee"`
	TotalPayable        string         `json:"total_payable"`
	APR                 string         `json:"apr"`
	EffectiveAnnualRate string         `json:"effective_annual_rate"`
	Periods             []goldenPeriod `json:"periods"`
}

// TestScheduleGolden pins whole schedules (every period, fee and disclosed rate) of the
// default products and an equal-payment product: go test -run Golden -update rewrites them.
func TestScheduleGolden(t *testing.T) {
	cases := []struct {
		name      string
		principal string
		terms     int
		method    Method
		rate      string
	}{
		{"flat_1200.00_12", "1200.00", 12, FlatFee, "0.088"},
		{"flat_1000.00_3", "1000.00", 3, FlatFee, "0.025"},
		{"flat_12345.67_6", "12345.67", 6, FlatFee, "0.045"},
		{"flat_100.20_3_half_fen", "100.20", 3, FlatFee, "0.025"},
		{"flat_999.99_9", "999.99", 9, FlatFee, "0.065"},
		{"equal_10000.00_12", "10000.00", 12, EqualPayment, "0.12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s Schedule
			var err error
			if c.method == FlatFee {
				s, err = NewFlatFee(money.MustParse(c.principal), c.terms, dec(c.rate))
			} else {
				s, err = NewEqualPayment(money.MustParse(c.principal), c.terms, dec(c.rate))
			}
			if err != nil {
				t.Fatal(err)
			}
			d, err := Disclose(s, 12)
			if err != nil {
				t.Fatal(err)
			}
			g := goldenSchedule{Method: string(s.Method), Principal: s.Principal.String(), Terms: s.Terms, Rate: s.Rate.String(),
				TotalFee: s.TotalFee.String(), TotalPayable: s.TotalPayable().String(), APR: d.APR.StringFixed(4),
				EffectiveAnnualRate: d.EffectiveAnnualRate.StringFixed(4)}
			for _, p := range s.Periods {
				g.Periods = append(g.Periods, goldenPeriod{Period: p.Number, Principal: p.Principal.String(), Fee: p.Fee.String(), Total: p.Total().String()})
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", fmt.Sprintf("schedule_%s.json", c.name))
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file:\n%s", path, got)
			}
		})
	}
}
