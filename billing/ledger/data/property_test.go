package data_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
)

var errRollback = errors.New("caller rolls back")

// model is what the book must hold: balance by normal side per account:owner.
type model map[[2]string]money.Amount

func (m model) apply(l *biz.Ledger, e biz.Entry) {
	for _, p := range e.Postings {
		def, _ := l.Chart().Lookup(p.Account)
		amt := p.Amount
		if p.Debit != def.DebitNormal() {
			amt = -amt
		}
		m[[2]string{p.Account, p.Owner}] += amt
	}
}

type propertyGen struct {
	rnd    *rand.Rand
	n      int
	posted []biz.Entry
}

var propertyAccounts = [][2]string{
	{biz.AccountCash, ""}, {biz.AccountEquityCapital, ""}, {biz.AccountIncomeMerchantDiscount, ""},
	{biz.AccountIncomeInterest, ""}, {biz.AccountExpenseCreditLoss, ""},
	{biz.AccountMerchantPayable, "m1"}, {biz.AccountMerchantPayable, "m2"},
	{biz.AccountReceivablePrincipal, "u1"}, {biz.AccountReceivablePrincipal, "u2"}, {biz.AccountReceivablePrincipal, "u3"},
	{biz.AccountCustomerCreditBalance, "u1"}, {biz.AccountSPVCollectionsPayable, "p1"},
}

