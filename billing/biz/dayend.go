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

// Subledger is what billing's tables say a user owes, for reconciliation.
type Subledger struct {
	Principal, Interest, Penalty, Fee money.Amount
}

// of is the subledger amount matching a receivable account.
func (s Subledger) of(account string) money.Amount {
	switch account {
	case ledger.AccountReceivablePrincipal:
		return s.Principal
	case ledger.AccountReceivableInterest:
		return s.Interest
	case ledger.AccountReceivablePenalty:
		return s.Penalty
	default:
		return s.Fee
	}
}

// SubledgerBulk is implemented by a repo that sums the subledger of many users at once.
type SubledgerBulk interface {
	Subledgers(ctx context.Context, users []string) (map[string]Subledger, error)
}

// BalancesBulk is implemented by a ledger that reads one account's balances for many
// owners at once.
type BalancesBulk interface {
	Balances(ctx context.Context, account string, owners []string) (map[string]money.Amount, error)
}

// reconcileChunk is how many users one reconciliation step reads.
const reconcileChunk = 500

// Reconcile compares, for every user, outstanding principal, fees, interest and penalty
// in the billing tables with the user's receivable balances in the ledger (set-based,
// a chunk of users per query, when the repo and the ledger support it).
func (uc *BillingUseCase) Reconcile(ctx context.Context, _ clock.Date) ([]ledger.Difference, error) {
	var diffs []ledger.Difference
	after := ""
	for {
		users, err := uc.repo.UsersAfter(ctx, after, reconcileChunk)
		if err != nil {
			return nil, err
		}
		sb, okRepo := uc.repo.(SubledgerBulk)
		bb, okLedger := uc.balances.(BalancesBulk)
		if okRepo && okLedger {
			d, err := uc.reconcileBulk(ctx, users, sb, bb)
			if err != nil {
				return nil, err
			}
			diffs = append(diffs, d...)
			users = nil
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
		if len(users) < reconcileChunk {
			return diffs, nil
		}
		after = users[len(users)-1]
	}
}

// reconcileBulk is Reconcile's check for one chunk of users with four set queries on each
// side.
func (uc *BillingUseCase) reconcileBulk(ctx context.Context, users []string, sb SubledgerBulk, bb BalancesBulk) ([]ledger.Difference, error) {
	subs, err := sb.Subledgers(ctx, users)
	if err != nil {
		return nil, err
	}
	accounts := []string{ledger.AccountReceivablePrincipal, ledger.AccountReceivableInterest, ledger.AccountReceivablePenalty}
	if uc.installments == nil {
		accounts = append(accounts, ledger.AccountReceivableFee)
	}
	var diffs []ledger.Difference
	for _, account := range accounts {
		bals, err := bb.Balances(ctx, account, users)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if sub := subs[u].of(account); bals[u] != sub {
				diffs = append(diffs, ledger.Difference{Check: "billing", Account: account, Owner: u, Ledger: bals[u], Subledger: sub})
			}
		}
	}
	return diffs, nil
}
