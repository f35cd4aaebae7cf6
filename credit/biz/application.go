package biz

import (
	"context"
	"errors"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/scorecard"
)

// Application is one scored credit application (kept for audit).
type Application struct {
	ID             int64
	UserID         string
	ProfileVersion int
	Decision       string
	Score          int
	Limit          money.Amount
	Reasons        []Reason
	CreatedAt      time.Time
}

// ApplicationRepo stores applications.
type ApplicationRepo interface {
	Insert(ctx context.Context, a *Application) error
}

// ApplicationUseCase scores a user's latest profile and opens or re-scores the line.
type ApplicationUseCase struct {
	profiles ProfileRepo
	apps     ApplicationRepo
	lines    *LineUseCase
	lineRepo LineRepo
	card     *scorecard.Scorecard
	policy   LimitPolicy
	tx       Transactor
	clk      clock.Clock
	newID    IDGen
}

// NewApplicationUseCase returns the use case.
func NewApplicationUseCase(profiles ProfileRepo, apps ApplicationRepo, lines *LineUseCase, lineRepo LineRepo,
	card *scorecard.Scorecard, policy LimitPolicy, tx Transactor, clk clock.Clock, newID IDGen) *ApplicationUseCase {
	return &ApplicationUseCase{profiles: profiles, apps: apps, lines: lines, lineRepo: lineRepo, card: card,
		policy: policy, tx: tx, clk: clk, newID: newID}
}

// Apply decides on the user's latest profile. Approved: a new line opens with the limit,
// or an existing line gets the new score and limit (which may be lower than outstanding +
// held: available is then zero until principal is repaid). Declined: no line is opened
// and an existing line is left unchanged (limit cuts go through adjustments and the
// limit review). A closed line is never reopened by an application. Without a profile the
// application is declined with NO_CREDIT_PROFILE. The line (nil when none) is returned.
func (u *ApplicationUseCase) Apply(ctx context.Context, userID string) (*Application, *Line, error) {
	var app *Application
	var line *Line
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		now := u.clk.Now()
		app = &Application{ID: u.newID(), UserID: userID, Decision: DecisionDeclined, CreatedAt: now}
		line = nil
		existing, err := u.lineRepo.GetForUpdate(ctx, userID)
		switch {
		case errors.Is(err, ErrLineNotFound):
			existing = nil
		case err != nil:
			return err
		default:
			existing.Compute(now)
			line = existing
		}
		prof, err := u.profiles.Latest(ctx, userID)
		if errors.Is(err, ErrProfileNotFound) {
			app.Reasons = []Reason{{Code: ReasonNoProfile, Message: "no credit data on file"}}
			return u.apps.Insert(ctx, app)
		}
		if err != nil {
			return err
		}
		app.ProfileVersion = prof.Version
		if existing != nil && existing.AccountStatus == StatusClosed {
			app.Reasons = []Reason{{Code: ReasonLineClosed, Message: "the credit line is closed"}}
			return u.apps.Insert(ctx, app)
		}
		funding, err := u.lines.fundingAvailable(ctx)
		if err != nil {
			return err
		}
		d := u.policy.Decide(u.card.Score(prof.Record()), prof, funding)
		app.Score, app.Reasons = d.Score, d.Reasons
		if d.Approved {
			app.Decision, app.Limit = DecisionApproved, d.Limit
			if line, err = u.lines.openOrRescore(ctx, existing, userID, d.Limit, d.Score, now); err != nil {
				return err
			}
		}
		return u.apps.Insert(ctx, app)
	})
	if err != nil {
		return nil, nil, err
	}
	return app, line, nil
}
