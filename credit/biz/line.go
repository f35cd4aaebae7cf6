package biz

import (
	"context"
	"errors"
	"time"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Line statuses as reported. The store keeps billing's account status (active, overdue,
// closed) apart from the ops freeze flag, so a freeze survives billing's overdue/active
// transitions and billing never lifts an ops freeze; the reported status is closed, else
// frozen, else the account status.
const (
	StatusActive  = "active"
	StatusFrozen  = "frozen"
	StatusOverdue = "overdue"
	StatusClosed  = "closed"
)

// Line event kinds.
const (
	EventOpen     = "open"
	EventRescore  = "rescore"
	EventAdjust   = "adjust"
	EventFreeze   = "freeze"
	EventUnfreeze = "unfreeze"
	EventStatus   = "status"
)

// Line is a user's credit line.
type Line struct {
	UserID        string
	AccountStatus string // active | overdue | closed (billing's view)
	Frozen        bool   // ops freeze
	Score         int
	Limit         money.Amount
	TempLimit     money.Amount
	// TempLimitExpiresAt is zero when no temporary limit is set.
	TempLimitExpiresAt time.Time
	Outstanding        money.Amount
	Held               money.Amount
	OpenedAt           time.Time
	UpdatedAt          time.Time

	// Computed for the instant the line was read (LineUseCase fills them).
	Status         string
	EffectiveLimit money.Amount
	Available      money.Amount
}

// Compute fills Status, EffectiveLimit and Available as of now: the effective limit is
// the temporary limit while now is before its expiry, else the permanent limit; available
// is the effective limit less outstanding and held, never below zero (a lowered limit
// leaves available at zero rather than negative).
func (l *Line) Compute(now time.Time) {
	l.Status = l.AccountStatus
	if l.Frozen && l.AccountStatus != StatusClosed {
		l.Status = StatusFrozen
	}
	l.EffectiveLimit = l.Limit
	if !l.TempLimitExpiresAt.IsZero() && now.Before(l.TempLimitExpiresAt) {
		l.EffectiveLimit = l.TempLimit
	}
	l.Available = max(0, l.EffectiveLimit-l.Outstanding-l.Held)
}

// LineEvent is one audited change to a line.
type LineEvent struct {
	ID                 int64
	UserID             string
	Kind               string
	Reason             string
	Actor              string
	OldLimit, NewLimit money.Amount
	TempLimit          money.Amount
	TempLimitExpiresAt time.Time
	OldStatus          string
	NewStatus          string
	Score              int
	At                 time.Time
}

// LineRepo stores lines. The accounting calls are single conditional UPDATEs; found is
// false when the user has no line (or, for Hold, when the condition failed).
type LineRepo interface {
	// Get reads the stored line or returns ErrLineNotFound.
	Get(ctx context.Context, userID string) (*Line, error)
	// GetForUpdate is Get with a row lock where the engine has them.
	GetForUpdate(ctx context.Context, userID string) (*Line, error)
	Create(ctx context.Context, l *Line) error
	SetLimitScore(ctx context.Context, userID string, limit money.Amount, score int, now time.Time) error
	SetTempLimit(ctx context.Context, userID string, temp money.Amount, expires time.Time, now time.Time) error
	SetFrozen(ctx context.Context, userID string, frozen bool, now time.Time) error
	SetAccountStatus(ctx context.Context, userID, status string, now time.Time) error
	// Hold adds amount to held only if the line is active, not frozen, and amount fits in
	// the available credit at now; ok is false otherwise.
	Hold(ctx context.Context, userID string, amount money.Amount, now time.Time) (ok bool, err error)
	// Capture moves captured from held to outstanding and releases held−captured.
	Capture(ctx context.Context, userID string, held, captured money.Amount, now time.Time) (found bool, err error)
	// ReleaseHold and ReleaseOutstanding subtract, never below zero.
	ReleaseHold(ctx context.Context, userID string, amount money.Amount, now time.Time) (found bool, err error)
	ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount, now time.Time) (found bool, err error)
	AddOutstanding(ctx context.Context, userID string, amount money.Amount, now time.Time) (found bool, err error)
	// Exposure is outstanding + held over all lines.
	Exposure(ctx context.Context) (money.Amount, error)
	AddEvent(ctx context.Context, e *LineEvent) error
	// LineUserIDs lists up to limit user ids of lines after the given one, in order
	// (the limit review walks them in chunks).
	LineUserIDs(ctx context.Context, after string, limit int) ([]string, error)
	// Events lists a line's events newest first, with ids below beforeID (0: from the newest).
	Events(ctx context.Context, userID string, beforeID int64, limit int) ([]LineEvent, error)
}

// IDGen makes ids (app/ids in production).
type IDGen func() int64

