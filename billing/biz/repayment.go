package biz

import (
	"context"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

// Repayment targets and sources.
const (
	TargetDue = "due"
	TargetAll = "all"

	SourceManual        = "manual"
	SourceAutopay       = "autopay"
	SourceCreditBalance = "credit_balance"
)

// Repayment is money received from a shopper (or their credit balance applied) and how
// it was allocated.
type Repayment struct {
	ID              int64
	UserID          string
	Amount          money.Amount
	Target          string
	Source          string
	ChannelRef      string
	ToCreditBalance money.Amount
	ReceivedDate    clock.Date
	ReceivedAt      time.Time
	Allocations     []Allocation
}

// RepayRequest asks to repay amount towards target ("due", "all" or "plan:<id>").
type RepayRequest struct {
	UserID     string
	Amount     money.Amount
	Target     string
	ChannelRef string
}

// ValidTarget reports whether t is a repayment target.
func ValidTarget(t string) bool {
	if t == "" || t == TargetDue || t == TargetAll {
		return true
	}
	_, ok := planTarget(t)
	return ok && strings.HasPrefix(t, "plan:")
}

// Repay takes a repayment in the caller's transaction (the idempotency store's), or its
// own: accrual is brought up to yesterday first, so interest up to the day of payment
// is on the principal as it was.
func (uc *BillingUseCase) Repay(ctx context.Context, r RepayRequest) (Repayment, error) {
	return uc.repay(ctx, r, SourceManual)
}

func (uc *BillingUseCase) repay(ctx context.Context, r RepayRequest, source string) (Repayment, error) {
	if r.Target == "" {
		r.Target = TargetDue
	}
	now := uc.clock.Now()
	today := clock.DateOf(now)
	var out Repayment
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		if err := uc.accrueUser(ctx, r.UserID, today.AddDays(-1)); err != nil {
			return err
		}
		st, err := uc.loadState(ctx, r.UserID, true)
		if err != nil {
			return err
		}
		out, err = uc.allocate(ctx, st, Repayment{ID: ids.New(), UserID: r.UserID, Amount: r.Amount, Target: r.Target,
			Source: source, ChannelRef: r.ChannelRef, ReceivedDate: today, ReceivedAt: now}, today, 0)
		if err != nil {
			return err
		}
		return uc.events.Emit(ctx, repaymentEvent(out))
	})
	return out, err
}

// Owed is what the user owes in total: billed items plus unbilled purchases.
func (uc *BillingUseCase) Owed(ctx context.Context, userID string) (billed, unbilled money.Amount, err error) {
	st, err := uc.loadState(ctx, userID, false)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range st.purchases {
		if p.StatementID == 0 {
			unbilled += p.Outstanding
		}
	}
	return st.billedOwed(), unbilled, nil
}
