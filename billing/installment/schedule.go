package installment

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// Method names how a schedule spreads principal and charges over its periods.
type Method string

const (
	// FlatFee charges a total fee of principal × fee rate, spread evenly (Alipay 分期).
	FlatFee Method = "flat_fee"
	// EqualPayment amortizes at a monthly rate of annual/12 with equal payments (等额本息).
	EqualPayment Method = "equal_payment"
)

// MaxTerms bounds the number of periods a schedule may have (30 years of months).
const MaxTerms = 360

var (
	// ErrTerms is returned when the number of periods is not positive or exceeds MaxTerms.
	ErrTerms = errors.New("installment: terms must be between 1 and 360")
	// ErrPrincipal is returned when the principal is not positive or smaller than the number of
	// periods in fen (every period must carry at least one fen of principal).
	ErrPrincipal = errors.New("installment: principal must be positive and at least one fen per period")
	// ErrRate is returned for a negative fee rate or annual rate.
	ErrRate = errors.New("installment: rate must not be negative")
)

// Period is one installment: the principal and the fee due with it. For equal-payment
// schedules Fee holds the period's interest.
type Period struct {
	Number    int // 1-based
	Principal money.Amount
	Fee       money.Amount
}

// Total is what the shopper pays for the period.
func (p Period) Total() money.Amount { return p.Principal + p.Fee }

// Schedule is a complete installment schedule. Σ Periods[i].Principal == Principal and
// Σ Periods[i].Fee == TotalFee always hold.
type Schedule struct {
	Method    Method
	Principal money.Amount
	Terms     int
	// Rate is the total fee rate of a flat-fee schedule or the annual rate of an
	// equal-payment schedule.
	Rate     decimal.Decimal
	TotalFee money.Amount
	Periods  []Period
}

// TotalPayable is principal plus all fees.
func (s Schedule) TotalPayable() money.Amount { return s.Principal + s.TotalFee }

// Payments returns what the shopper pays in each period, in order.
func (s Schedule) Payments() []money.Amount {
	out := make([]money.Amount, len(s.Periods))
	for i, p := range s.Periods {
		out[i] = p.Total()
	}
	return out
}

func checkArgs(principal money.Amount, terms int, rate decimal.Decimal) error {
	if terms <= 0 || terms > MaxTerms {
		return ErrTerms
	}
	if principal <= 0 || principal < money.Amount(terms) || principal > money.MaxAmount {
		return ErrPrincipal
	}
	if rate.Sign() < 0 {
		return ErrRate
	}
	return nil
}

// NewFlatFee builds a flat-fee schedule by Alipay's documented rounding: principal per
// period = floor(P/n) fen; total fee = P × rate rounded half-even to the fen; fee per period
// = floor(total fee / n); period 1 takes the leftover principal and the leftover fee.
// 1200.00 in 12 at 0.088 → 108.80 a month, total fee 105.60.
func NewFlatFee(principal money.Amount, terms int, feeRate decimal.Decimal) (Schedule, error) {
	if err := checkArgs(principal, terms, feeRate); err != nil {
		return Schedule{}, err
	}
	totalFee := principal.MulRate(feeRate, money.HalfEven)
	return Schedule{
		Method:    FlatFee,
		Principal: principal,
		Terms:     terms,
		Rate:      feeRate,
		TotalFee:  totalFee,
		Periods:   spread(principal, totalFee, terms, 1),
	}, nil
}

// spread splits principal and fee over n periods numbered from first, remainders to the
// first of them (money.Split).
func spread(principal, fee money.Amount, n, first int) []Period {
	ps, fs := money.Split(principal, n), money.Split(fee, n)
	out := make([]Period, n)
	for i := range out {
		out[i] = Period{Number: first + i, Principal: ps[i], Fee: fs[i]}
	}
	return out
}

// NewEqualPayment builds an equal-payment (等额本息) schedule at annualRate on a 30/360
// basis (monthly rate = annual/12): payment = P·r/(1−(1+r)^−n) rounded half-up to the fen,
// each period's interest = balance × r rounded half-up, principal = payment − interest, and
// the last period absorbs the remainder (its principal is the remaining balance).
// 10,000.00 at 0.12 over 12 → 888.49 a month, the last 888.47, interest 661.86.
func NewEqualPayment(principal money.Amount, terms int, annualRate decimal.Decimal) (Schedule, error) {
	if err := checkArgs(principal, terms, annualRate); err != nil {
		return Schedule{}, err
	}
	r := annualRate.Div(decimal.NewFromInt(12))
	p := decimal.NewFromInt(int64(principal)) // fen
	var payment money.Amount
	if r.IsZero() {
		payment = money.FromFenDecimal(p.Div(decimal.NewFromInt(int64(terms))), money.HalfUp)
	} else {
		g := decimal.NewFromInt(1).Add(r).Pow(decimal.NewFromInt(int64(terms))) // (1+r)^n
		payment = money.FromFenDecimal(p.Mul(r).Mul(g).DivRound(g.Sub(decimal.NewFromInt(1)), 24), money.HalfUp)
	}
	s := Schedule{Method: EqualPayment, Principal: principal, Terms: terms, Rate: annualRate, Periods: make([]Period, terms)}
	balance := principal
	for i := range s.Periods {
		interest := balance.MulRate(r, money.HalfUp)
		prin := payment - interest
		if i == terms-1 || prin > balance {
			prin = balance
		}
		if prin < 0 {
			// The rounded payment does not cover the interest (absurd rates): the
			// schedule would grow, which no product should offer.
			return Schedule{}, fmt.Errorf("%w: payment %s does not cover interest %s", ErrRate, payment, interest)
		}
		s.Periods[i] = Period{Number: i + 1, Principal: prin, Fee: interest}
		s.TotalFee += interest
		balance -= prin
	}
	return s, nil
}
