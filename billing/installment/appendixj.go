package installment

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// UnitPeriod is an Appendix J unit-period: the common period of the transaction that the
// unit-period rate is computed for.
type UnitPeriod string

// The unit-periods `huabeictl apr` accepts.
const (
	UnitMonth     UnitPeriod = "month"
	UnitSemimonth UnitPeriod = "semimonth"
	UnitWeek      UnitPeriod = "week"
	UnitTwoWeeks  UnitPeriod = "2week"
	UnitFourWeeks UnitPeriod = "4week"
	UnitTwoMonths UnitPeriod = "2month"
	UnitQuarter   UnitPeriod = "quarter"
	UnitYear      UnitPeriod = "year"
	// UnitSingle is the single-advance, single-payment transaction, whose unit-period is
	// the term itself (Appendix J (b)(5)(v)).
	UnitSingle UnitPeriod = "single"
)

// UnitPeriods lists every accepted unit-period.
var UnitPeriods = []UnitPeriod{UnitMonth, UnitSemimonth, UnitWeek, UnitTwoWeeks, UnitFourWeeks, UnitTwoMonths, UnitQuarter, UnitYear, UnitSingle}

var (
	// ErrUnitPeriod is returned for a unit-period not in UnitPeriods.
	ErrUnitPeriod = errors.New("installment: unknown unit_period")
	// ErrCashFlows is returned when there is no advance or no payment, an amount is not
	// positive, a payment precedes the first advance, or "single" does not have exactly one
	// advance and one payment.
	ErrCashFlows = errors.New("installment: invalid cash flows")
)

// CashFlow is an advance to or a payment by the consumer on a date.
type CashFlow struct {
	Date   clock.Date
	Amount money.Amount
}

// Interval is a time interval expressed as Appendix J does: t whole unit-periods and a
// fraction f of a unit-period.
type Interval struct {
	T int
	F float64
}

// ActuarialResult is an Appendix J APR with the pieces it was built from.
type ActuarialResult struct {
	UnitRate     float64 // rate per unit-period, full precision
	UnitsPerYear float64
	// APR is UnitRate × UnitsPerYear as a fraction rounded half-up to 4 places: 0.0969 is
	// the 9.69% a disclosure shows.
	APR decimal.Decimal
}

// Percent is the APR in percent to two places, as a disclosure shows it ("9.69").
func (r ActuarialResult) Percent() decimal.Decimal { return r.APR.Shift(2).Round(2) }

// ActuarialAPR computes the annual percentage rate of a closed-end transaction by the
// actuarial method of US Regulation Z Appendix J: the term begins on the earliest advance;
// every advance and payment is placed t whole unit-periods plus a fraction f after it
// (whole unit-periods counted back from the cash flow's date, the remaining days divided by
// the days of a unit-period: 30 a month, 15 a semimonth, 7 a week, 60 for two months, 90 a
// quarter, 365 a year); the general equation
//
//	Σ A_k / ((1+f_k·i)(1+i)^t_k) = Σ P_j / ((1+f_j·i)(1+i)^t_j)
//
// is solved for the unit-period rate i, and APR = i × unit-periods per year.
func ActuarialAPR(unit UnitPeriod, advances, payments []CashFlow) (ActuarialResult, error) {
	if len(advances) == 0 || len(payments) == 0 {
		return ActuarialResult{}, fmt.Errorf("%w: need at least one advance and one payment", ErrCashFlows)
	}
	for _, c := range append(append([]CashFlow(nil), advances...), payments...) {
		if c.Amount <= 0 || c.Date.IsZero() {
			return ActuarialResult{}, fmt.Errorf("%w: every amount must be positive and dated", ErrCashFlows)
		}
	}
	start := advances[0].Date
	for _, a := range advances[1:] {
		if a.Date.Before(start) {
			start = a.Date
		}
	}
	for _, p := range payments {
		if p.Date.Before(start) {
			return ActuarialResult{}, fmt.Errorf("%w: payment on %s precedes the first advance on %s", ErrCashFlows, p.Date, start)
		}
	}
	if unit == UnitSingle {
		return singleAPR(advances, payments)
	}
	perYear, ok := unitsPerYear[unit]
	if !ok {
		return ActuarialResult{}, fmt.Errorf("%w %q", ErrUnitPeriod, unit)
	}
	flows := make([]flow, 0, len(advances)+len(payments))
	for _, a := range advances {
		iv := MeasureInterval(unit, start, a.Date)
		flows = append(flows, flow{amount: -float64(a.Amount), t: float64(iv.T), f: iv.F})
	}
	for _, p := range payments {
		iv := MeasureInterval(unit, start, p.Date)
		flows = append(flows, flow{amount: float64(p.Amount), t: float64(iv.T), f: iv.F})
	}
	return result(flows, perYear)
}

func result(flows []flow, perYear float64) (ActuarialResult, error) {
	i, err := solve(flows)
	if err != nil {
		return ActuarialResult{}, err
	}
	return ActuarialResult{UnitRate: i, UnitsPerYear: perYear, APR: Round4(i * perYear)}, nil
}

var unitsPerYear = map[UnitPeriod]float64{
	UnitMonth: 12, UnitSemimonth: 24, UnitWeek: 52, UnitTwoWeeks: 26, UnitFourWeeks: 13,
	UnitTwoMonths: 6, UnitQuarter: 4, UnitYear: 1,
}

