package biz

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// DayEnder closes a business date in the ledger (billing/ledger's Ledger.DayEnd).
type DayEnder interface {
	DayEnd(ctx context.Context, date clock.Date) (ledger.DayEndReport, error)
}

// SetDayEnder installs the ledger's day-end (wiring).
func (uc *BillingUseCase) SetDayEnder(d DayEnder) { uc.dayend = d }

// DayEndJob closes date in the ledger: balance snapshot, trial balance and the
// reconcilers (billing's compares each user's outstanding amounts with the ledger).
// Differences are alarms (metric + log) reported by the ledger, not job failures.
func (uc *BillingUseCase) DayEndJob(ctx context.Context, date clock.Date, run JobRun) error {
	if uc.dayend == nil {
		return fmt.Errorf("billing: no ledger day-end wired")
	}
	rep, err := uc.dayend.DayEnd(ctx, date)
	if err != nil {
		return err
	}
	return run.SaveCheckpoint(ctx, "done", rep.SnapshotRows)
}

// Reconcile compares, for every user, outstanding principal, fees, interest and penalty
// in the billing tables with the user's receivable balances in the ledger.
func (uc *BillingUseCase) Reconcile(ctx context.Context, _ clock.Date) ([]ledger.Difference, error) {
	var diffs []ledger.Difference
	after := ""
	for {
		users, err := uc.repo.UsersAfter(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			principal, err := uc.repo.SumPrincipal(ctx, u)
			if err != nil {
				return nil, err
			}
			sts, err := uc.repo.RecentStatements(ctx, u, 1000)
			if err != nil {
				return nil, err
			}
			var interest, penalty, fee money.Amount
			for _, s := range sts {
				interest += s.Interest - s.InterestPaid
				penalty += s.Penalty - s.PenaltyPaid
				fee += s.Fees - s.FeePaid
			}
			checks := []struct {
				account string
				sub     money.Amount
			}{
				{ledger.AccountReceivablePrincipal, principal},
				{ledger.AccountReceivableInterest, interest},
				{ledger.AccountReceivablePenalty, penalty},
			}
			if uc.installments == nil {
				// With an installment engine, unbilled installment fees sit in the
				// receivable too; its own reconciler checks them.
				checks = append(checks, struct {
					account string
					sub     money.Amount
				}{ledger.AccountReceivableFee, fee})
			}
			for _, c := range checks {
				bal, err := uc.balances.Balance(ctx, c.account, u)
				if err != nil {
					return nil, err
				}
				if bal != c.sub {
					diffs = append(diffs, ledger.Difference{Check: "billing", Account: c.account, Owner: u, Ledger: bal, Subledger: c.sub})
				}
			}
		}
		if len(users) < 500 {
			return diffs, nil
		}
		after = users[len(users)-1]
	}
}
