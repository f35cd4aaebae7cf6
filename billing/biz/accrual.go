package biz

import (
	"context"
	"fmt"

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

// Accrual is one day's interest or penalty accrual of a user.
type Accrual struct {
	UserID string
	Date   clock.Date
	Kind   string
	Base   money.Amount
	Micro  int64
}

// AccrualInput is one user's state for the accrue job, loaded under the account lock.
type AccrualInput struct {
	Account    BillingAccount
	Statements []Statement            // unpaid ones and those dated since the window, oldest first (trimmed to recentStatements)
	Purchases  []BilledPurchase       // single-payment purchases with principal outstanding
	PlanOwed   map[int64]money.Amount // billed installment principal not yet repaid, by statement
}

// AccrualBulkRepo is the set-based side of BillingRepo used by the accrue job.
type AccrualBulkRepo interface {
	// LoadAccrualChunk locks (creating) the users' billing accounts and loads what
	// accrual needs: unpaid statements and those dated on or after since, purchases with
	// principal outstanding and billed plan principal by statement.
	LoadAccrualChunk(ctx context.Context, users []string, since clock.Date) (map[string]*AccrualInput, error)
	// InsertAccruals inserts new accrual rows (a row already there is an error: rows
	// are only written after accrued_through, under the account lock).
	InsertAccruals(ctx context.Context, rows []Accrual) error
	// SaveAccounts writes the accounts' accrual and delinquency fields.
	SaveAccounts(ctx context.Context, accts []BillingAccount) error
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
	done, err := uc.accrueState(ctx, st, through, func(a Accrual) (bool, error) {
		return uc.repo.InsertAccrual(ctx, a.UserID, a.Date, a.Kind, a.Base, a.Micro)
	})
	if err != nil || done {
		return err
	}
	return uc.repo.SaveAccount(ctx, st.acct)
}

// accrueState is accrueUser on a loaded state: insert writes each day's row and reports
// whether it was new. done means the account was accrued through already (nothing to
// save); otherwise the caller saves st.acct.
func (uc *BillingUseCase) accrueState(ctx context.Context, st *userState, through clock.Date, insert func(Accrual) (bool, error)) (done bool, err error) {
	if !st.acct.AccruedThrough.IsZero() && !st.acct.AccruedThrough.Before(through) {
		return true, nil
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
			ok, err := insert(Accrual{UserID: st.acct.UserID, Date: d, Kind: kind, Base: base, Micro: micro})
			if err != nil {
				return false, err
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
	return false, uc.setDelinquency(ctx, st, through, true)
}

// accrueChunk is the accrue job's set-based path for a chunk of users in the caller's
// transaction: one query per kind of input for the whole chunk, the same per-user
// arithmetic as accrueUser, then the new accrual rows and the accounts written in bulk.
// Status changes, overdue statements and charge-offs (rare) are written as they happen.
func (uc *BillingUseCase) accrueChunk(ctx context.Context, users []string, through clock.Date) error {
	bulk, ok := uc.repo.(AccrualBulkRepo)
	if !ok {
		for _, u := range users {
			if err := uc.accrueUser(ctx, u, through); err != nil {
				return err
			}
		}
		return nil
	}
	inputs, err := bulk.LoadAccrualChunk(ctx, users, through.AddMonths(-(recentStatements + 1)))
	if err != nil {
		return err
	}
	_, plans := uc.installments.(PlanPrincipal)
	var rows []Accrual
	var save []BillingAccount
	for _, u := range users {
		in := inputs[u]
		if in == nil {
			return fmt.Errorf("billing: accrue: account of %s not loaded", u)
		}
		st := &userState{acct: in.Account, statements: in.Statements, purchases: in.Purchases, planOwed: map[int64]money.Amount{}}
		if len(st.statements) > recentStatements {
			st.statements = st.statements[len(st.statements)-recentStatements:]
		}
		if plans {
			for _, s := range st.statements {
				if s.Status != StatementPaid && s.InstallmentsDue != 0 && in.PlanOwed[s.ID] > 0 {
					st.planOwed[s.ID] = in.PlanOwed[s.ID]
				}
			}
		}
		done, err := uc.accrueState(ctx, st, through, func(a Accrual) (bool, error) {
			rows = append(rows, a)
			return true, nil
		})
		if err != nil {
			return err
		}
		if !done {
			save = append(save, st.acct)
		}
	}
	if err := bulk.InsertAccruals(ctx, rows); err != nil {
		return err
	}
	return bulk.SaveAccounts(ctx, save)
}

// accruedFen renders micro-fen as fen, rounded half-up.
func accruedFen(micro int64) money.Amount {
	return money.FromFenDecimal(decimal.New(micro, -6), money.HalfUp)
}
