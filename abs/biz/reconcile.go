package biz

import (
	"context"

	ledger "github.com/huabei/huabei/billing/ledger/biz"

	"github.com/huabei/huabei/app/clock"
)

// Reconcile checks every sold pool: the outstanding principal of the purchases it owns
// must equal minus the balance of its contra receivable receivable.principal:pool:<id>.
// It compares current balances (the pools' subledger keeps no history).
func (u *AssetCenter) Reconcile(ctx context.Context, _ clock.Date) ([]ledger.Difference, error) {
	pools, err := u.repo.ListPools(ctx, PoolTransferred)
	if err != nil {
		return nil, err
	}
	var diffs []ledger.Difference
	for _, p := range pools {
		out, _, err := u.repo.PoolOutstanding(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		bal, err := u.ledger.Balance(ctx, ledger.AccountReceivablePrincipal, SoldOwner(p.ID))
		if err != nil {
			return nil, err
		}
		if -bal != out {
			diffs = append(diffs, ledger.Difference{Check: "abs.pool_principal", Account: ledger.AccountReceivablePrincipal,
				Owner: SoldOwner(p.ID), Ledger: -bal, Subledger: out})
		}
	}
	return diffs, nil
}