// LineUseCase runs credit lines: reads, ops changes with their audit trail, the
// authorization check and the accounting billing calls. Every method joins the caller's
// transaction carried in ctx.
type LineUseCase struct {
	repo    LineRepo
	tx      Transactor
	clk     clock.Clock
	risk    *RiskEngine
	policy  LimitPolicy
	funding FundingSource
	newID   IDGen
}

// NewLineUseCase returns the use case; funding may be replaced with SetFunding.
func NewLineUseCase(repo LineRepo, tx Transactor, clk clock.Clock, risk *RiskEngine, policy LimitPolicy, funding FundingSource, newID IDGen) *LineUseCase {
	return &LineUseCase{repo: repo, tx: tx, clk: clk, risk: risk, policy: policy, funding: funding, newID: newID}
}

// SetFunding replaces the funding source (the asset center's, once wired). Call it during
// wiring, before the server serves requests.
func (u *LineUseCase) SetFunding(f FundingSource) { u.funding = f }

// Funding returns the current funding source.
func (u *LineUseCase) Funding() FundingSource { return u.funding }

// Get returns the line with its computed status, effective limit and available credit.
func (u *LineUseCase) Get(ctx context.Context, userID string) (*Line, error) {
	l, err := u.repo.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	l.Compute(u.clk.Now())
	return l, nil
}

// AuthRequest is what a payment asks of the line.
type AuthRequest struct {
	UserID, MerchantID, MerchantCategory string
	Amount                               money.Amount
	PaymentID                            int64
}

// AuthDecision is the outcome: Approved, or declined with a stable Reason.
type AuthDecision struct {
	Approved bool
	Reason   string
}

// Authorize runs the risk rules and, if they pass, holds amount on the line, inside the
// caller's tx. Declines are returned as a non-empty reason (nil error). An approved
// payment is counted in the velocity windows (Redis or in process) before the hold; if
// the caller's transaction later rolls back the count stays (the windows err on the
// side of caution), and a retried transaction with the same PaymentID is not counted twice.
func (u *LineUseCase) Authorize(ctx context.Context, req AuthRequest) (AuthDecision, error) {
	if req.Amount <= 0 {
		return AuthDecision{}, ErrInvalidAmount
	}
	var dec AuthDecision
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		dec = AuthDecision{}
		l, err := u.repo.Get(ctx, req.UserID)
		if errors.Is(err, ErrLineNotFound) {
			dec.Reason = DeclineNoCreditLine
			return nil
		}
		if err != nil {
			return err
		}
		now := u.clk.Now()
		l.Compute(now)
		if req.PaymentID == 0 {
			req.PaymentID = u.newID() // velocity windows key entries by payment
		}
		in := RiskInput{Line: l, Amount: req.Amount, MerchantID: req.MerchantID, MerchantCategory: req.MerchantCategory,
			PaymentID: req.PaymentID, Now: now, Funding: -1}
		if reason := u.risk.Precheck(&in); reason != "" {
			dec.Reason = reason
			return nil
		}
		if u.funding != nil {
			if in.Funding, err = u.funding.Available(ctx); err != nil {
				return err
			}
		}
		reason, entry, err := u.risk.Admit(ctx, &in)
		if err != nil {
			return err
		}
		if reason != "" {
			dec.Reason = reason
			return nil
		}
		ok, err := u.repo.Hold(ctx, req.UserID, req.Amount, now)
		if err != nil {
			return err
		}
		if !ok {
			// Lost a race for the last of the credit (or a concurrent freeze): un-count it.
			u.risk.Forget(ctx, entry)
			dec.Reason = DeclineInsufficientCredit
			if cur, gerr := u.repo.Get(ctx, req.UserID); gerr == nil {
				cur.Compute(now)
				if r := statusDecline(cur); r != "" {
					dec.Reason = r
				}
			}
			return nil
		}
		dec.Approved = true
		return nil
	})
	if err != nil {
		return AuthDecision{}, err
	}
	return dec, nil
}

func (u *LineUseCase) account(ctx context.Context, userID string, amounts []money.Amount, op func(ctx context.Context, now time.Time) (bool, error)) error {
	for _, a := range amounts {
		if a < 0 {
			return ErrInvalidAmount
		}
	}
	return u.tx.InTx(ctx, func(ctx context.Context) error {
		found, err := op(ctx, u.clk.Now())
		if err != nil {
			return err
		}
		if !found {
			return ErrLineNotFound
		}
		return nil
	})
}

