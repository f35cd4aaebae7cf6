package data_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
)

// TestConcurrentPosts has 32 goroutines post 10,000 entries that all touch cash, a
// handful of merchant payables and merchant-discount income; every tenth runs inside a
// caller transaction with a second entry, half the goroutines commit alone (no group
// commit), and every thirteenth entry is posted twice at the same moment. No error may
// surface, a replay returns the original, and every balance must come out exact.
func TestConcurrentPosts(t *testing.T) {
	const (
		workers = 32
		total   = 10_000
	)
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		if testing.Short() && d.Dialect.Name() == "sqlite" {
			t.Skip("short")
		}
		l := newLedger(d)
		alone := newLedger(d, biz.WithoutGroupCommit())
		ctx := context.Background()
		var (
			next       atomic.Int64
			wg         sync.WaitGroup
			errs       = make(chan error, workers)
			mu         sync.Mutex
			receivable = map[string]money.Amount{}
			payable    = map[string]money.Amount{}
			cash, disc money.Amount
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := l
				if w%2 == 1 {
					l = alone
				}
				for {
					i := next.Add(1)
					if i > total {
						return
					}
					user := fmt.Sprintf("u%d", i%97)
					shop := fmt.Sprintf("m%d", i%5)
					amt := 100 + i%1000
					fee := amt * 3 / 100 // merchant discount, floor; the merchant gets the remainder
					capture := entry(fmt.Sprintf("payment:%d:capture", i), day1,
						dr(biz.AccountReceivablePrincipal, user, amt),
						cr(biz.AccountMerchantPayable, shop, amt-fee),
						cr(biz.AccountIncomeMerchantDiscount, "", fee))
					settle := entry(fmt.Sprintf("payment:%d:settle", i), day1,
						dr(biz.AccountMerchantPayable, shop, amt-fee),
						cr(biz.AccountCash, "", amt-fee))
					var err error
					if i%10 == 0 {
						err = d.InTx(ctx, func(ctx context.Context) error {
							if _, err := l.Post(ctx, capture); err != nil {
								return err
							}
							_, err := l.Post(ctx, settle)
							return err
						})
					} else if i%13 == 0 {
						var twin biz.Entry
						var twinErr error
						done := make(chan struct{})
						go func() {
							defer close(done)
							twin, twinErr = alone.Post(ctx, capture)
						}()
						var got biz.Entry
						got, err = l.Post(ctx, capture)
						<-done
						if err == nil && twinErr == nil && got.ID != twin.ID {
							err = fmt.Errorf("concurrent replay: ids %d and %d", got.ID, twin.ID)
						} else if err == nil {
							err = twinErr
						}
					} else {
						_, err = l.Post(ctx, capture)
					}
					if err != nil {
						errs <- fmt.Errorf("worker %d entry %d: %w", w, i, err)
						return
					}
					mu.Lock()
					receivable[user] += money.Amount(amt)
					disc += money.Amount(fee)
					if i%10 == 0 {
						cash -= money.Amount(amt - fee)
					} else {
						payable[shop] += money.Amount(amt - fee)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			return
		}
		check := func(account, owner string, want money.Amount) {
			t.Helper()
			got, err := l.Balance(ctx, account, owner)
			if err != nil || got != want {
				t.Errorf("balance %s:%s = %v (%v), want %v", account, owner, got, err, want)
			}
		}
		for u, v := range receivable {
			check(biz.AccountReceivablePrincipal, u, v)
		}
		var payables money.Amount
		for m, v := range payable {
			check(biz.AccountMerchantPayable, m, v)
			payables += v
		}
		check(biz.AccountCash, "", cash)
		check(biz.AccountIncomeMerchantDiscount, "", disc)
		if s, err := l.SumByCode(ctx, biz.AccountMerchantPayable); err != nil || s != payables {
			t.Errorf("SumByCode(merchant.payable) = %v (%v), want %v", s, err, payables)
		}
		var n int
		if err := d.SQL().QueryRow(`SELECT COUNT(*) FROM ledger_entry`).Scan(&n); err != nil || n != total+total/10 {
			t.Errorf("entries = %d (%v), want %d", n, err, total+total/10)
		}
		checkInvariants(t, d)
	})
}

// TestLongTransactionsShareOneShard: the entries posted inside one caller transaction use
// one balance row of each hot account (a job chunk locks one row, not all sixteen in the
// order its entries come), and four such transactions in parallel, posting to two hot
// accounts in opposite orders, all commit with exact balances.
func TestLongTransactionsShareOneShard(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		shardsOf := func(account string) int {
			var n int
			if err := d.SQL().QueryRowContext(ctx, "SELECT COUNT(DISTINCT shard) FROM ledger_balance WHERE account = ?", account).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		err := d.InTx(ctx, func(ctx context.Context) error {
			for i := 0; i < 40; i++ {
				if _, err := l.Post(ctx, entry(fmt.Sprintf("one-%d", i), day1, dr(biz.AccountReceivableInterest, fmt.Sprintf("u%d", i), 100),
					cr(biz.AccountIncomeInterest, "", 100))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := shardsOf(biz.AccountIncomeInterest); n != 1 {
			t.Fatalf("40 entries of one transaction spread over %d shards of %s, want 1", n, biz.AccountIncomeInterest)
		}

		var wg sync.WaitGroup
		errs := make(chan error, 4*3)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for chunk := 0; chunk < 3; chunk++ {
					errs <- d.InTx(ctx, func(ctx context.Context) error {
						for i := 0; i < 50; i++ {
							income := []string{biz.AccountIncomePenalty, biz.AccountIncomeInstallmentFee}[(i+w)%2]
							owner := fmt.Sprintf("w%d-%d-%d", w, chunk, i)
							if _, err := l.Post(ctx, entry("par-"+owner, day1, dr(biz.AccountReceivableFee, owner, 10), cr(income, "", 10))); err != nil {
								return err
							}
						}
						return nil
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var sum money.Amount
		for _, a := range []string{biz.AccountIncomePenalty, biz.AccountIncomeInstallmentFee} {
			b, err := l.Balance(ctx, a, "")
			if err != nil {
				t.Fatal(err)
			}
			sum += b
		}
		if sum != 4*3*50*10 {
			t.Fatalf("income after parallel transactions = %v, want %v", sum, money.Amount(4*3*50*10))
		}
		checkInvariants(t, d)
	})
}
