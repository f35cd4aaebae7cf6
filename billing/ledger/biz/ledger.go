package biz

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

// Transactor runs fn in one database transaction carried by ctx; nested calls join the
// outer one (satisfied by *data.Data).
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Totals are the debit and credit sums of an account (or a set of them).
type Totals struct {
	Debits  money.Amount
	Credits money.Amount
}

// AccountTotals are the totals of one account code over all owners.
type AccountTotals struct {
	Account string
	Totals
}

// EntryCursor is a position in an account's history: entries are ordered by business
// date, then id.
type EntryCursor struct {
	BusinessDate int
	EntryID      int64
}

// NewEntry is what Repo.Append stores.
type NewEntry struct {
	Entry        Entry
	PostingsHash string
	Deltas       []BalanceDelta
	// Volume is the entry's total debits (= its total credits); the repository adds it to
	// one volume shard, refusing the entry when that shard would pass VolumeLimit.
	Volume      money.Amount
	VolumeLimit money.Amount
}

// VolumeShards is how many rows the ledger's running volume spreads over (one per
// transaction sequence modulo VolumeShards), so posting transactions rarely share one.
const VolumeShards = 16

// MaxVolume bounds the sum of all debits ever posted (10^16 yuan). Every balance row's
// debits and credits, every account code's sums, the trial balance's totals and any sum
// of a few signed balances (funding) are at most 2 × MaxVolume, far inside int64 on both
// engines (MariaDB BIGINT; SQLite silently turns an overflowing integer into a float).
// Each of the VolumeShards rows holds at most MaxVolume / VolumeShards.
const MaxVolume money.Amount = 1_000_000_000_000_000_000

// TxSharder is implemented by a Repo that can pick a shard for the transaction open in
// ctx (ok=false when there is none).
type TxSharder interface {
	TxShard(ctx context.Context) (shard int, ok bool)
}

// Repo stores the ledger. Every method runs in the transaction carried by ctx, if any.
type Repo interface {
	// Append inserts the entry, its postings and its balance deltas, and adds its Volume
	// to one volume shard. When an entry with the same idempotency id exists it writes
	// nothing and returns created=false. A Floor delta that would go below zero fails with
	// ErrBalanceBelowFloor, a volume shard that would pass VolumeLimit with
	// ErrCapacityExceeded; either leaves nothing of the entry behind.
	Append(ctx context.Context, e NewEntry) (created bool, err error)
	// EntryByIdempotencyID loads an entry with its postings and postings hash, reading the
	// latest committed row (a locking read), or returns ErrEntryNotFound.
	EntryByIdempotencyID(ctx context.Context, idempotencyID string) (Entry, string, error)
	// Balance sums the balance rows of one account and owner.
	Balance(ctx context.Context, account, owner string) (Totals, error)
	// BalanceAsOf sums the postings of one account and owner dated on or before date.
	BalanceAsOf(ctx context.Context, account, owner string, date int) (Totals, error)
	// Balances sums the balance rows of one account for each of the owners (an owner
	// without rows is absent from the result).
	Balances(ctx context.Context, account string, owners []string) (map[string]Totals, error)
	// SumByCode sums the balance rows of an account code over all owners.
	SumByCode(ctx context.Context, account string) (Totals, error)
	// TotalsAsOf returns per account code the sums of postings dated on or before date.
	TotalsAsOf(ctx context.Context, date int) ([]AccountTotals, error)
	// Entries returns up to limit entries (with all their postings) that touch the
	// account and owner, after the cursor (nil: from the start).
	Entries(ctx context.Context, account, owner string, after *EntryCursor, limit int) ([]Entry, error)
	// AppendGroup inserts several entries with their postings and balance deltas (none
	// with a Floor delta) in one go, adding their volumes to one shard (ErrCapacityExceeded
	// past VolumeLimit). When any of their idempotency ids exists already or
	// repeats within the group it writes nothing and returns written=false.
	AppendGroup(ctx context.Context, es []NewEntry) (written bool, err error)
	// InTransaction reports whether ctx carries an open transaction.
	InTransaction(ctx context.Context) bool
	// SnapshotDay writes the closing totals per account and owner as of date (replacing
	// a previous snapshot of that date) and returns how many rows it wrote.
	SnapshotDay(ctx context.Context, date int) (int, error)
}

// Option configures a Ledger.
type Option func(*options)

type options struct {
	accounts   []AccountDef
	now        func() time.Time
	noGrouping bool
	maxVolume  money.Amount
}

// WithMaxVolume lowers the ledger's total volume bound below MaxVolume (tests reach it
// without posting 10^16 yuan).
func WithMaxVolume(v money.Amount) Option {
	return func(o *options) { o.maxVolume = min(v, MaxVolume) }
}

