package biz

import (
	"math"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/scorecard"
)

// Decision codes that are not scorecard features.
const (
	ReasonKYCNotVerified   = "KYC_NOT_VERIFIED"
	ReasonScoreBelowCutoff = "SCORE_BELOW_CUTOFF"
	ReasonFundingExhausted = "FUNDING_EXHAUSTED"
	ReasonNoProfile        = "NO_CREDIT_PROFILE"
	ReasonLineClosed       = "CREDIT_LINE_CLOSED"
)

// Decision values.
const (
	DecisionApproved = "approved"
	DecisionDeclined = "declined"
)

// limitStep is the granularity limits are rounded down to.
const limitStep = money.Amount(100_00)

// Reason explains a decision: a policy rule (Code and Message) or a scorecard feature that
// cost points against its best bin (Feature, Bin, PointsLost).
type Reason struct {
	Code       string
	Feature    string
	Bin        string
	PointsLost int
	Message    string
}

// Decision is the outcome of a credit application.
type Decision struct {
	Approved bool
	Score    int
	Limit    money.Amount // 0 when declined
	Reasons  []Reason
}

// Decide applies the policy to a scored profile: decline without KYC or below the cut-off;
// otherwise base limit of the score band × income factor, rounded down to 100 yuan,
// clamped to [MinLimit, MaxLimit], then capped by the funding available (declined when
// that leaves less than MinLimit). Reasons list the policy rule that declined first, then
// the scorecard's costliest features.
func (p LimitPolicy) Decide(res scorecard.Result, prof *Profile, funding money.Amount) Decision {
	d := Decision{Score: res.Score}
	switch {
	case !prof.KYCVerified:
		d.Reasons = append(d.Reasons, Reason{Code: ReasonKYCNotVerified, Message: "identity verification (KYC) is required"})
	case res.Score < p.CutoffScore:
		d.Reasons = append(d.Reasons, Reason{Code: ReasonScoreBelowCutoff, Message: "score is below the cut-off"})
	default:
		limit := p.Limit(res.Score, prof.MonthlyIncome)
		if capped := floorStep(funding); capped < limit {
			limit = capped
		}
		if limit < p.MinLimit {
			d.Reasons = append(d.Reasons, Reason{Code: ReasonFundingExhausted, Message: "not enough funding available to open a line"})
		} else {
			d.Approved, d.Limit = true, limit
		}
	}
	for _, r := range res.Reasons {
		if len(d.Reasons) > 0 && r.Code == d.Reasons[0].Code {
			continue
		}
		d.Reasons = append(d.Reasons, Reason{Code: r.Code, Feature: r.Feature, Bin: r.Bin,
			PointsLost: int(math.Round(r.Shortfall))})
	}
	return d
}

// Limit is the policy limit for an approved score before the funding cap.
func (p LimitPolicy) Limit(score int, income *money.Amount) money.Amount {
	base := p.MinLimit
	for _, b := range p.Bands {
		if score >= b.MinScore {
			base = b.BaseLimit
		}
	}
	factor := p.MissingIncomeFactor
	if income != nil {
		for _, f := range p.IncomeFactors {
			if *income >= f.MinIncome {
				factor = f.Factor
			}
		}
	}
	limit := floorStep(base.MulRate(factor, money.Down))
	return min(max(limit, p.MinLimit), p.MaxLimit)
}

// ceilStep rounds up to the limit step.
func ceilStep(a money.Amount) money.Amount {
	if a <= 0 {
		return 0
	}
	return (a + limitStep - 1) / limitStep * limitStep
}

func floorStep(a money.Amount) money.Amount {
	if a <= 0 {
		return 0
	}
	return a / limitStep * limitStep
}
