package biz_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
)

// memRepo is an in-memory biz.Repo with a failure switch; its "transaction" is a lock
// plus a copy of the state restored on error.
type memRepo struct {
	mu       sync.Mutex
	entries  map[string]biz.NewEntry
	balances map[[3]string]biz.Totals
	failNext error
	groups   int
}

func newMemRepo() *memRepo {
	return &memRepo{entries: map[string]biz.NewEntry{}, balances: map[[3]string]biz.Totals{}}
}

type txKey struct{}

func (m *memRepo) InTx(ctx context.Context, fn func(context.Context) error) error {
	if ctx.Value(txKey{}) != nil {
		return fn(ctx)
	}
	m.mu.Lock()
	entries := make(map[string]biz.NewEntry, len(m.entries))
	for k, v := range m.entries {
		entries[k] = v
	}
	balances := make(map[[3]string]biz.Totals, len(m.balances))
	for k, v := range m.balances {
		balances[k] = v
	}
	m.mu.Unlock()
	err := fn(context.WithValue(ctx, txKey{}, true))
	if err != nil {
		m.mu.Lock()
		m.entries, m.balances = entries, balances
		m.mu.Unlock()
	}
	return err
}

func (m *memRepo) InTransaction(ctx context.Context) bool { return ctx.Value(txKey{}) != nil }

func (m *memRepo) Append(_ context.Context, e biz.NewEntry) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failNext; err != nil {
		m.failNext = nil
		return false, err
	}
	if _, dup := m.entries[e.Entry.IdempotencyID]; dup {
		return false, nil
	}
	m.entries[e.Entry.IdempotencyID] = e
	for _, d := range e.Deltas {
		k := [3]string{d.Account, d.Owner, string(rune('a' + d.Shard))}
		t := m.balances[k]
		t.Debits += d.Debits
		t.Credits += d.Credits
		m.balances[k] = t
	}
	return true, nil
}

