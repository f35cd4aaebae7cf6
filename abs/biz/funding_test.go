package biz

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

type countingLedger struct {
	Ledger
	sums    atomic.Int32
	release chan struct{}
}

func (l *countingLedger) SumByCode(ctx context.Context, account string) (money.Amount, error) {
	if l.sums.Add(1) == 1 {
		<-l.release // the first refresh is slow: everyone else arrives meanwhile
	}
	if account == ledger.AccountCash {
		return money.Yuan(1000), nil
	}
	return 0, nil
}

type fundingRepo struct{ PoolRepo }

func (fundingRepo) ListPools(context.Context, string) ([]*Pool, error) { return nil, nil }
func (fundingRepo) OpenHolds(context.Context) (money.Amount, error)    { return money.Yuan(100), nil }

// TestAvailableRefreshesOnce: when the cached funding expires under load, concurrent
// authorizations share one read of the ledger.
func TestAvailableRefreshesOnce(t *testing.T) {
	l := &countingLedger{release: make(chan struct{})}
	u := NewAssetCenter(fundingRepo{}, nil, l, outbox.Discard{}, clock.Real{}, Config{FundingCacheMS: 60000}, nil)
	var wg sync.WaitGroup
	got := make([]money.Amount, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := u.Available(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
	}
	for l.sums.Load() == 0 {
		// wait until the first refresh is in the ledger
	}
	close(l.release)
	wg.Wait()
	perRefresh := int32(5) // Funding sums five accounts
	if n := l.sums.Load(); n != perRefresh {
		t.Fatalf("ledger sums = %d, want %d (one refresh)", n, perRefresh)
	}
	for _, v := range got {
		if v != money.Yuan(900) {
			t.Fatalf("available = %v, want 900.00", v)
		}
	}
}