// valid makes a balanced entry of 2 to 5 postings over random accounts.
func (g *propertyGen) valid() biz.Entry {
	g.n++
	k := 2 + g.rnd.IntN(4)
	ps := make([]biz.Posting, k)
	var sum int64
	for i := range k - 1 {
		a := propertyAccounts[g.rnd.IntN(len(propertyAccounts))]
		amt := 1 + g.rnd.Int64N(100_000)
		ps[i] = biz.Posting{Account: a[0], Owner: a[1], Debit: true, Amount: money.Amount(amt)}
		sum += amt
	}
	a := propertyAccounts[g.rnd.IntN(len(propertyAccounts))]
	ps[k-1] = biz.Posting{Account: a[0], Owner: a[1], Amount: money.Amount(sum)}
	g.rnd.Shuffle(k, func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	// Randomly flip sides of whole entry so credits are spread too.
	if g.rnd.IntN(2) == 0 {
		for i := range ps {
			ps[i].Debit = !ps[i].Debit
		}
	}
	return entry(fmt.Sprintf("prop:%d", g.n), day1.AddDays(g.rnd.IntN(5)), ps...)
}

// invalid breaks a valid entry in one of several ways and returns the error expected.
func (g *propertyGen) invalid() (biz.Entry, error) {
	e := g.valid()
	switch g.rnd.IntN(6) {
	case 0:
		e.Postings[0].Amount++
		return e, biz.ErrUnbalanced
	case 1:
		e.Postings[g.rnd.IntN(len(e.Postings))].Amount = 0
		return e, biz.ErrInvalidAmount
	case 2:
		e.Postings[g.rnd.IntN(len(e.Postings))].Amount = -money.Amount(1 + g.rnd.IntN(100))
		return e, biz.ErrInvalidAmount
	case 3:
		e.Postings[g.rnd.IntN(len(e.Postings))].Account = "suspense"
		return e, biz.ErrUnknownAccount
	case 4:
		e.Postings = nil
		return e, biz.ErrEmptyEntry
	default:
		if len(g.posted) == 0 {
			e.Postings[0].Amount++
			return e, biz.ErrUnbalanced
		}
		e.IdempotencyID = g.posted[g.rnd.IntN(len(g.posted))].IdempotencyID
		return e, biz.ErrIdempotencyConflict
	}
}

// TestLedgerProperty runs random sequences of valid entries, replays, invalid entries and
// rolled-back transactions, and checks the invariants after every step.
func TestLedgerProperty(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		for seed := uint64(1); seed <= 2; seed++ {
			// seed 2 runs against a small volume bound, so the book fills up mid-run.
			runProperty(t, d, seed, 250, map[uint64]money.Amount{2: 16 * 1_500_000}[seed])
			// Start the next seed on an empty book: its model starts from zero.
			for _, stmt := range []string{"DELETE FROM ledger_entry", "DELETE FROM ledger_posting", "DELETE FROM ledger_balance", "UPDATE ledger_volume SET debits = 0"} {
				if _, err := d.SQL().Exec(stmt); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// FuzzLedgerSequence is the property test driven by the fuzzer's seed, on SQLite
// (go test -fuzz FuzzLedgerSequence ./billing/ledger/data/).
func FuzzLedgerSequence(f *testing.F) {
	for _, seed := range []uint64{3, 4, 5} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		runProperty(t, openSQLite(t), seed, 60, 16*money.Amount(1_000_000+seed%2_000_000))
	})
}

// runProperty posts a random sequence; maxVolume > 0 bounds the ledger's volume (0: the
// default MaxVolume), and an entry refused for capacity must change nothing.
func runProperty(t *testing.T, d *data.Data, seed uint64, steps int, maxVolume money.Amount) {
	t.Helper()
	var opts []biz.Option
	if maxVolume > 0 {
		opts = append(opts, biz.WithMaxVolume(maxVolume))
	}
	l := newLedger(d, opts...)
	refused := 0
	ctx := context.Background()
	g := &propertyGen{rnd: rand.New(rand.NewPCG(seed, 99)), n: int(seed%1000) * 1_000_000}
	want := model{}
	for step := range steps {
		before := state(t, d)
		what := ""
		switch op := g.rnd.IntN(10); {
		case op < 4: // valid entry
			what = "valid entry"
			e := g.valid()
			_, err := l.Post(ctx, e)
			if maxVolume > 0 && errors.Is(err, biz.ErrCapacityExceeded) {
				refused++
				sameState(t, before, state(t, d), "entry refused for capacity")
				break
			}
			if err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			want.apply(l, e)
			g.posted = append(g.posted, e)
		case op < 5 && g.rnd.IntN(4) == 0: // an absurd amount repeated: refused whole, nothing written
			what = "maximal amounts"
			huge := entry(fmt.Sprintf("huge:%d:%d", seed, step), day1,
				dr(biz.AccountCustomerCreditBalance, "u1", int64(money.MaxAmount)), cr(biz.AccountCash, "", int64(money.MaxAmount)))
			for i := range 64 {
				huge.Postings = append(huge.Postings[:0], dr(biz.AccountCash, "", int64(money.MaxAmount)), cr(biz.AccountCustomerCreditBalance, "u1", int64(money.MaxAmount)))
				huge.IdempotencyID = fmt.Sprintf("huge:%d:%d:%d", seed, step, i)
				if _, err := l.Post(ctx, huge); err == nil {
					if maxVolume > 0 {
						t.Fatalf("seed %d step %d: %s of %v accepted past a volume bound of %v", seed, step, huge.IdempotencyID, money.MaxAmount, maxVolume)
					}
					want.apply(l, huge)
					g.posted = append(g.posted, huge)
				} else if !errors.Is(err, biz.ErrCapacityExceeded) {
					t.Fatalf("seed %d step %d: maximal amount: %v", seed, step, err)
				}
			}
			if maxVolume > 0 {
				sameState(t, before, state(t, d), what)
			}
		case op < 5 && len(g.posted) > 0: // replay, postings shuffled
			what = "replay"
			e := g.posted[g.rnd.IntN(len(g.posted))]
			e.Postings = append([]biz.Posting(nil), e.Postings...)
			g.rnd.Shuffle(len(e.Postings), func(i, j int) { e.Postings[i], e.Postings[j] = e.Postings[j], e.Postings[i] })
			if _, err := l.Post(ctx, e); err != nil {
				t.Fatalf("seed %d step %d replay: %v", seed, step, err)
			}
			sameState(t, before, state(t, d), what)
		case op < 7: // invalid entry, alone or after a valid one in the same transaction
			what = "invalid entry"
			bad, wantErr := g.invalid()
			err := d.InTx(ctx, func(ctx context.Context) error {
				if g.rnd.IntN(2) == 0 {
					if _, err := l.Post(ctx, g.valid()); err != nil {
						return err
					}
				}
				_, err := l.Post(ctx, bad)
				return err
			})
			if errors.Is(err, biz.ErrCapacityExceeded) {
				refused++
			}
			if !errors.Is(err, wantErr) && !(maxVolume > 0 && errors.Is(err, biz.ErrCapacityExceeded)) {
				t.Fatalf("seed %d step %d: err = %v, want %v", seed, step, err, wantErr)
			}
			sameState(t, before, state(t, d), what)
		default: // valid entries in a transaction the caller rolls back
			what = "rolled-back transaction"
			err := d.InTx(ctx, func(ctx context.Context) error {
				for range 1 + g.rnd.IntN(3) {
					if _, err := l.Post(ctx, g.valid()); err != nil {
						return err
					}
				}
				return errRollback
			})
			if errors.Is(err, biz.ErrCapacityExceeded) {
				refused++
			}
			if !errors.Is(err, errRollback) && !(maxVolume > 0 && errors.Is(err, biz.ErrCapacityExceeded)) {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			sameState(t, before, state(t, d), what)
		}
		checkInvariants(t, d)
		for k, v := range want {
			got, err := l.Balance(ctx, k[0], k[1])
			if err != nil || got != v {
				t.Fatalf("seed %d step %d (%s): balance %s:%s = %v (%v), want %v", seed, step, what, k[0], k[1], got, err, v)
			}
		}
	}
	tb, err := l.TrialBalance(ctx, day1.AddDays(10))
	if err != nil || !tb.Balanced {
		t.Fatalf("trial balance: %+v %v", tb, err)
	}
	if maxVolume > 0 && maxVolume < 16*2_000_000 && steps >= 250 && refused == 0 {
		t.Fatalf("seed %d: the volume bound %v never refused an entry: the check is not exercised", seed, maxVolume)
	}
}

// openSQLite opens a fresh SQLite book in a directory whose name has no '#': t.TempDir
// of a fuzz seed ("seed#0") would cut the file: URI short and share one file.
func openSQLite(t *testing.T) *data.Data {
	t.Helper()
	dir, err := os.MkdirTemp("", "ledgerfuzz")
	if err != nil {
		t.Fatal(err)
	}
	d, cleanup, err := data.Open(context.Background(), data.Options{SQLitePath: filepath.Join(dir, "test.db"), Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cleanup()
		_ = os.RemoveAll(dir)
	})
	return d
}
