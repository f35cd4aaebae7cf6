package biz

import (
	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// Tranche classes, in order of seniority.
const (
	ClassSenior       = "senior"
	ClassMezzanine    = "mezzanine"
	ClassSubordinated = "subordinated"
)

// TrancheClasses lists the classes senior first; a structure has at most one tranche
// of each (sequential principal and interest priority follow this order).
var TrancheClasses = []string{ClassSenior, ClassMezzanine, ClassSubordinated}

// ClassRank is the seniority of a class (0 = senior), -1 when unknown.
func ClassRank(class string) int {
	for i, c := range TrancheClasses {
		if c == class {
			return i
		}
	}
	return -1
}

// monthsPerYear is the 30/360 divisor of an annual rate into a monthly one.
var monthsPerYear = decimal.NewFromInt(12)

// MonthlyAmount is balance × annual rate / 12 (30/360), half-up to the fen: a tranche's
// coupon and the servicing fee of a period.
func MonthlyAmount(balance money.Amount, annualRate decimal.Decimal) money.Amount {
	return money.FromFenDecimal(decimal.NewFromInt(int64(balance)).Mul(annualRate).Div(monthsPerYear), money.HalfUp)
}

// WaterfallTranche is a tranche at the start of a period.
type WaterfallTranche struct {
	Name       string
	Class      string
	Balance    money.Amount    // beginning balance
	CouponRate decimal.Decimal // annual
	// Shortfall is interest due in earlier periods and not paid; it is due again (no
	// interest on interest).
	Shortfall money.Amount
}

// WaterfallInput is everything one period's waterfall depends on. Tranches are senior
// first (at most one per class).
type WaterfallInput struct {
	PoolBalance       money.Amount    // beginning pool balance (fee and reserve target basis)
	ServicingFeeRate  decimal.Decimal // annual
	FeeShortfall      money.Amount    // servicing fee unpaid in earlier periods
	Reserve           money.Amount    // reserve balance at the start of the period
	ReserveTargetRate decimal.Decimal // target = pool balance × rate, half-up
	Tranches          []WaterfallTranche

	// Collections of the period.
	PrincipalCollected money.Amount
	InterestCollected  money.Amount // interest, installment fees and penalties
	Recoveries         money.Amount

	// Sequential is true once a trigger has breached or the revolving period has ended:
	// step 5 pays tranche principal. Otherwise step 5 reinvests, up to ReinvestLimit
	// (what revolving purchases could actually buy); the rest is paid sequentially.
	Sequential    bool
	ReinvestLimit money.Amount
}

// StepAmount is one due/paid pair of the waterfall.
type StepAmount struct {
	Due       money.Amount `json:"due"`
	Paid      money.Amount `json:"paid"`
	Shortfall money.Amount `json:"shortfall"` // due − paid, carried to the next period
}

// TrancheResult is one tranche's line of a distribution.
type TrancheResult struct {
	Name             string
	Class            string
	BeginningBalance money.Amount
	InterestDue      money.Amount // this period's coupon plus the carried shortfall
	InterestPaid     money.Amount
	Shortfall        money.Amount // interest due and not paid, carried forward
	PrincipalPaid    money.Amount
	EndingBalance    money.Amount
}

// ReserveResult is the reserve account's movement in a period.
type ReserveResult struct {
	Beginning, Target, Draw, TopUp, Ending money.Amount
}

// WaterfallResult is where every fen of a period's available funds went: Available =
// Fee.Paid + Σ InterestPaid + Reserve.TopUp + Σ PrincipalPaid + Reinvested + Residual.
type WaterfallResult struct {
	Collections money.Amount // principal + interest + recoveries of the period
	Available   money.Amount // collections + reserve draw
	Fee         StepAmount
	Tranches    []TrancheResult
	Reserve     ReserveResult
	// PrincipalDue is the principal distribution amount of step 5: the period's
	// principal collections and recoveries (the cash that replaced pool principal).
	PrincipalDue money.Amount
	Reinvested   money.Amount // step 5 during the revolving period: buys new assets
	Residual     money.Amount // step 7: to the lender
}

// Waterfall runs one period's priority of payments (DESIGN §7a). Pure: no context, no
// repository; the distribution and the projection both call it.
//
//  0. reserve draw: only what steps 1–3 lack after the collections;
//  1. servicing fee = pool balance × rate / 12 (+ carried fee shortfall);
//  2. senior interest, 3. mezzanine interest (balance × coupon / 12 + carried shortfall);
//  4. reserve top-up to target;
//  5. principal: min(what is left, principal collections + recoveries): reinvested
//     during the revolving period (up to ReinvestLimit), otherwise (and for the rest)
//     sequential, senior to zero, then mezzanine, then subordinated;
//  6. subordinated interest;
//  7. residual to the lender.
//
// Each step takes what it can; a shortfall carries forward without interest.
func Waterfall(in WaterfallInput) WaterfallResult {
	r := WaterfallResult{Collections: in.PrincipalCollected + in.InterestCollected + in.Recoveries}
	r.Tranches = make([]TrancheResult, len(in.Tranches))
	for i, t := range in.Tranches {
		r.Tranches[i] = TrancheResult{Name: t.Name, Class: t.Class, BeginningBalance: t.Balance,
			InterestDue: MonthlyAmount(t.Balance, t.CouponRate) + t.Shortfall, EndingBalance: t.Balance}
	}
	r.Fee.Due = MonthlyAmount(in.PoolBalance, in.ServicingFeeRate) + in.FeeShortfall

	// Steps 1–3 are senior to the reserve: draw what they lack.
	senior := r.Fee.Due
	for _, t := range r.Tranches {
		if t.Class != ClassSubordinated {
			senior += t.InterestDue
		}
	}
	r.Reserve.Beginning = in.Reserve
	if lack := senior - r.Collections; lack > 0 {
		r.Reserve.Draw = money.Min(lack, money.Max(in.Reserve, 0))
	}
	r.Available = r.Collections + r.Reserve.Draw
	left := r.Available
	take := func(due money.Amount) money.Amount {
		p := money.Min(money.Max(due, 0), left)
		left -= p
		return p
	}

	r.Fee.Paid = take(r.Fee.Due) // 1
	r.Fee.Shortfall = r.Fee.Due - r.Fee.Paid
	for i := range r.Tranches { // 2, 3
		if t := &r.Tranches[i]; t.Class != ClassSubordinated {
			t.InterestPaid = take(t.InterestDue)
		}
	}
	r.Reserve.Target = in.PoolBalance.MulRate(in.ReserveTargetRate, money.HalfUp) // 4
	r.Reserve.TopUp = take(r.Reserve.Target - (in.Reserve - r.Reserve.Draw))
	r.Reserve.Ending = in.Reserve - r.Reserve.Draw + r.Reserve.TopUp

	r.PrincipalDue = in.PrincipalCollected + in.Recoveries // 5
	principal := take(r.PrincipalDue)
	if !in.Sequential {
		r.Reinvested = money.Min(principal, money.Max(in.ReinvestLimit, 0))
		principal -= r.Reinvested
	}
	for i := range r.Tranches {
		t := &r.Tranches[i]
		p := money.Min(principal, t.BeginningBalance)
		t.PrincipalPaid, t.EndingBalance = p, t.BeginningBalance-p
		principal -= p
	}
	left += principal // more than the notes owe stays for steps 6 and 7

	for i := range r.Tranches { // 6
		if t := &r.Tranches[i]; t.Class == ClassSubordinated {
			t.InterestPaid = take(t.InterestDue)
		}
	}
	for i := range r.Tranches {
		r.Tranches[i].Shortfall = r.Tranches[i].InterestDue - r.Tranches[i].InterestPaid
	}
	r.Residual = left // 7
	return r
}

// Paid sums every step's payment; it equals Available (the property tests check it).
func (r WaterfallResult) Paid() money.Amount {
	s := r.Fee.Paid + r.Reserve.TopUp + r.Reinvested + r.Residual
	for _, t := range r.Tranches {
		s += t.InterestPaid + t.PrincipalPaid
	}
	return s
}

// Trigger names.
const (
	TriggerCumulativeDefault = "cumulative_default_rate"
	TriggerDelinquency60     = "delinquency_60_rate"
)

// TriggerState is one trigger's test at a period close.
type TriggerState struct {
	Name      string
	Value     decimal.Decimal
	Threshold decimal.Decimal
	Breached  bool // value above threshold this period
}

// EvaluateTriggers tests the triggers at a period close: each breaches when its value
// is above its threshold (a zero threshold disables it). Sequential principal follows
// a breach now or in any earlier period (early amortization is for good).
func EvaluateTriggers(cumDefaultRate, dq60Rate, cumDefaultThreshold, dq60Threshold decimal.Decimal, breachedBefore bool) ([]TriggerState, bool) {
	ts := []TriggerState{
		{Name: TriggerCumulativeDefault, Value: cumDefaultRate, Threshold: cumDefaultThreshold},
		{Name: TriggerDelinquency60, Value: dq60Rate, Threshold: dq60Threshold},
	}
	breached := breachedBefore
	for i := range ts {
		ts[i].Breached = ts[i].Threshold.Sign() > 0 && ts[i].Value.GreaterThan(ts[i].Threshold)
		breached = breached || ts[i].Breached
	}
	return ts, breached
}