// CaptureHold moves captured (≤ held) from held to outstanding and releases held−captured.
func (u *LineUseCase) CaptureHold(ctx context.Context, userID string, held, captured money.Amount) error {
	if captured > held {
		return ErrInvalidAmount
	}
	return u.account(ctx, userID, []money.Amount{held, captured}, func(ctx context.Context, now time.Time) (bool, error) {
		return u.repo.Capture(ctx, userID, held, captured, now)
	})
}

// ReleaseHold gives back an authorization hold (cancel, auto-expire); never below zero.
func (u *LineUseCase) ReleaseHold(ctx context.Context, userID string, amount money.Amount) error {
	return u.account(ctx, userID, []money.Amount{amount}, func(ctx context.Context, now time.Time) (bool, error) {
		return u.repo.ReleaseHold(ctx, userID, amount, now)
	})
}

// ReleaseOutstanding frees limit (refund, principal repaid, charge-off); never below zero.
func (u *LineUseCase) ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount) error {
	return u.account(ctx, userID, []money.Amount{amount}, func(ctx context.Context, now time.Time) (bool, error) {
		return u.repo.ReleaseOutstanding(ctx, userID, amount, now)
	})
}

// AddOutstanding adds principal without a limit check (rarely needed).
func (u *LineUseCase) AddOutstanding(ctx context.Context, userID string, amount money.Amount) error {
	return u.account(ctx, userID, []money.Amount{amount}, func(ctx context.Context, now time.Time) (bool, error) {
		return u.repo.AddOutstanding(ctx, userID, amount, now)
	})
}

// SetStatus records billing's view of the account: "overdue", "active" or "closed"
// (charge-off). "frozen" sets the ops freeze flag. Setting "active" never lifts a freeze
// (only Unfreeze does); a closed line stays closed. Each change is audited with the
// actor of ctx ("system" for jobs); setting the current status again records nothing.
func (u *LineUseCase) SetStatus(ctx context.Context, userID, status, reason string) error {
	switch status {
	case StatusActive, StatusOverdue, StatusClosed, StatusFrozen:
	default:
		return ErrInvalidStatus
	}
	return u.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := u.repo.GetForUpdate(ctx, userID)
		if err != nil {
			return err
		}
		now := u.clk.Now()
		l.Compute(now)
		old := l.Status
		switch {
		case l.AccountStatus == StatusClosed:
			return nil
		case status == StatusFrozen:
			if l.Frozen {
				return nil
			}
			err = u.repo.SetFrozen(ctx, userID, true, now)
			l.Frozen = true
		default:
			if l.AccountStatus == status {
				return nil
			}
			err = u.repo.SetAccountStatus(ctx, userID, status, now)
			l.AccountStatus = status
		}
		if err != nil {
			return err
		}
		l.Compute(now)
		return u.audit(ctx, l, EventStatus, reason, l.Limit, old, now)
	})
}

func (u *LineUseCase) audit(ctx context.Context, l *Line, kind, reason string, oldLimit money.Amount, oldStatus string, now time.Time) error {
	return u.repo.AddEvent(ctx, &LineEvent{
		ID: u.newID(), UserID: l.UserID, Kind: kind, Reason: reason, Actor: auth.Actor(ctx),
		OldLimit: oldLimit, NewLimit: l.Limit, TempLimit: l.TempLimit, TempLimitExpiresAt: l.TempLimitExpiresAt,
		OldStatus: oldStatus, NewStatus: l.Status, Score: l.Score, At: now,
	})
}

// Adjustment is an ops change of limits; nil fields stay as they are.
type Adjustment struct {
	Limit     *money.Amount
	TempLimit *money.Amount // 0 clears the temporary limit
	// TempLimitExpiresAt is required with a non-zero TempLimit and must be in the future.
	TempLimitExpiresAt time.Time
	Reason             string
}

