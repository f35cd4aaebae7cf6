package biz

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Accrual kinds.
const (
	AccrualInterest = "interest"
	AccrualPenalty  = "penalty"
)

// AccrueUser brings the user's interest and penalty accrual, DPD and delinquency status
// up to through (inclusive), in its own transaction or the caller's.
func (uc *BillingUseCase) AccrueUser(ctx context.Context, userID string, through clock.Date) error {
	return uc.tx.InTx(ctx, func(ctx context.Context) error { return uc.accrueUser(ctx, userID, through) })
}

// accrueUser accrues each day after accrued_through up to through: the principal billed
// on statements due before that day accrues interest at the daily rate, or penalty
// instead while the account is overdue, at full precision (micro-fen, rounded half-up per
// day only below a millionth of a fen). One accrual row per user and day makes a repeat a
// no-op. Then DPD, bucket, overdue status and charge-off follow.
func (uc *BillingUseCase) accrueUser(ctx context.Context, userID string, through clock.Date) error {
	st, err := uc.loadState(ctx, userID, true)
	if err != nil {
		return err
	}
	if !st.acct.AccruedThrough.IsZero() && !st.acct.AccruedThrough.Before(through) {
		return nil
	}
	start := st.acct.AccruedThrough.AddDays(1)
	if st.acct.AccruedThrough.IsZero() {
		// Nothing accrues before the first due date.
		start = through
		for _, s := range st.statements {
			if s.Status != StatementPaid {
				start = s.DueDate.AddDays(1)
				break
			}
		}
		if start.After(through) {
			start = through
		}
	}
	if st.acct.Status != AccountChargedOff {
		for d := start; !d.After(through); d = d.AddDays(1) {
			base := st.interestBase(d)
			if base <= 0 {
				continue
			}
			kind, rate := AccrualInterest, uc.rates.interest
			if st.overdueOn(d) {
				kind, rate = AccrualPenalty, uc.rates.penalty
			}
			micro := decimal.NewFromInt(int64(base)).Mul(rate).Shift(6).Round(0).IntPart()
			ok, err := uc.repo.InsertAccrual(ctx, userID, d, kind, base, micro)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if kind == AccrualPenalty {
				st.acct.PenaltyMicro += micro
			} else {
				st.acct.InterestMicro += micro
			}
		}
	}
	st.acct.AccruedThrough = through
	return uc.updateDelinquency(ctx, st, through, true)
}

// accruedFen renders micro-fen as fen, rounded half-up.
func accruedFen(micro int64) money.Amount {
	return money.FromFenDecimal(decimal.New(micro, -6), money.HalfUp)
}