// monthsPerUnit is the length of the month-based unit-periods; weeksPerUnit of the
// week-based ones.
var (
	monthsPerUnit = map[UnitPeriod]int{UnitMonth: 1, UnitTwoMonths: 2, UnitQuarter: 3, UnitYear: 12}
	weeksPerUnit  = map[UnitPeriod]int{UnitWeek: 1, UnitTwoWeeks: 2, UnitFourWeeks: 4}
)

// MeasureInterval expresses the time from start to d (start ≤ d) in unit-periods: whole
// unit-periods counted back from d while they still end on or after start, then the odd
// part as a fraction. For month-based units the odd part is whole months counted back
// further plus the remaining days at 30 a month (all months are equal), over the months of
// the unit: two months from 01-10 to 03-01 is (1 + 22/30)/2, as Appendix J example
// (c)(4)(ii) requires. A semimonth's odd days count /15, a week's /7 per week; the odd part
// of a year is its whole months as twelfths when it is whole months, else its days /365.
func MeasureInterval(unit UnitPeriod, start, d clock.Date) Interval {
	switch {
	case weeksPerUnit[unit] > 0:
		days := d.DaysSince(start)
		w := 7 * weeksPerUnit[unit]
		return Interval{T: days / w, F: float64(days%w) / float64(w)}
	case unit == UnitSemimonth:
		t, at := 0, d
		for {
			prev := backSemimonth(at)
			if prev.Before(start) {
				break
			}
			t, at = t+1, prev
		}
		return Interval{T: t, F: float64(at.DaysSince(start)) / 15}
	case monthsPerUnit[unit] > 0:
		m := monthsPerUnit[unit]
		// Start above the answer and step down: at most two steps.
		t := max(0, ((d.Year()-start.Year())*12+int(d.Month())-int(start.Month()))/m+1)
		for t > 0 && backMonths(d, t*m).Before(start) {
			t--
		}
		at := backMonths(d, t*m)
		k := 0 // whole months left in the odd part
		for k < m-1 && !backMonths(at, k+1).Before(start) {
			k++
		}
		rest := float64(backMonths(at, k).DaysSince(start))
		if unit == UnitYear {
			if rest == 0 { // whole months: all months are equal
				return Interval{T: t, F: float64(k) / 12}
			}
			return Interval{T: t, F: float64(at.DaysSince(start)) / 365}
		}
		return Interval{T: t, F: (float64(k) + rest/30) / float64(m)}
	}
	return Interval{}
}

// backMonths is d moved n months earlier, keeping the day of the month: a day the target
// month lacks becomes its last day, and the last day of a month maps to the last day of
// the target month (Appendix J (b)(3)(iv): a series scheduled on month ends is measured
// month end to month end).
func backMonths(d clock.Date, n int) clock.Date {
	y, mo := d.Year(), int(d.Month())-1-n
	y += floorDiv(mo, 12)
	mo = mo - floorDiv(mo, 12)*12
	day, last := d.Day(), daysIn(y, time.Month(mo+1))
	if day > last || d.Day() == daysIn(d.Year(), d.Month()) {
		day = last
	}
	return clock.NewDate(y, time.Month(mo+1), day)
}

// backSemimonth is d moved half a month earlier: from the 16th or later to 15 days before
// in the same month, from the 15th or earlier to the same day + 15 of the previous month
// (capped at its last day). Payments on the 1st and 16th step 16th → 1st → 16th.
func backSemimonth(d clock.Date) clock.Date {
	if d.Day() > 15 {
		return clock.NewDate(d.Year(), d.Month(), d.Day()-15)
	}
	p := backMonths(clock.NewDate(d.Year(), d.Month(), 1), 1)
	day := min(d.Day()+15, daysIn(p.Year(), p.Month()))
	return clock.NewDate(p.Year(), p.Month(), day)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// singleAPR handles the single-advance, single-payment transaction (Appendix J
// (b)(5)(v)): the unit-period is the term. A term shorter than a year of exactly whole
// months has 12/months unit-periods a year; a shorter term in days has 365/days; a term of a
// year or more uses a year as unit-period with the odd part as a fraction.
func singleAPR(advances, payments []CashFlow) (ActuarialResult, error) {
	if len(advances) != 1 || len(payments) != 1 {
		return ActuarialResult{}, fmt.Errorf("%w: unit_period single needs exactly one advance and one payment", ErrCashFlows)
	}
	a, p := advances[0], payments[0]
	days := p.Date.DaysSince(a.Date)
	if days <= 0 {
		return ActuarialResult{}, fmt.Errorf("%w: the payment must come after the advance", ErrCashFlows)
	}
	flows := []flow{{amount: -float64(a.Amount)}, {amount: float64(p.Amount), t: 1}}
	if !backMonths(p.Date, 12).Before(a.Date) { // a year or more
		iv := MeasureInterval(UnitYear, a.Date, p.Date)
		flows[1].t, flows[1].f = float64(iv.T), iv.F
		return result(flows, 1)
	}
	for m := 1; m < 12; m++ {
		if backMonths(p.Date, m).Equal(a.Date) {
			return result(flows, 12/float64(m))
		}
	}
	return result(flows, 365/float64(days))
}
