package installment

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// checkSums asserts the invariants every schedule keeps.
func checkSums(t *testing.T, s Schedule) {
	t.Helper()
	var p, f money.Amount
	for i, per := range s.Periods {
		if per.Number != i+1 {
			t.Fatalf("period %d numbered %d", i+1, per.Number)
		}
		if per.Principal < 0 || per.Fee < 0 {
			t.Fatalf("negative period %+v", per)
		}
		p += per.Principal
		f += per.Fee
	}
	if p != s.Principal || f != s.TotalFee || len(s.Periods) != s.Terms {
		t.Fatalf("sums: Σprincipal %v (want %v), Σfee %v (want %v), periods %d (want %d)", p, s.Principal, f, s.TotalFee, len(s.Periods), s.Terms)
	}
}

func TestFlatFeeSchedules(t *testing.T) {
	cases := []struct {
		principal string
		terms     int
		rate      string
		totalFee  string
		first     [2]string // principal, fee of period 1
		rest      [2]string // principal, fee of every later period
	}{
		// The documented example: 108.80 a month, fee 105.60.
		{"1200.00", 12, "0.088", "105.60", [2]string{"100.00", "8.80"}, [2]string{"100.00", "8.80"}},
		{"1200.00", 3, "0.025", "30.00", [2]string{"400.00", "10.00"}, [2]string{"400.00", "10.00"}},
		{"1200.00", 6, "0.045", "54.00", [2]string{"200.00", "9.00"}, [2]string{"200.00", "9.00"}},
		{"1200.00", 9, "0.065", "78.00", [2]string{"133.36", "8.72"}, [2]string{"133.33", "8.66"}},
		// Not dividing evenly: leftovers go to period 1.
		{"1000.00", 3, "0.025", "25.00", [2]string{"333.34", "8.34"}, [2]string{"333.33", "8.33"}},
		{"999.99", 12, "0.088", "88.00", [2]string{"83.36", "7.37"}, [2]string{"83.33", "7.33"}},
		{"100.00", 9, "0.065", "6.50", [2]string{"11.12", "0.74"}, [2]string{"11.11", "0.72"}},
		{"12345.67", 6, "0.045", "555.56", [2]string{"2057.62", "92.61"}, [2]string{"2057.61", "92.59"}},
		{"50000.00", 12, "0.088", "4400.00", [2]string{"4166.74", "366.74"}, [2]string{"4166.66", "366.66"}},
		{"0.12", 12, "0.088", "0.01", [2]string{"0.01", "0.01"}, [2]string{"0.01", "0.00"}},
		// The total fee lands exactly on half a fen: half-even, not half-up.
		{"100.20", 3, "0.025", "2.50", [2]string{"33.40", "0.84"}, [2]string{"33.40", "0.83"}}, // 250.5 fen → 250
		{"100.60", 3, "0.025", "2.52", [2]string{"33.54", "0.84"}, [2]string{"33.53", "0.84"}}, // 251.5 fen → 252
		{"101.00", 6, "0.045", "4.54", [2]string{"16.85", "0.79"}, [2]string{"16.83", "0.75"}}, // 454.5 fen → 454
		{"101.00", 9, "0.065", "6.56", [2]string{"11.24", "0.80"}, [2]string{"11.22", "0.72"}}, // 656.5 fen → 656
		{"103.00", 9, "0.065", "6.70", [2]string{"11.48", "0.78"}, [2]string{"11.44", "0.74"}}, // 669.5 fen → 670
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.principal, c.terms), func(t *testing.T) {
			s, err := NewFlatFee(money.MustParse(c.principal), c.terms, dec(c.rate))
			if err != nil {
				t.Fatal(err)
			}
			checkSums(t, s)
			if s.TotalFee.String() != c.totalFee {
				t.Errorf("total fee %v, want %s", s.TotalFee, c.totalFee)
			}
			got := [2]string{s.Periods[0].Principal.String(), s.Periods[0].Fee.String()}
			if got != c.first {
				t.Errorf("period 1 = %v, want %v", got, c.first)
			}
			for _, p := range s.Periods[1:] {
				if got := [2]string{p.Principal.String(), p.Fee.String()}; got != c.rest {
					t.Fatalf("period %d = %v, want %v", p.Number, got, c.rest)
				}
			}
		})
	}
}

