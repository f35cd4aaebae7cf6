package data_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
	ledgerdata "github.com/huabei/huabei/billing/ledger/data"
)

var day1 = clock.NewDate(2026, 3, 1)

func newLedger(d *data.Data, opts ...biz.Option) *biz.Ledger {
	return biz.NewLedger(ledgerdata.NewRepo(d), d, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)), opts...)
}

func dr(account, owner string, fen int64) biz.Posting {
	return biz.Posting{Account: account, Owner: owner, Debit: true, Amount: money.Amount(fen)}
}

func cr(account, owner string, fen int64) biz.Posting {
	return biz.Posting{Account: account, Owner: owner, Amount: money.Amount(fen)}
}

func entry(idem string, date clock.Date, ps ...biz.Posting) biz.Entry {
	return biz.Entry{IdempotencyID: idem, Type: "test", Description: "test entry", BusinessDate: date, Postings: ps}
}

// bookState is everything a failed operation must leave untouched.
type bookState struct {
	entries, postings int
	balances          map[string][2]int64
	volume            int64
}

func state(t testing.TB, d *data.Data) bookState {
	t.Helper()
	ctx := context.Background()
	s := bookState{balances: map[string][2]int64{}}
	db := d.SQL()
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entry`).Scan(&s.entries); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_posting`).Scan(&s.postings); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT SUM(debits) FROM ledger_volume`).Scan(&s.volume); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT account, owner, shard, debits, credits FROM ledger_balance`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, o string
		var sh int
		var x, y int64
		if err := rows.Scan(&a, &o, &sh, &x, &y); err != nil {
			t.Fatal(err)
		}
		s.balances[fmt.Sprintf("%s:%s#%d", a, o, sh)] = [2]int64{x, y}
	}
	return s
}

func sameState(t testing.TB, before, after bookState, what string) {
	t.Helper()
	if before.entries != after.entries || before.postings != after.postings || len(before.balances) != len(after.balances) || before.volume != after.volume {
		t.Fatalf("%s changed the book: entries %d→%d postings %d→%d balance rows %d→%d volume %d→%d", what,
			before.entries, after.entries, before.postings, after.postings, len(before.balances), len(after.balances), before.volume, after.volume)
	}
	for k, v := range before.balances {
		if after.balances[k] != v {
			t.Fatalf("%s changed balance %s: %v → %v", what, k, v, after.balances[k])
		}
	}
}

// checkInvariants asserts the ledger's invariants straight from the tables: every entry
// has postings and balances, total debits equal total credits, and every balance (sum of
// its shard rows) equals the sum of its postings.
func checkInvariants(t testing.TB, d *data.Data) {
	t.Helper()
	ctx := context.Background()
	db := d.SQL()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_posting GROUP BY entry_id HAVING SUM(debit) <> SUM(credit) OR MIN(debit + credit) <= 0) t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d entries do not balance", n)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entry e WHERE NOT EXISTS (SELECT 1 FROM ledger_posting p WHERE p.entry_id = e.id)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d entries without postings", n)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_posting p WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE p.entry_id = e.id)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d postings without entry", n)
	}
	var bd, bc int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(debits), 0), COALESCE(SUM(credits), 0) FROM ledger_balance`).Scan(&bd, &bc); err != nil {
		t.Fatal(err)
	}
	if bd != bc {
		t.Fatalf("balances: debits %d != credits %d", bd, bc)
	}
	// The volume rows hold exactly the debits ever posted, each within its bound.
	var vol, maxShard int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(debits), 0), COALESCE(MAX(debits), 0) FROM ledger_volume`).Scan(&vol, &maxShard); err != nil {
		t.Fatal(err)
	}
	if vol != bd || maxShard > int64(biz.MaxVolume/biz.VolumeShards) {
		t.Fatalf("ledger volume %d (largest shard %d) != posted debits %d, or over its bound", vol, maxShard, bd)
	}
	fromPostings := groupTotals(t, d, `SELECT account, owner, SUM(debit), SUM(credit) FROM ledger_posting GROUP BY account, owner`)
	fromBalances := groupTotals(t, d, `SELECT account, owner, SUM(debits), SUM(credits) FROM ledger_balance GROUP BY account, owner`)
	if len(fromPostings) != len(fromBalances) {
		t.Fatalf("accounts with postings %d != accounts with balances %d", len(fromPostings), len(fromBalances))
	}
	for k, v := range fromPostings {
		if fromBalances[k] != v {
			t.Fatalf("account %s: postings %v != balance %v", k, v, fromBalances[k])
		}
	}
}

func groupTotals(t testing.TB, d *data.Data, q string) map[string][2]int64 {
	t.Helper()
	rows, err := d.SQL().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var a, o string
		var x, y int64
		if err := rows.Scan(&a, &o, &x, &y); err != nil {
			t.Fatal(err)
		}
		out[a+":"+o] = [2]int64{x, y}
	}
	return out
}

func sortedPostings(ps []biz.Posting) []biz.Posting {
	out := append([]biz.Posting(nil), ps...)
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}
