package biz

import (
	"context"
	"time"

	ledger "github.com/huabei/huabei/billing/ledger/biz"

	"github.com/huabei/huabei/app/money"
)

// Funding is the money available to lend (DESIGN §7), all from ledger balances except
// open holds (authorizations are not booked in the ledger until capture).
type Funding struct {
	Capital                    money.Amount // equity.capital
	Cash                       money.Amount // Σ cash
	SaleProceeds               money.Amount // Σ proceeds of transferred pools
	Collections                money.Amount // cash − capital − sale proceeds: repayments kept less settlements paid
	MerchantPayables           money.Amount // Σ merchant.payable
	SPVPayables                money.Amount // Σ spv.collections_payable
	OpenHolds                  money.Amount // open authorization holds
	LenderPrincipalOutstanding money.Amount // Σ receivable.principal incl. the pools' contra accounts
	Available                  money.Amount // cash − merchant payables − SPV payables − open holds
}

// Funding computes the funding position.
func (u *AssetCenter) Funding(ctx context.Context) (Funding, error) {
	var f Funding
	var err error
	for _, x := range []struct {
		dst  *money.Amount
		code string
	}{
		{&f.Capital, ledger.AccountEquityCapital}, {&f.Cash, ledger.AccountCash},
		{&f.MerchantPayables, ledger.AccountMerchantPayable}, {&f.SPVPayables, ledger.AccountSPVCollectionsPayable},
		{&f.LenderPrincipalOutstanding, ledger.AccountReceivablePrincipal},
	} {
		if *x.dst, err = u.ledger.SumByCode(ctx, x.code); err != nil {
			return f, err
		}
	}
	pools, err := u.repo.ListPools(ctx, PoolTransferred)
	if err != nil {
		return f, err
	}
	for _, p := range pools {
		f.SaleProceeds += p.Proceeds
	}
	if f.OpenHolds, err = u.repo.OpenHolds(ctx); err != nil {
		return f, err
	}
	f.Collections = f.Cash - f.Capital - f.SaleProceeds
	f.Available = f.Cash - f.MerchantPayables - f.SPVPayables - f.OpenHolds
	return f, nil
}

// Available implements credit's FundingSource: Funding().Available, cached for
// FundingCacheMS (≤ 1 s) so the payment path does not read the ledger on every
// authorization. A sale or remittance in this process drops the cache.
func (u *AssetCenter) Available(ctx context.Context) (money.Amount, error) {
	ttl := time.Duration(u.cfg.FundingCacheMS) * time.Millisecond
	now := time.Now() // cache age is wall time, not business time
	u.mu.Lock()
	if !u.cachedAt.IsZero() && now.Sub(u.cachedAt) < ttl {
		v := u.cached
		u.mu.Unlock()
		return v, nil
	}
	u.mu.Unlock()
	// One refresh at a time: when the cache expires under load, every authorization
	// waiting on it shares one read of the ledger instead of each running the aggregates.
	// The read runs on the caller's transaction on purpose: a second connection could
	// wait for a pool that the waiting authorizations themselves hold.
	v, err, _ := u.refresh.Do("funding", func() (any, error) {
		f, err := u.Funding(ctx)
		if err != nil {
			return money.Amount(0), err
		}
		u.mu.Lock()
		u.cached, u.cachedAt = f.Available, now
		u.mu.Unlock()
		return f.Available, nil
	})
	return v.(money.Amount), err
}

func (u *AssetCenter) invalidateFunding() {
	u.mu.Lock()
	u.cachedAt = time.Time{}
	u.mu.Unlock()
}
