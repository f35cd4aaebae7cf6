package money

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Amount
		err  error
	}{
		{"199.00", 19900, nil},
		{"199", 19900, nil},
		{"199.5", 19950, nil},
		{"0.01", 1, nil},
		{"-3.20", -320, nil},
		{"000012.30", 1230, nil},
		{"1.234", 0, ErrPrecision},
		{"1e3", 0, ErrSyntax},
		{"", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"5.", 0, ErrSyntax},
		{" 5", 0, ErrSyntax},
		{"+5", 0, ErrSyntax},
		{"1,000", 0, ErrSyntax},
		{"99999999999999999999", 0, ErrOverflow},
		{"1000000000000000.00", 0, ErrOverflow},
		{"100000000000.01", 0, ErrOverflow},
		{"100000000000.00", MaxAmount, nil},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
	if _, err := ParsePositive("0.00"); !errors.Is(err, ErrZero) {
		t.Errorf("ParsePositive(0) err = %v", err)
	}
	if _, err := ParsePositive("-1"); !errors.Is(err, ErrNegative) {
		t.Errorf("ParsePositive(-1) err = %v", err)
	}
	if _, err := ParseNonNegative("0"); err != nil {
		t.Errorf("ParseNonNegative(0) err = %v", err)
	}
}

func TestString(t *testing.T) {
	cases := map[Amount]string{0: "0.00", 1: "0.01", 19900: "199.00", -5: "-0.05", -12345: "-123.45"}
	for a, want := range cases {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(a), got, want)
		}
	}
}

func TestRounding(t *testing.T) {
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	cases := []struct {
		fen  string
		r    Rounding
		want Amount
	}{
		{"2.5", HalfUp, 3}, {"2.5", HalfEven, 2}, {"3.5", HalfEven, 4}, {"2.9", Down, 2},
		{"2.1", Up, 3}, {"-2.5", HalfUp, -3}, {"-2.9", Down, -2}, {"-2.1", Up, -3},
	}
	for _, c := range cases {
		if got := FromFenDecimal(d(c.fen), c.r); got != c.want {
			t.Errorf("FromFenDecimal(%s, %v) = %d, want %d", c.fen, c.r, got, c.want)
		}
	}
	// 1200.00 at 8.8% = 105.60 exactly; 350.00 * 0.0005 * 21 = 3.675 -> 3.68 half-up
	if got := Yuan(1200).MulRate(d("0.088"), HalfEven); got != 10560 {
		t.Errorf("fee = %v", got)
	}
	if got := Yuan(350).MulRate(d("0.0105"), HalfUp); got != 368 {
		t.Errorf("interest = %v", got)
	}
}

func TestSplit(t *testing.T) {
	parts := Split(Yuan(1000), 3)
	if parts[0] != 33334 || parts[1] != 33333 || parts[2] != 33333 {
		t.Fatalf("Split = %v", parts)
	}
	if Split(5, 0) != nil {
		t.Fatal("Split by zero must return nil")
	}
}

func TestAllocate(t *testing.T) {
	got := Allocate(100, []Amount{1, 1, 1})
	if got[0]+got[1]+got[2] != 100 || got[0] != 34 {
		t.Fatalf("Allocate = %v", got)
	}
	got = Allocate(7, []Amount{10, 30})
	if got[0] != 1 || got[1] != 6 {
		t.Fatalf("Allocate = %v", got)
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"0", "199.00", "-1.5", "1.234", "abc", "99999999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		b, err := Parse(a.String())
		if err != nil || a != b {
			t.Fatalf("round trip %q -> %q -> %v, %v", s, a.String(), b, err)
		}
	})
}

func FuzzSplit(f *testing.F) {
	f.Add(int64(120000), 12)
	f.Add(int64(1), 9)
	f.Fuzz(func(t *testing.T, fen int64, n int) {
		if fen < 0 || fen > int64(MaxAmount) || n <= 0 || n > 1000 {
			return
		}
		var sum Amount
		for _, p := range Split(Amount(fen), n) {
			if p < 0 {
				t.Fatalf("negative part")
			}
			sum += p
		}
		if sum != Amount(fen) {
			t.Fatalf("Split(%d,%d) sums to %d", fen, n, sum)
		}
		w := []Amount{Amount(n), 1, Amount(fen%97 + 1)}
		var s2 Amount
		for _, p := range Allocate(Amount(fen), w) {
			s2 += p
		}
		if s2 != Amount(fen) {
			t.Fatalf("Allocate sums to %d, want %d", s2, fen)
		}
	})
}
