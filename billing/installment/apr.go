package installment

import (
	"errors"
	"math"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// ErrNoRate is returned when no rate solves the cash-flow equation (for example, nothing is
// ever repaid).
var ErrNoRate = errors.New("installment: the cash flows have no rate of return")

// Disclosure is what a quote shows about the cost of a schedule.
type Disclosure struct {
	// PeriodRate is the IRR per period (a month), at full precision.
	PeriodRate float64
	// APR is PeriodRate × periods per year, rounded half-up to 4 places ("0.1586").
	APR decimal.Decimal
	// EffectiveAnnualRate is (1+PeriodRate)^periodsPerYear − 1, rounded half-up to 4 places.
	EffectiveAnnualRate decimal.Decimal
}

// Disclose computes the APR and effective annual rate of a schedule as the IRR of the
// shopper's cash flows (principal received at time 0, each period's total paid at the end
// of that period) × periodsPerYear. Never the flat-rate shortcut: 12 periods at 8.8% flat
// is an APR of 0.1586, not 0.0880 or 2×0.088.
func Disclose(s Schedule, periodsPerYear int) (Disclosure, error) {
	i, err := PeriodicRate(s.Principal, s.Payments())
	if err != nil {
		return Disclosure{}, err
	}
	n := float64(periodsPerYear)
	return Disclosure{
		PeriodRate:          i,
		APR:                 Round4(i * n),
		EffectiveAnnualRate: Round4(math.Pow(1+i, n) - 1),
	}, nil
}

// Round4 rounds a rate to 4 decimal places, half away from zero.
func Round4(x float64) decimal.Decimal { return decimal.NewFromFloat(x).Round(4) }

// PeriodicRate returns the rate i per period that makes the present value of payments
// (payment k at the end of period k) equal to the amount advanced at time 0.
func PeriodicRate(advance money.Amount, payments []money.Amount) (float64, error) {
	flows := make([]flow, 0, len(payments)+1)
	flows = append(flows, flow{amount: -float64(advance)})
	for k, p := range payments {
		flows = append(flows, flow{amount: float64(p), t: float64(k + 1)})
	}
	return solve(flows)
}

// flow is one cash flow for the solver: positive amounts are paid by the shopper
// (payments), negative ones received (advances). Its discount factor at rate i is
// 1/((1+f·i)(1+i)^t), Appendix J's general form; whole periods have f = 0.
type flow struct {
	amount float64
	t      float64
	f      float64
}

// npv is Σ amount/((1+f·i)(1+i)^t).
func npv(flows []flow, i float64) float64 {
	var s float64
	for _, c := range flows {
		s += c.amount / ((1 + c.f*i) * math.Pow(1+i, c.t))
	}
	return s
}

// solve finds the root of npv by bisection: slower than Newton but it cannot diverge or
// oscillate, and 200 halvings reach float64 resolution from any bracket. The bracket starts
// at 0 and widens toward the side where the sign changes.
func solve(flows []flow) (float64, error) {
	var paid, lent float64
	for _, c := range flows {
		if c.amount > 0 {
			paid += c.amount
		} else {
			lent -= c.amount
		}
	}
	if paid == 0 || lent == 0 {
		return 0, ErrNoRate
	}
	v0 := npv(flows, 0)
	if v0 == 0 {
		return 0, nil
	}
	var lo, hi float64
	if v0 > 0 { // more is repaid than lent: a positive rate
		hi = 1
		for npv(flows, hi) > 0 {
			lo = hi
			hi *= 2
			if hi > 1e6 {
				return 0, ErrNoRate
			}
		}
	} else { // less is repaid than lent: a negative rate in (-1, 0)
		lo = -0.5
		for npv(flows, lo) < 0 {
			hi = lo
			lo = (lo - 1) / 2 // halve the distance to -1
			if lo < -1+1e-12 {
				return 0, ErrNoRate
			}
		}
	}
	// npv(lo) > 0 > npv(hi) for the usual shape (advances first, payments later).
	vlo := npv(flows, lo)
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		v := npv(flows, mid)
		if v == 0 {
			return mid, nil
		}
		if (v > 0) == (vlo > 0) {
			lo, vlo = mid, v
		} else {
			hi = mid
		}
	}
	return lo + (hi-lo)/2, nil
}