func (m *memRepo) AppendGroup(ctx context.Context, es []biz.NewEntry) (bool, error) {
	m.mu.Lock()
	m.groups++
	seen := map[string]bool{}
	for _, e := range es {
		if _, dup := m.entries[e.Entry.IdempotencyID]; dup || seen[e.Entry.IdempotencyID] {
			m.mu.Unlock()
			return false, nil
		}
		seen[e.Entry.IdempotencyID] = true
	}
	m.mu.Unlock()
	for _, e := range es {
		if _, err := m.Append(ctx, e); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (m *memRepo) EntryByIdempotencyID(_ context.Context, id string) (biz.Entry, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok {
		return biz.Entry{}, "", biz.ErrEntryNotFound
	}
	return e.Entry, e.PostingsHash, nil
}

func (m *memRepo) Balance(_ context.Context, account, owner string) (biz.Totals, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t biz.Totals
	for k, v := range m.balances {
		if k[0] == account && k[1] == owner {
			t.Debits += v.Debits
			t.Credits += v.Credits
		}
	}
	return t, nil
}

func (m *memRepo) Balances(ctx context.Context, account string, owners []string) (map[string]biz.Totals, error) {
	out := map[string]biz.Totals{}
	for _, o := range owners {
		t, _ := m.Balance(ctx, account, o)
		if t != (biz.Totals{}) {
			out[o] = t
		}
	}
	return out, nil
}

func (m *memRepo) SumByCode(_ context.Context, account string) (biz.Totals, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t biz.Totals
	for k, v := range m.balances {
		if k[0] == account {
			t.Debits += v.Debits
			t.Credits += v.Credits
		}
	}
	return t, nil
}

func (m *memRepo) BalanceAsOf(context.Context, string, string, int) (biz.Totals, error) {
	return biz.Totals{}, errors.New("not in the fake")
}

func (m *memRepo) TotalsAsOf(context.Context, int) ([]biz.AccountTotals, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	by := map[string]biz.Totals{}
	for k, v := range m.balances {
		t := by[k[0]]
		t.Debits += v.Debits
		t.Credits += v.Credits
		by[k[0]] = t
	}
	var out []biz.AccountTotals
	for a, t := range by {
		out = append(out, biz.AccountTotals{Account: a, Totals: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out, nil
}

func (m *memRepo) Entries(context.Context, string, string, *biz.EntryCursor, int) ([]biz.Entry, error) {
	return nil, nil
}

func (m *memRepo) SnapshotDay(context.Context, int) (int, error) { return 0, nil }

var day = clock.NewDate(2026, 3, 1)

func quiet() log.Logger { return log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)) }

func p(account, owner string, debit bool, fen int64) biz.Posting {
	return biz.Posting{Account: account, Owner: owner, Debit: debit, Amount: money.Amount(fen)}
}

func TestPostValidation(t *testing.T) {
	ok := []biz.Posting{p(biz.AccountCash, "", true, 10), p(biz.AccountEquityCapital, "", false, 10)}
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b)
	}
	tests := []struct {
		name   string
		mutate func(*biz.Entry)
		want   *kerrors.Error
	}{
		{"valid", func(*biz.Entry) {}, nil},
		{"idempotency id too long", func(e *biz.Entry) { e.IdempotencyID = long(biz.MaxIdempotencyLen + 1) }, biz.ErrInvalidEntry},
		{"no type", func(e *biz.Entry) { e.Type = "" }, biz.ErrInvalidEntry},
		{"description too long", func(e *biz.Entry) { e.Description = long(biz.MaxDescriptionLen + 1) }, biz.ErrInvalidEntry},
		{"too many postings", func(e *biz.Entry) {
			e.Postings = nil
			for range biz.MaxPostings/2 + 1 {
				e.Postings = append(e.Postings, ok...)
			}
		}, biz.ErrInvalidEntry},
		{"owner too long", func(e *biz.Entry) { e.Postings[0].Owner = long(biz.MaxOwnerLen + 1) }, biz.ErrInvalidOwner},
		{"merchant payable needs a merchant", func(e *biz.Entry) { e.Postings[1].Account = biz.AccountMerchantPayable }, biz.ErrInvalidOwner},
		{"credits only", func(e *biz.Entry) { e.Postings[0].Debit = false }, biz.ErrEmptyEntry},
		{"unbalanced", func(e *biz.Entry) { e.Postings[0].Amount = 11 }, biz.ErrUnbalanced},
		{"negative", func(e *biz.Entry) { e.Postings[0].Amount, e.Postings[1].Amount = -10, -10 }, biz.ErrInvalidAmount},
		{"unknown account", func(e *biz.Entry) { e.Postings[0].Account = "cash " }, biz.ErrUnknownAccount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := newMemRepo()
			l := biz.NewLedger(repo, repo, quiet())
			e := biz.Entry{IdempotencyID: "x", Type: "t", BusinessDate: day, Postings: append([]biz.Posting(nil), ok...)}
			tc.mutate(&e)
			_, err := l.Post(context.Background(), e)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if len(repo.entries) != 0 {
				t.Fatal("a rejected entry reached the repository")
			}
		})
	}
}

func TestNewChart(t *testing.T) {
	if _, err := biz.NewChart([]biz.AccountDef{{Code: "x", Type: biz.TypeAsset, Floor: true, Sharded: true}}); err == nil {
		t.Error("a sharded floor account was accepted")
	}
	if _, err := biz.NewChart([]biz.AccountDef{{Code: "x", Type: "equityish"}}); err == nil {
		t.Error("an unknown type was accepted")
	}
	c, err := biz.NewChart(biz.DefaultChart)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{biz.AccountCash, biz.AccountMerchantPayable, biz.AccountIncomeInterest} {
		if d, _ := c.Lookup(code); !d.Sharded {
			t.Errorf("%s should be sharded", code)
		}
	}
	for _, code := range []string{biz.AccountReceivablePrincipal, biz.AccountCustomerCreditBalance} {
		if d, _ := c.Lookup(code); d.Sharded || !d.OwnerRequired {
			t.Errorf("%s should be one row per owner", code)
		}
	}
}

