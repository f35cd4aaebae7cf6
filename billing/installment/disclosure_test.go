package installment

import (
	"errors"
	"testing"

	"github.com/huabei/huabei/app/money"
)

// TestDiscloseDated pins the APR and EAR of real plan calendars. The statement plan is
// issue 15 bug 4: 3,000.00 over 6 at 4.5% with period 1 due with the statement it converts
// costs 21.54% (EAR 23.80%), not the 15.27% of the whole-period shortcut.
func TestDiscloseDated(t *testing.T) {
	cases := []struct {
		name               string
		method             Method
		principal, rate    string
		terms              int
		advanced, firstDue string
		apr, ear           string
		shortcutAPRDiffers bool
	}{
		{"statement plan: period 1 due on the advance", FlatFee, "3000.00", "0.045", 6, "2026-12-10", "2026-12-10", "0.2154", "0.2380", true},
		{"statement plan 1200.00 in 12", FlatFee, "1200.00", "0.088", 12, "2026-12-10", "2026-12-10", "0.1886", "0.2058", true},
		{"checkout plan a month before the first due date", FlatFee, "1200.00", "0.088", 12, "2026-11-10", "2026-12-10", "0.1586", "0.1707", false},
		{"checkout plan 35 days before the first due date", FlatFee, "1200.00", "0.088", 12, "2026-11-05", "2026-12-10", "0.1545", "0.1660", true},
		{"checkout plan 3 periods, 5 days odd", FlatFee, "600.00", "0.025", 3, "2026-11-05", "2026-12-10", "0.1377", "0.1468", true},
		{"equal payment at 12% a month before", EqualPayment, "10000.00", "0.12", 12, "2027-01-15", "2027-02-15", "0.1200", "0.1268", false},
		{"zero fee costs nothing", FlatFee, "900.00", "0", 3, "2026-12-10", "2026-12-10", "0.0000", "0.0000", false},
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
			got, err := DiscloseDated(s, d(c.advanced), MonthlyDueDates(d(c.firstDue), c.terms))
			if err != nil {
				t.Fatal(err)
			}
			if got.APR.StringFixed(4) != c.apr || got.EffectiveAnnualRate.StringFixed(4) != c.ear {
				t.Errorf("apr %s ear %s, want %s %s", got.APR.StringFixed(4), got.EffectiveAnnualRate.StringFixed(4), c.apr, c.ear)
			}
			short, err := Disclose(s, 12)
			if err != nil {
				t.Fatal(err)
			}
			if differs := !short.APR.Equal(got.APR); differs != c.shortcutAPRDiffers {
				t.Errorf("whole-period APR %s vs dated %s: differs=%v, want %v", short.APR, got.APR, differs, c.shortcutAPRDiffers)
			}
		})
	}
}

func TestDiscloseDatedErrors(t *testing.T) {
	s, err := NewFlatFee(money.MustParse("300.00"), 3, dec("0.025"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DiscloseDated(s, d("2026-12-10"), MonthlyDueDates(d("2026-12-10"), 2)); !errors.Is(err, ErrDueDates) {
		t.Errorf("two due dates for three periods: %v", err)
	}
	if _, err := DiscloseDated(s, d("2026-12-11"), MonthlyDueDates(d("2026-12-10"), 3)); !errors.Is(err, ErrDueDates) {
		t.Errorf("period 1 due before the advance: %v", err)
	}
}