// WithAccounts adds accounts to the chart or replaces the definitions of existing codes
// (for example to give an account a Floor).
func WithAccounts(defs ...AccountDef) Option {
	return func(o *options) { o.accounts = append(o.accounts, defs...) }
}

// WithoutGroupCommit makes every Post outside a transaction commit alone (tests).
func WithoutGroupCommit() Option { return func(o *options) { o.noGrouping = true } }

// WithNow sets the clock that stamps CreatedAt (tests).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Ledger is the general-ledger use case.
type Ledger struct {
	repo  Repo
	tx    Transactor
	log   *log.Helper
	chart *Chart
	now   func() time.Time

	mu          sync.RWMutex
	reconcilers []namedReconciler

	grouping bool
	group    groupCommitter
	// shardVolume bounds one volume shard: MaxVolume / VolumeShards.
	shardVolume money.Amount
}

// NewLedger builds the ledger on the default chart of accounts plus opts. It panics on an
// invalid chart: the chart is code, not input.
func NewLedger(repo Repo, tx Transactor, logger log.Logger, opts ...Option) *Ledger {
	o := options{now: time.Now, maxVolume: MaxVolume}
	for _, opt := range opts {
		opt(&o)
	}
	chart, err := NewChart(append(append([]AccountDef(nil), DefaultChart...), o.accounts...))
	if err != nil {
		panic(err)
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	return &Ledger{repo: repo, tx: tx, log: log.NewHelper(log.With(logger, "module", "billing/ledger")), chart: chart, now: o.now, grouping: !o.noGrouping, shardVolume: o.maxVolume / VolumeShards}
}

// Chart returns the chart of accounts in use.
func (l *Ledger) Chart() *Chart { return l.chart }

// Post records a balanced entry in the transaction carried by ctx (or its own). The
// same IdempotencyID with the same postings in any order returns the original entry and
// writes nothing; with other postings it fails with ErrIdempotencyConflict. On any error
// the caller's transaction must be rolled back (InTx does so when the error is returned).
// Outside a transaction concurrent Posts share group commits (see groupcommit.go); Post
// returns once its entry is durable either way.
func (l *Ledger) Post(ctx context.Context, e Entry) (Entry, error) {
	if err := l.chart.validate(&e); err != nil {
		return Entry{}, err
	}
	e.Postings = append([]Posting(nil), e.Postings...)
	e.ID = ids.New()
	e.CreatedAt = l.now().Truncate(time.Millisecond)
	// Entries posted inside a caller's transaction share one shard of each hot account
	// (picked by the transaction), so a long transaction — a job chunk posting hundreds
	// of entries — holds one balance row per hot account instead of all of them in
	// whatever order its entries come, which deadlocked parallel chunks.
	shard := -1
	if ts, ok := l.repo.(TxSharder); ok {
		if n, ok := ts.TxShard(ctx); ok {
			shard = n
		}
	}
	rec := NewEntry{Entry: e, PostingsHash: postingsDigest(e.Postings), Deltas: l.chart.balanceDeltas(e, shard), Volume: entryVolume(e), VolumeLimit: l.shardVolume}
	if rec.Volume > rec.VolumeLimit {
		return Entry{}, l.capacityError(rec)
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if l.grouping && !hasFloor(rec.Deltas) && !l.repo.InTransaction(ctx) && l.postGrouped(rec) {
		return e, nil
	}
	var out Entry
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		created, err := l.repo.Append(ctx, rec)
		if errors.Is(err, ErrCapacityExceeded) {
			return l.capacityError(rec)
		}
		if err != nil {
			return err
		}
		if created {
			out = e
			return nil
		}
		prev, hash, err := l.repo.EntryByIdempotencyID(ctx, e.IdempotencyID)
		if err != nil {
			return err
		}
		if hash != rec.PostingsHash {
			return ErrIdempotencyConflict.WithMetadata(map[string]string{"idempotency_id": e.IdempotencyID, "entry_id": strconv.FormatInt(prev.ID, 10)})
		}
		out = prev
		return nil
	})
	if err != nil {
		return Entry{}, err
	}
	return out, nil
}

func (l *Ledger) account(code, owner string) (AccountDef, error) {
	def, ok := l.chart.Lookup(code)
	if !ok {
		return AccountDef{}, ErrUnknownAccount.WithMetadata(map[string]string{"account": code})
	}
	if len(owner) > MaxOwnerLen {
		return AccountDef{}, ErrInvalidOwner.WithMetadata(map[string]string{"account": code, "owner": owner})
	}
	return def, nil
}

