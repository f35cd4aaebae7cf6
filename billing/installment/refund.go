package installment

import (
	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// Reduction is what a refund does to a plan's unbilled periods (DESIGN §5): it reduces the
// unbilled principal first, the remaining periods are re-spread, the unbilled fees are cut
// in proportion, and whatever exceeds the unbilled principal is left for billed unpaid
// amounts and then the credit balance.
type Reduction struct {
	PrincipalCut money.Amount // unbilled principal removed
	FeeCut       money.Amount // unbilled fees cancelled (never posted)
	Excess       money.Amount // refund beyond the unbilled principal
	// Periods are the unbilled periods afterwards, same count and numbers, re-spread by
	// the flat-fee rule (floor each, leftovers to the first). All zero when the refund
	// took the whole unbilled principal.
	Periods []Period
}

// Remaining is the unbilled principal left after the refund.
func (r Reduction) Remaining() (principal, fee money.Amount) {
	for _, p := range r.Periods {
		principal += p.Principal
		fee += p.Fee
	}
	return principal, fee
}

// ApplyRefund applies a refund to the unbilled periods of a plan. The fee cut is
// unbilled fee × principal cut / unbilled principal, rounded half-up to the fen; a refund
// of all the unbilled principal cuts all the unbilled fee.
func ApplyRefund(unbilled []Period, refund money.Amount) Reduction {
	var principal, fee money.Amount
	for _, p := range unbilled {
		principal += p.Principal
		fee += p.Fee
	}
	r := Reduction{PrincipalCut: money.Min(max(refund, 0), principal)}
	r.Excess = max(refund, 0) - r.PrincipalCut
	switch {
	case r.PrincipalCut == principal:
		r.FeeCut = fee
	case r.PrincipalCut > 0:
		r.FeeCut = money.FromFenDecimal(decimal.NewFromInt(int64(fee)).Mul(decimal.NewFromInt(int64(r.PrincipalCut))).
			Div(decimal.NewFromInt(int64(principal))), money.HalfUp)
	}
	if len(unbilled) > 0 {
		r.Periods = spread(principal-r.PrincipalCut, fee-r.FeeCut, len(unbilled), unbilled[0].Number)
	}
	return r
}

// Payoff is what paying a plan off early costs: the unbilled principal, plus the unbilled
// fees unless they are waived (the default).
func Payoff(unbilled []Period, waiveFees bool) (principal, fee money.Amount) {
	for _, p := range unbilled {
		principal += p.Principal
		fee += p.Fee
	}
	if waiveFees {
		fee = 0
	}
	return principal, fee
}