// Adjust changes the permanent and/or temporary limit and audits it. Limits must lie in
// the policy's [MinLimit, MaxLimit]; a limit below outstanding+held is allowed (available
// becomes zero until principal is repaid).
func (u *LineUseCase) Adjust(ctx context.Context, userID string, a Adjustment) (*Line, error) {
	now := u.clk.Now()
	if a.Limit == nil && a.TempLimit == nil {
		return nil, apierr.Invalid("limit", "limit or temp_limit is required")
	}
	if a.Limit != nil && (*a.Limit < u.policy.MinLimit || *a.Limit > u.policy.MaxLimit) {
		return nil, apierr.Invalid("limit", "must be between "+u.policy.MinLimit.String()+" and "+u.policy.MaxLimit.String())
	}
	if a.TempLimit != nil && *a.TempLimit != 0 {
		if *a.TempLimit < u.policy.MinLimit || *a.TempLimit > u.policy.MaxLimit {
			return nil, apierr.Invalid("temp_limit", "must be 0.00 (clear) or between "+u.policy.MinLimit.String()+" and "+u.policy.MaxLimit.String())
		}
		if a.TempLimitExpiresAt.IsZero() {
			return nil, apierr.Invalid("temp_limit_expires", "is required with temp_limit")
		}
		if !a.TempLimitExpiresAt.After(now) {
			return nil, apierr.Invalid("temp_limit_expires", "must be in the future")
		}
	}
	if a.Reason == "" {
		return nil, apierr.Invalid("reason", "is required")
	}
	var out *Line
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := u.repo.GetForUpdate(ctx, userID)
		if err != nil {
			return err
		}
		if l.AccountStatus == StatusClosed {
			return ErrLineClosed
		}
		l.Compute(now)
		oldLimit, oldStatus := l.Limit, l.Status
		if a.Limit != nil {
			l.Limit = *a.Limit
			if err := u.repo.SetLimitScore(ctx, userID, l.Limit, l.Score, now); err != nil {
				return err
			}
		}
		if a.TempLimit != nil {
			l.TempLimit, l.TempLimitExpiresAt = *a.TempLimit, a.TempLimitExpiresAt
			if *a.TempLimit == 0 {
				l.TempLimitExpiresAt = time.Time{}
			}
			if err := u.repo.SetTempLimit(ctx, userID, l.TempLimit, l.TempLimitExpiresAt, now); err != nil {
				return err
			}
		}
		l.UpdatedAt = now
		l.Compute(now)
		out = l
		return u.audit(ctx, l, EventAdjust, a.Reason, oldLimit, oldStatus, now)
	})
	return out, err
}

// Freeze stops new authorizations (ops); existing holds may still be captured.
func (u *LineUseCase) Freeze(ctx context.Context, userID, reason string) (*Line, error) {
	return u.setFrozen(ctx, userID, reason, true)
}

// Unfreeze lifts an ops freeze.
func (u *LineUseCase) Unfreeze(ctx context.Context, userID, reason string) (*Line, error) {
	return u.setFrozen(ctx, userID, reason, false)
}

func (u *LineUseCase) setFrozen(ctx context.Context, userID, reason string, frozen bool) (*Line, error) {
	if reason == "" {
		return nil, apierr.Invalid("reason", "is required")
	}
	var out *Line
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		l, err := u.repo.GetForUpdate(ctx, userID)
		if err != nil {
			return err
		}
		switch {
		case l.AccountStatus == StatusClosed:
			return ErrLineClosed
		case frozen && l.Frozen:
			return ErrLineFrozen
		case !frozen && !l.Frozen:
			return ErrLineNotFrozen
		}
		now := u.clk.Now()
		l.Compute(now)
		old := l.Status
		if err := u.repo.SetFrozen(ctx, userID, frozen, now); err != nil {
			return err
		}
		l.Frozen, l.UpdatedAt = frozen, now
		l.Compute(now)
		out = l
		kind := EventFreeze
		if !frozen {
			kind = EventUnfreeze
		}
		return u.audit(ctx, l, kind, reason, l.Limit, old, now)
	})
	return out, err
}

// Events lists a line's audit trail newest first (ErrLineNotFound when there is no line).
func (u *LineUseCase) Events(ctx context.Context, userID string, beforeID int64, limit int) ([]LineEvent, error) {
	if _, err := u.repo.Get(ctx, userID); err != nil {
		return nil, err
	}
	return u.repo.Events(ctx, userID, beforeID, limit)
}

// fundingAvailable asks the funding source; no source means unlimited.
func (u *LineUseCase) fundingAvailable(ctx context.Context) (money.Amount, error) {
	if u.funding == nil {
		return money.MaxAmount, nil
	}
	return u.funding.Available(ctx)
}

// open creates a line or re-scores an existing one (applications).
func (u *LineUseCase) openOrRescore(ctx context.Context, existing *Line, userID string, limit money.Amount, score int, now time.Time) (*Line, error) {
	if existing == nil {
		l := &Line{UserID: userID, AccountStatus: StatusActive, Score: score, Limit: limit, OpenedAt: now, UpdatedAt: now}
		if err := u.repo.Create(ctx, l); err != nil {
			return nil, err
		}
		l.Compute(now)
		return l, u.audit(ctx, l, EventOpen, "application approved", 0, "", now)
	}
	l := existing
	l.Compute(now)
	oldLimit, oldStatus := l.Limit, l.Status
	if err := u.repo.SetLimitScore(ctx, userID, limit, score, now); err != nil {
		return nil, err
	}
	l.Limit, l.Score, l.UpdatedAt = limit, score, now
	l.Compute(now)
	return l, u.audit(ctx, l, EventRescore, "application re-scored", oldLimit, oldStatus, now)
}
