package installment

import (
	"errors"
	"fmt"
	"math"

	"github.com/huabei/huabei/app/clock"
)

// ErrDueDates is returned by DiscloseDated when the due dates do not match the schedule's
// periods or a period falls due before the money was advanced.
var ErrDueDates = errors.New("installment: one due date per period, none before the advance")

// DiscloseDated computes a plan's APR and effective annual rate from its real dated cash
// flows: the principal advanced on advanced, and each period's total paid on its due
// date, by the Appendix J actuarial method with a month as unit-period (odd days as a
// fraction of 30). The whole-period shortcut of Disclose assumes period 1 falls due one
// month after the advance; a statement plan's period 1 is due with the statement it
// converts (the day of the advance), and a checkout plan's first due date is up to six
// weeks after the capture, so only the dated flows give the true cost. EAR is
// (1 + monthly rate)^12 − 1.
func DiscloseDated(s Schedule, advanced clock.Date, dueDates []clock.Date) (Disclosure, error) {
	if len(dueDates) != len(s.Periods) {
		return Disclosure{}, fmt.Errorf("%w: %d due dates for %d periods", ErrDueDates, len(dueDates), len(s.Periods))
	}
	payments := make([]CashFlow, len(s.Periods))
	for i, p := range s.Periods {
		if dueDates[i].Before(advanced) {
			return Disclosure{}, fmt.Errorf("%w: period %d due %s before the advance on %s", ErrDueDates, p.Number, dueDates[i], advanced)
		}
		payments[i] = CashFlow{Date: dueDates[i], Amount: p.Total()}
	}
	r, err := ActuarialAPR(UnitMonth, []CashFlow{{Date: advanced, Amount: s.Principal}}, payments)
	if err != nil {
		return Disclosure{}, err
	}
	return Disclosure{
		PeriodRate:          r.UnitRate,
		APR:                 r.APR,
		EffectiveAnnualRate: Round4(math.Pow(1+r.UnitRate, r.UnitsPerYear) - 1),
	}, nil
}

// MonthlyDueDates returns n due dates a month apart from first (the plan's calendar).
func MonthlyDueDates(first clock.Date, n int) []clock.Date {
	out := make([]clock.Date, n)
	for i := range out {
		out[i] = first.AddMonths(i)
	}
	return out
}