// signed turns totals into a balance by the account's normal side.
func signed(def AccountDef, t Totals) money.Amount {
	if def.DebitNormal() {
		return t.Debits - t.Credits
	}
	return t.Credits - t.Debits
}

// Balance returns the current balance of account:owner, positive on its normal side
// (an asset that was debited, a liability that was credited).
func (l *Ledger) Balance(ctx context.Context, account, owner string) (money.Amount, error) {
	def, err := l.account(account, owner)
	if err != nil {
		return 0, err
	}
	t, err := l.repo.Balance(ctx, account, owner)
	if err != nil {
		return 0, err
	}
	return signed(def, t), nil
}

// Balances returns the balances of one account for many owners (0 for an owner without
// postings), for set-based reconciliation.
func (l *Ledger) Balances(ctx context.Context, account string, owners []string) (map[string]money.Amount, error) {
	def, err := l.account(account, "")
	if err != nil {
		return nil, err
	}
	for _, o := range owners {
		if len(o) > MaxOwnerLen {
			return nil, ErrInvalidOwner.WithMetadata(map[string]string{"account": account, "owner": o})
		}
	}
	ts, err := l.repo.Balances(ctx, account, owners)
	if err != nil {
		return nil, err
	}
	out := make(map[string]money.Amount, len(owners))
	for _, o := range owners {
		out[o] = signed(def, ts[o])
	}
	return out, nil
}

// BalanceAsOf returns the balance of account:owner counting postings with a business
// date on or before date.
func (l *Ledger) BalanceAsOf(ctx context.Context, account, owner string, date clock.Date) (money.Amount, error) {
	def, err := l.account(account, owner)
	if err != nil {
		return 0, err
	}
	if date.IsZero() {
		return 0, ErrInvalidDate
	}
	t, err := l.repo.BalanceAsOf(ctx, account, owner, date.Int())
	if err != nil {
		return 0, err
	}
	return signed(def, t), nil
}

// SumByCode returns the balance of an account code over all owners and shards (all
// merchant payables, all cash).
func (l *Ledger) SumByCode(ctx context.Context, account string) (money.Amount, error) {
	def, err := l.account(account, "")
	if err != nil {
		return 0, err
	}
	t, err := l.repo.SumByCode(ctx, account)
	if err != nil {
		return 0, err
	}
	return signed(def, t), nil
}

// EntryPage is one page of an account's entries.
type EntryPage struct {
	Entries []Entry
	// NextCursor is empty on the last page.
	NextCursor string
}

// MaxPageSize bounds Entries pages.
const MaxPageSize = 500

// Entries lists the entries touching account:owner in business-date then id order,
// limit per page (default 50, at most MaxPageSize), continuing after cursor.
func (l *Ledger) Entries(ctx context.Context, account, owner, cursor string, limit int) (EntryPage, error) {
	if _, err := l.account(account, owner); err != nil {
		return EntryPage{}, err
	}
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPageSize)
	after, err := parseCursor(cursor)
	if err != nil {
		return EntryPage{}, err
	}
	es, err := l.repo.Entries(ctx, account, owner, after, limit+1)
	if err != nil {
		return EntryPage{}, err
	}
	page := EntryPage{Entries: es}
	if len(es) > limit {
		page.Entries = es[:limit]
		last := es[limit-1]
		page.NextCursor = strconv.Itoa(last.BusinessDate.Int()) + "." + strconv.FormatInt(last.ID, 10)
	}
	return page, nil
}

func parseCursor(s string) (*EntryCursor, error) {
	if s == "" {
		return nil, nil
	}
	d, id, ok := strings.Cut(s, ".")
	if !ok {
		return nil, ErrInvalidCursor
	}
	date, err1 := strconv.Atoi(d)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || date < 0 || n < 0 {
		return nil, ErrInvalidCursor
	}
	return &EntryCursor{BusinessDate: date, EntryID: n}, nil
}

// entryVolume is the sum of an entry's debits (validate bounded it: MaxPostings × MaxAmount).
func entryVolume(e Entry) money.Amount {
	var v money.Amount
	for _, p := range e.Postings {
		if p.Debit {
			v += p.Amount
		}
	}
	return v
}

func (l *Ledger) capacityError(rec NewEntry) error {
	return ErrCapacityExceeded.WithMetadata(map[string]string{
		"idempotency_id": rec.Entry.IdempotencyID, "amount": rec.Volume.String(),
		"max_volume": (l.shardVolume * VolumeShards).String(),
	})
}

func hasFloor(ds []BalanceDelta) bool {
	for _, d := range ds {
		if d.Floor {
			return true
		}
	}
	return false
}
