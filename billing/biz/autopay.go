package biz

import (
	"context"
	"fmt"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Autopay collection statuses.
const (
	AutopayPending   = "pending"
	AutopaySucceeded = "succeeded"
	AutopayFailed    = "failed"
	AutopaySkipped   = "skipped"
)

// AutopayItem is one statement to collect on its due date.
type AutopayItem struct {
	UserID      string
	StatementID int64
	DueDate     clock.Date
}

// SetAutopay turns autopay on or off.
func (uc *BillingUseCase) SetAutopay(ctx context.Context, userID string, enabled bool) error {
	return uc.repo.SetAutopay(ctx, userID, enabled, uc.clock.Now())
}

// Autopay reads the setting.
func (uc *BillingUseCase) Autopay(ctx context.Context, userID string) (bool, error) {
	return uc.repo.Autopay(ctx, userID)
}

// collectAutopay collects what one statement's user owes on billed items. The
// (user, statement, due date) row is claimed first and the channel is asked with a ref
// derived from it, so a retry or a re-run never collects twice.
func (uc *BillingUseCase) collectAutopay(ctx context.Context, it AutopayItem) error {
	st, err := uc.loadState(ctx, it.UserID, false)
	if err != nil {
		return err
	}
	amount := st.billedOwed()
	now := uc.clock.Now()
	status, claimed, err := uc.repo.ClaimAutopay(ctx, it, amount, now)
	if err != nil {
		return err
	}
	if !claimed && (status == AutopaySucceeded || status == AutopaySkipped) {
		return nil
	}
	if amount <= 0 {
		return uc.repo.FinishAutopay(ctx, it, AutopaySkipped, 0, 0, "", now)
	}
	ref := fmt.Sprintf("autopay:%d:%d", it.StatementID, it.DueDate.Int())
	attempts := max(uc.cfg.AutopayAttempts, 1)
	reason := ""
	for attempt := 1; attempt <= attempts; attempt++ {
		ok, why, err := uc.channel.Collect(ctx, ref, it.UserID, amount, attempt)
		if err != nil {
			reason = "channel error"
			continue
		}
		if !ok {
			reason = why
			continue
		}
		return uc.tx.InTx(ctx, func(ctx context.Context) error {
			rep, err := uc.repay(ctx, RepayRequest{UserID: it.UserID, Amount: amount, Target: TargetDue, ChannelRef: ref}, SourceAutopay)
			if err != nil {
				return err
			}
			return uc.repo.FinishAutopay(ctx, it, AutopaySucceeded, rep.ID, attempt, "", time.Now())
		})
	}
	uc.log.WithContext(ctx).Warnw("msg", "autopay collection failed", "statement_id", it.StatementID, "reason", reason)
	return uc.repo.FinishAutopay(ctx, it, AutopayFailed, 0, attempts, reason, now)
}

var _ = money.Amount(0)