func TestFlatFeeAllTermsManyAmounts(t *testing.T) {
	cat, err := NewCatalog(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, prod := range cat.Products() {
		for fen := money.Amount(10000); fen < 10000+5000; fen += 7 {
			s, err := cat.Schedule(fen, prod.Terms)
			if err != nil {
				t.Fatal(err)
			}
			checkSums(t, s)
			if want := fen.MulRate(prod.Rate, money.HalfEven); s.TotalFee != want {
				t.Fatalf("%v in %d: fee %v want %v", fen, prod.Terms, s.TotalFee, want)
			}
			for _, p := range s.Periods[1:] {
				if p.Principal != fen/money.Amount(prod.Terms) || p.Fee != s.TotalFee/money.Amount(prod.Terms) {
					t.Fatalf("%v in %d: period %+v is not the floor", fen, prod.Terms, p)
				}
			}
		}
	}
}

func TestEqualPaymentPublishedExamples(t *testing.T) {
	cases := []struct {
		principal string
		terms     int
		rate      string
		payment   string // published level payment
		last      string // last period (absorbs the rounding)
		interest  string // Σ interest with per-period half-up rounding
	}{
		// 10,000 at 12%/yr for 12 months: payment 888.49 (textbook; by hand
		// 10000·0.01/(1−1.01^−12) = 888.4879).
		{"10000.00", 12, "0.12", "888.49", "888.47", "661.86"},
		// 20,000 at 6% for 36 months: 608.44, the usual car-loan table figure.
		{"20000.00", 36, "0.06", "608.44", "608.42", "1903.82"},
		// 100,000 at 6% for 30 years: the classic mortgage example, 599.55 a month.
		{"100000.00", 360, "0.06", "599.55", "600.00", "115838.45"},
		// Zero rate: principal spread evenly, the last period absorbs the remainder.
		{"100.00", 3, "0", "33.33", "33.34", "0.00"},
	}
	for _, c := range cases {
		t.Run(c.principal, func(t *testing.T) {
			s, err := NewEqualPayment(money.MustParse(c.principal), c.terms, dec(c.rate))
			if err != nil {
				t.Fatal(err)
			}
			checkSums(t, s)
			for _, p := range s.Periods[:c.terms-1] {
				if p.Total().String() != c.payment {
					t.Fatalf("period %d pays %v, want %s", p.Number, p.Total(), c.payment)
				}
			}
			if got := s.Periods[c.terms-1].Total().String(); got != c.last {
				t.Errorf("last period %s, want %s", got, c.last)
			}
			if s.TotalFee.String() != c.interest {
				t.Errorf("interest %v, want %s", s.TotalFee, c.interest)
			}
		})
	}
	// First period of the 10,000 example by hand: interest 100.00, principal 788.49.
	s, _ := NewEqualPayment(money.MustParse("10000.00"), 12, dec("0.12"))
	if p := s.Periods[0]; p.Fee != 10000 || p.Principal != 78849 {
		t.Errorf("period 1 = %+v", p)
	}
	// An equal-payment schedule at 12% discloses an APR of 12%.
	d, err := Disclose(s, 12)
	if err != nil || d.APR.String() != "0.12" {
		t.Errorf("APR = %v, %v", d.APR, err)
	}
}

func TestScheduleErrors(t *testing.T) {
	if _, err := NewFlatFee(0, 3, dec("0.025")); !errors.Is(err, ErrPrincipal) {
		t.Errorf("zero principal: %v", err)
	}
	if _, err := NewFlatFee(2, 3, dec("0.025")); !errors.Is(err, ErrPrincipal) {
		t.Errorf("2 fen in 3: %v", err)
	}
	if _, err := NewFlatFee(10000, 0, dec("0.025")); !errors.Is(err, ErrTerms) {
		t.Errorf("0 terms: %v", err)
	}
	if _, err := NewEqualPayment(10000, 3, dec("-0.1")); !errors.Is(err, ErrRate) {
		t.Errorf("negative rate: %v", err)
	}
	cat, _ := NewCatalog(DefaultConfig())
	if _, err := cat.Schedule(money.MustParse("99.99"), 3); !errors.Is(err, ErrBelowMinimum) {
		t.Errorf("below minimum: %v", err)
	}
	if _, err := cat.Schedule(money.MustParse("1000"), 4); !errors.Is(err, ErrTermsNotOffered) {
		t.Errorf("4 terms: %v", err)
	}
	for _, bad := range []Config{
		{},
		{Products: []ProductConfig{{Terms: 3, FeeRate: "0.025", AnnualRate: "0.1"}}},
		{Products: []ProductConfig{{Terms: 3, FeeRate: "x"}}},
		{Products: []ProductConfig{{Terms: 3, FeeRate: "0.1"}, {Terms: 3, FeeRate: "0.2"}}},
		{Products: []ProductConfig{{Terms: 0, FeeRate: "0.1"}}},
		{Products: []ProductConfig{{Terms: 3, FeeRate: "0.1"}}, MinPrincipal: "-1"},
	} {
		if _, err := NewCatalog(bad); err == nil {
			t.Errorf("NewCatalog(%+v) accepted", bad)
		}
	}
	cat, err := NewCatalog(Config{Products: []ProductConfig{{Terms: 24, AnnualRate: "0.12"}}})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := cat.Schedule(money.MustParse("1000"), 24); err != nil || s.Method != EqualPayment {
		t.Errorf("equal-payment product: %v %v", s.Method, err)
	}
}

// FuzzFlatFeeSums: for any principal, terms and rate the parts add up exactly.
func FuzzFlatFeeSums(f *testing.F) {
	f.Add(int64(120000), 12, int64(880))
	f.Add(int64(10020), 3, int64(250))
	f.Add(int64(999999999), 9, int64(650))
	f.Fuzz(func(t *testing.T, fen int64, terms int, rateBP int64) {
		if terms < 1 || terms > MaxTerms || fen < int64(terms) || fen > int64(money.MaxAmount) || rateBP < 0 || rateBP > 100000 {
			t.Skip()
		}
		rate := decimal.New(rateBP, -4)
		s, err := NewFlatFee(money.Amount(fen), terms, rate)
		if err != nil {
			t.Fatal(err)
		}
		checkSums(t, s)
		if s.TotalFee != money.Amount(fen).MulRate(rate, money.HalfEven) {
			t.Fatal("total fee is not P×rate half-even")
		}
		e, err := NewEqualPayment(money.Amount(fen), terms, rate)
		if err == nil {
			checkSums(t, e)
		}
	})
}
