package installment

import (
	"testing"

	"github.com/huabei/huabei/app/money"
)

func TestApplyRefund(t *testing.T) {
	s, _ := NewFlatFee(money.MustParse("1200.00"), 12, dec("0.088"))
	unbilled := s.Periods[1:] // period 1 billed: 1100.00 principal and 96.80 fee unbilled
	cases := []struct {
		refund                 string
		cut, feeCut, excess    string
		first, rest            [2]string
		remaining, remainingFe string
	}{
		// 300 of 1100: fee cut 96.80 × 3/11 = 26.40; 800.00 over 11 → 72.80 + 10 × 72.72.
		{"300.00", "300.00", "26.40", "0.00", [2]string{"72.80", "6.40"}, [2]string{"72.72", "6.40"}, "800.00", "70.40"},
		// 100.01: fee cut 96.80 × 10001/110000 = 8.8008.. → 8.80.
		{"100.01", "100.01", "8.80", "0.00", [2]string{"90.99", "8.00"}, [2]string{"90.90", "8.00"}, "999.99", "88.00"},
		// All the unbilled principal and more: plan ends, 100.00 left over.
		{"1200.00", "1100.00", "96.80", "100.00", [2]string{"0.00", "0.00"}, [2]string{"0.00", "0.00"}, "0.00", "0.00"},
		{"0.00", "0.00", "0.00", "0.00", [2]string{"100.00", "8.80"}, [2]string{"100.00", "8.80"}, "1100.00", "96.80"},
	}
	for _, c := range cases {
		r := ApplyRefund(unbilled, money.MustParse(c.refund))
		if r.PrincipalCut.String() != c.cut || r.FeeCut.String() != c.feeCut || r.Excess.String() != c.excess {
			t.Errorf("refund %s: cut %v fee cut %v excess %v", c.refund, r.PrincipalCut, r.FeeCut, r.Excess)
		}
		if len(r.Periods) != 11 || r.Periods[0].Number != 2 || r.Periods[10].Number != 12 {
			t.Fatalf("refund %s: periods %+v", c.refund, r.Periods)
		}
		if got := [2]string{r.Periods[0].Principal.String(), r.Periods[0].Fee.String()}; got != c.first {
			t.Errorf("refund %s: first %v want %v", c.refund, got, c.first)
		}
		for _, p := range r.Periods[1:] {
			if got := [2]string{p.Principal.String(), p.Fee.String()}; got != c.rest {
				t.Fatalf("refund %s: period %d %v want %v", c.refund, p.Number, got, c.rest)
			}
		}
		p, f := r.Remaining()
		if p.String() != c.remaining || f.String() != c.remainingFe {
			t.Errorf("refund %s: remaining %v %v", c.refund, p, f)
		}
		if p+r.PrincipalCut != 110000 || f+r.FeeCut != 9680 {
			t.Errorf("refund %s: not conserved", c.refund)
		}
	}
	if p, f := Payoff(unbilled, true); p != 110000 || f != 0 {
		t.Errorf("payoff waived: %v %v", p, f)
	}
	if p, f := Payoff(unbilled, false); p != 110000 || f != 9680 {
		t.Errorf("payoff with fees: %v %v", p, f)
	}
}

// FuzzApplyRefund: a refund never creates or loses money.
func FuzzApplyRefund(f *testing.F) {
	f.Add(int64(120000), 12, 3, int64(30000))
	f.Fuzz(func(t *testing.T, fen int64, terms, billed int, refund int64) {
		if terms < 1 || terms > 36 || billed < 0 || billed >= terms || fen < int64(terms) || fen > 1e12 || refund < 0 || refund > 2e12 {
			t.Skip()
		}
		s, err := NewFlatFee(money.Amount(fen), terms, dec("0.088"))
		if err != nil {
			t.Fatal(err)
		}
		unbilled := s.Periods[billed:]
		p0, f0 := Payoff(unbilled, false)
		r := ApplyRefund(unbilled, money.Amount(refund))
		p1, f1 := r.Remaining()
		if p1+r.PrincipalCut != p0 || f1+r.FeeCut != f0 || r.PrincipalCut+r.Excess != money.Amount(refund) {
			t.Fatalf("not conserved: %+v", r)
		}
		if r.FeeCut < 0 || f1 < 0 || p1 < 0 {
			t.Fatalf("negative: %+v", r)
		}
	})
}
