package biz

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// EventReview is the line event of the monthly limit review.
const EventReview = "review"

// Standing is what the limit review needs to know about a user's repayments (billing
// implements StandingSource).
type Standing struct {
	DaysPastDue int
	// StatementsDue counts statements due in the look-back window; PaidOnTime those whose
	// minimum was met by the due date.
	StatementsDue int
	PaidOnTime    int
}

// StandingSource reads a user's repayment standing.
type StandingSource interface {
	Standing(ctx context.Context, userID string) (Standing, error)
}

// ReviewPolicy is the monthly limit review (configurable in credit.review): delinquency
// cuts a limit by CutRate; a clean record of at least MinOnTime statements all paid on
// time raises it by RaiseRate. Both round down to 100 yuan and stay in the product's
// [MinLimit, MaxLimit].
type ReviewPolicy struct {
	RaiseRate string `json:"raise_rate"`
	CutRate   string `json:"cut_rate"`
	MinOnTime int    `json:"min_on_time"`
}

// DefaultReviewPolicy raises 10% after 3 on-time statements and cuts 20% when past due.
func DefaultReviewPolicy() ReviewPolicy {
	return ReviewPolicy{RaiseRate: "0.10", CutRate: "0.20", MinOnTime: 3}
}

// ReviewedLimit returns the new limit and the reason, or ok=false for no change. used is
// the credit in use (outstanding principal plus holds): a cut never takes the limit below
// it (rounded up to 100 yuan), so the cut stops new spending instead of leaving a line over
// its limit; when usage is at or above the current limit the cut changes nothing.
func (p ReviewPolicy) ReviewedLimit(limit, used money.Amount, st Standing, policy LimitPolicy) (money.Amount, string, bool, error) {
	raise, err := decimal.NewFromString(p.RaiseRate)
	if err != nil {
		return 0, "", false, fmt.Errorf("credit: review raise_rate: %w", err)
	}
	cut, err := decimal.NewFromString(p.CutRate)
	if err != nil {
		return 0, "", false, fmt.Errorf("credit: review cut_rate: %w", err)
	}
	var next money.Amount
	var reason string
	switch {
	case st.DaysPastDue > 0:
		// rounded down to 100 yuan: a cut never leaves more credit than the rate says
		next = floorStep(limit.MulRate(decimal.NewFromInt(1).Sub(cut), money.Down))
		reason = fmt.Sprintf("limit review: %d days past due, limit cut %s%%", st.DaysPastDue, cut.Shift(2).String())
		if floor := ceilStep(used); next < floor {
			next = min(limit, floor)
			reason += fmt.Sprintf(" (held at the %s in use)", used.String())
		}
		next = max(policy.MinLimit, next)
		return next, reason, next < limit, nil
	case st.StatementsDue >= p.MinOnTime && st.PaidOnTime == st.StatementsDue:
		next = floorStep(limit.MulRate(decimal.NewFromInt(1).Add(raise), money.Down))
		reason = fmt.Sprintf("limit review: %d statements paid on time, limit raised %s%%", st.PaidOnTime, raise.Shift(2).String())
	default:
		return limit, "", false, nil
	}
	next = money.Max(policy.MinLimit, money.Min(policy.MaxLimit, next))
	return next, reason, next != limit, nil
}

// ReviewLimit applies the review to one user's line in the caller's transaction and
// records the change with its reason. Frozen and closed lines are left alone.
func (u *LineUseCase) ReviewLimit(ctx context.Context, userID string, st Standing, p ReviewPolicy) (bool, error) {
	now := u.clk.Now()
	changed := false
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := u.repo.GetForUpdate(ctx, userID)
		if err != nil {
			return err
		}
		if l.Frozen || l.AccountStatus == StatusClosed {
			return nil
		}
		next, reason, ok, err := p.ReviewedLimit(l.Limit, l.Outstanding+l.Held, st, u.policy)
		if err != nil || !ok {
			return err
		}
		l.Compute(now)
		oldLimit, oldStatus := l.Limit, l.Status
		l.Limit = next
		if err := u.repo.SetLimitScore(ctx, userID, next, l.Score, now); err != nil {
			return err
		}
		l.UpdatedAt = now
		l.Compute(now)
		changed = true
		return u.audit(ctx, l, EventReview, reason, oldLimit, oldStatus, now)
	})
	return changed, err
}

// ReviewProgress is the job run the review reports to (app/job's *Run satisfies it).
type ReviewProgress interface {
	Checkpoint() string
	SaveCheckpoint(ctx context.Context, cp string, processedDelta int) error
}

// reviewChunk is how many lines one review transaction covers.
const reviewChunk = 200

// ReviewLimits is the limit_review job: every line in user-id order, a chunk per
// transaction that also saves the checkpoint, so a crashed run resumes after the last
// committed chunk and never reviews a line twice.
func (u *LineUseCase) ReviewLimits(ctx context.Context, run ReviewProgress, standing StandingSource, p ReviewPolicy) error {
	after := run.Checkpoint()
	for {
		users, err := u.repo.LineUserIDs(ctx, after, reviewChunk)
		if err != nil || len(users) == 0 {
			return err
		}
		err = u.tx.InTx(ctx, func(ctx context.Context) error {
			for _, id := range users {
				st, err := standing.Standing(ctx, id)
				if err != nil {
					return err
				}
				if _, err := u.ReviewLimit(ctx, id, st, p); err != nil {
					return err
				}
			}
			return run.SaveCheckpoint(ctx, users[len(users)-1], len(users))
		})
		if err != nil {
			return err
		}
		after = users[len(users)-1]
	}
}