// TestGroupCommit: concurrent Posts outside a transaction share groups; a group with a
// repeated idempotency id falls back to lone posts, which give replay and conflict
// results as usual; a failing database call reaches only its own caller.
func TestGroupCommit(t *testing.T) {
	repo := newMemRepo()
	l := biz.NewLedger(repo, repo, quiet())
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every id twice, same postings: one creates, the other replays.
			key := "k" + string(rune('A'+i/2%26)) + string(rune('a'+i/52))
			e, err := l.Post(ctx, biz.Entry{IdempotencyID: key, Type: "t", BusinessDate: day, Postings: []biz.Posting{
				p(biz.AccountCash, "", true, int64(1+i/2)), p(biz.AccountIncomeInterest, "", false, int64(1+i/2)),
			}})
			ids[i], errs[i] = e.ID, err
		}()
	}
	wg.Wait()
	for i := 0; i < n; i += 2 {
		if errs[i] != nil || errs[i+1] != nil || ids[i] != ids[i+1] {
			t.Fatalf("pair %d: ids %d %d errs %v %v", i/2, ids[i], ids[i+1], errs[i], errs[i+1])
		}
	}
	want := money.Amount(0)
	for i := range n / 2 {
		want += money.Amount(1 + i)
	}
	if got, _ := l.Balance(ctx, biz.AccountCash, ""); got != want || len(repo.entries) != n/2 {
		t.Fatalf("cash = %v, want %v; %d entries", got, want, len(repo.entries))
	}
	_, err := l.Post(ctx, biz.Entry{IdempotencyID: "kAa", Type: "t", BusinessDate: day, Postings: []biz.Posting{
		p(biz.AccountCash, "", true, 99), p(biz.AccountIncomeInterest, "", false, 99),
	}})
	if !errors.Is(err, biz.ErrIdempotencyConflict) {
		t.Fatalf("conflicting replay: %v", err)
	}
	boom := errors.New("disk on fire")
	repo.failNext = boom
	l2 := biz.NewLedger(repo, repo, quiet(), biz.WithoutGroupCommit())
	if _, err := l2.Post(ctx, biz.Entry{IdempotencyID: "z", Type: "t", BusinessDate: day, Postings: []biz.Posting{
		p(biz.AccountCash, "", true, 1), p(biz.AccountIncomeInterest, "", false, 1),
	}}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestTrialBalanceReconcilers(t *testing.T) {
	repo := newMemRepo()
	l := biz.NewLedger(repo, repo, quiet())
	ctx := context.Background()
	if _, err := l.Post(ctx, biz.Entry{IdempotencyID: "a", Type: "t", BusinessDate: day, Postings: []biz.Posting{
		p(biz.AccountReceivablePrincipal, "7", true, 500), p(biz.AccountMerchantPayable, "m", false, 500),
	}}); err != nil {
		t.Fatal(err)
	}
	l.RegisterReconciler("principal", biz.ReconcilerFunc(func(context.Context, clock.Date) ([]biz.Difference, error) {
		return []biz.Difference{{Account: biz.AccountReceivablePrincipal, Owner: "7", Ledger: 500, Subledger: 400}}, nil
	}))
	l.RegisterReconciler("sql", biz.ReconcilerFunc(func(context.Context, clock.Date) ([]biz.Difference, error) {
		return nil, errors.New("dial tcp 10.0.0.1:3306: secret dsn")
	}))
	l.RegisterReconciler("domain", biz.ReconcilerFunc(func(context.Context, clock.Date) ([]biz.Difference, error) {
		return nil, biz.ErrInvalidDate
	}))
	rep, err := l.DayEnd(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	tb := rep.TrialBalance
	if !tb.Balanced || tb.Debits != 500 || len(tb.Accounts) != 2 || !rep.Alarm() {
		t.Fatalf("trial balance %+v", tb)
	}
	rc := tb.Reconciliation
	if len(rc.Differences) != 1 || rc.Differences[0].Check != "principal" {
		t.Fatalf("differences %+v", rc.Differences)
	}
	if len(rc.Failures) != 2 || rc.Failures[0].Error != "check could not run; see the server log" || rc.Failures[1].Error != "LEDGER_INVALID_DATE: business date is required" {
		t.Fatalf("failures %+v", rc.Failures)
	}
	if _, err := l.TrialBalance(ctx, clock.Date{}); !errors.Is(err, biz.ErrInvalidDate) {
		t.Fatalf("zero date: %v", err)
	}
}

func TestAccountString(t *testing.T) {
	for _, a := range []biz.Account{{Code: biz.AccountCash}, {Code: biz.AccountReceivablePrincipal, Owner: "123"}, {Code: biz.AccountSPVCollectionsPayable, Owner: "pool:7"}} {
		if got := biz.ParseAccount(a.String()); got != a {
			t.Errorf("ParseAccount(%q) = %+v, want %+v", a.String(), got, a)
		}
	}
}
