package data_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/billing/ledger/biz"
)

// BenchmarkPost posts capture-like entries on MariaDB: 2 postings (receivable against
// merchant payable) or 4 (plus discount income and cash), by 1 or 16 concurrent writers,
// and reports entries/s. Posts outside a transaction share group commits; the
// no-group-commit variants show the cost of one entry per transaction. Users rotate over 10,000 so per-user rows rarely collide, as in
// production; the system accounts are shared by every entry.
func BenchmarkPost(b *testing.B) {
	d := datatest.Open(b, "mysql", false)
	l := newLedger(d)
	alone := newLedger(d, biz.WithoutGroupCommit())
	var seq atomic.Int64
	for _, postings := range []int{2, 4} {
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("postings=%d/writers=%d", postings, writers), func(b *testing.B) {
				benchPost(b, d, l, &seq, postings, writers)
			})
		}
	}
	// Each entry committed by itself, as when Post joins a caller's transaction.
	for _, postings := range []int{2, 4} {
		b.Run(fmt.Sprintf("postings=%d/writers=16/no-group-commit", postings), func(b *testing.B) {
			benchPost(b, d, alone, &seq, postings, 16)
		})
	}
}

func benchEntry(i int64, postings int) biz.Entry {
	user := fmt.Sprintf("u%d", i%10_000)
	shop := fmt.Sprintf("m%d", i%50)
	amt := 100 + i%1000
	idem := fmt.Sprintf("bench:%d", i)
	if postings == 2 {
		return entry(idem, day1, dr(biz.AccountReceivablePrincipal, user, amt), cr(biz.AccountMerchantPayable, shop, amt))
	}
	fee := amt * 3 / 100
	return entry(idem, day1,
		dr(biz.AccountReceivablePrincipal, user, amt), dr(biz.AccountReceivableFee, user, 30),
		cr(biz.AccountMerchantPayable, shop, amt-fee), cr(biz.AccountIncomeMerchantDiscount, "", fee+30))
}

func benchPost(b *testing.B, d *data.Data, l *biz.Ledger, seq *atomic.Int64, postings, writers int) {
	ctx := context.Background()
	var (
		wg    sync.WaitGroup
		left  atomic.Int64
		first atomic.Value
	)
	left.Store(int64(b.N))
	b.ResetTimer()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, err := l.Post(ctx, benchEntry(seq.Add(1), postings)); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := first.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
