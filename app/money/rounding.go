package money

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// Rounding names how a fractional number of fen becomes a whole one. Every conversion
// from a decimal to an Amount states one.
type Rounding int

const (
	// HalfUp rounds halves away from zero (statement interest, minimum due, 等额本息).
	HalfUp Rounding = iota
	// HalfEven rounds halves to the even fen (installment total fee, per Alipay's rule).
	HalfEven
	// Down truncates toward zero (installment principal and fee per period).
	Down
	// Up rounds away from zero.
	Up
)

func (r Rounding) String() string {
	switch r {
	case HalfUp:
		return "half-up"
	case HalfEven:
		return "half-even"
	case Down:
		return "down"
	case Up:
		return "up"
	}
	return fmt.Sprintf("rounding(%d)", int(r))
}

// FromYuanDecimal converts a yuan amount held as a decimal to fen with the given rounding.
func FromYuanDecimal(d decimal.Decimal, r Rounding) Amount {
	return FromFenDecimal(d.Shift(2), r)
}

// FromFenDecimal converts a fractional number of fen to whole fen with the given rounding.
func FromFenDecimal(d decimal.Decimal, r Rounding) Amount {
	switch r {
	case HalfUp:
		d = d.Round(0)
	case HalfEven:
		d = d.RoundBank(0)
	case Down:
		d = d.Truncate(0)
	case Up:
		if d.Sign() >= 0 {
			d = d.Ceil()
		} else {
			d = d.Floor()
		}
	}
	return Amount(d.IntPart())
}

// MulRate returns a × rate rounded to the fen with r: the merchant discount of a capture,
// a day's interest billed, an installment's total fee.
func (a Amount) MulRate(rate decimal.Decimal, r Rounding) Amount {
	return FromFenDecimal(decimal.NewFromInt(int64(a)).Mul(rate), r)
}

// Split divides a into n parts of floor(a/n) fen each and gives the remainder to the
// first part, the rule Alipay documents for installment principal and fees. The parts
// always sum to a exactly. a must be non-negative and n positive.
func Split(a Amount, n int) []Amount {
	if n <= 0 {
		return nil
	}
	parts := make([]Amount, n)
	each := a / Amount(n)
	for i := range parts {
		parts[i] = each
	}
	parts[0] += a - each*Amount(n)
	return parts
}

// Allocate divides a in proportion to weights, rounding each share down and handing the
// leftover fen one by one to the largest weights first (ties: earlier index). The shares
// sum to a exactly. Used for pro-rata refunds of fees and discounts.
func Allocate(a Amount, weights []Amount) []Amount {
	out := make([]Amount, len(weights))
	var total Amount
	for _, w := range weights {
		total += w
	}
	if total <= 0 || len(weights) == 0 {
		return out
	}
	var given Amount
	for i, w := range weights {
		out[i] = FromFenDecimal(decimal.NewFromInt(int64(a)).Mul(decimal.NewFromInt(int64(w))).Div(decimal.NewFromInt(int64(total))), Down)
		given += out[i]
	}
	left := a - given
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return weights[order[i]] > weights[order[j]] })
	for i := 0; left > 0; i = (i + 1) % len(order) {
		out[order[i]]++
		left--
	}
	return out
}
