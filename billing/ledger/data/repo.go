package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
)

var _ biz.Repo = (*repo)(nil)

type repo struct {
	d *data.Data
	// upsertBalance is the ON CONFLICT / ON DUPLICATE KEY tail that adds to a balance row.
	upsertBalance string
	upsertDaily   string
}

// NewRepo returns the SQL ledger repository.
func NewRepo(d *data.Data) biz.Repo {
	return &repo{
		d:             d,
		upsertBalance: d.Dialect.Upsert([]string{"account", "owner", "shard"}, true, "debits", "credits"),
		upsertDaily:   d.Dialect.Upsert([]string{"business_date", "account", "owner"}, false, "debits", "credits"),
	}
}

// Append writes the entry row first: a duplicate idempotency id stops it before anything
// else is written. Then one multi-row insert for the postings and one multi-row additive
// upsert for the balance rows.
func (r *repo) Append(ctx context.Context, ne biz.NewEntry) (bool, error) {
	q := r.d.DB(ctx)
	e := ne.Entry
	_, err := q.ExecContext(ctx, `INSERT INTO ledger_entry (id, idempotency_id, entry_type, description, business_date, postings_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.IdempotencyID, e.Type, e.Description, e.BusinessDate.Int(), ne.PostingsHash, e.CreatedAt.UnixMilli())
	if err != nil {
		if r.d.Dialect.IsDuplicate(err) {
			return false, nil
		}
		return false, fmt.Errorf("billing/ledger/data: insert entry %s: %w", e.IdempotencyID, err)
	}

	shard := r.volumeShard(ctx, e.IdempotencyID)
	ok, err := r.addVolume(ctx, q, shard, ne.Volume, ne.VolumeLimit)
	if err != nil {
		return false, err
	}
	if !ok {
		if err := r.undo(ctx, q, e.ID, nil); err != nil {
			return false, err
		}
		return false, biz.ErrCapacityExceeded
	}

	// Floor rows that shrink are checked one by one with a conditional update; everything
	// else goes into the additive upsert.
	var floored []biz.BalanceDelta
	add := make([]biz.BalanceDelta, 0, len(ne.Deltas))
	for _, dl := range ne.Deltas {
		if dl.Floor && dl.Net() < 0 {
			floored = append(floored, dl)
		} else {
			add = append(add, dl)
		}
	}
	for i, dl := range floored {
		ok, err := r.applyFloored(ctx, q, dl)
		if err != nil {
			return false, err
		}
		if !ok {
			if err := r.undo(ctx, q, e.ID, floored[:i]); err != nil {
				return false, err
			}
			if _, err := r.addVolume(ctx, q, shard, -ne.Volume, biz.MaxVolume); err != nil {
				return false, err
			}
			return false, biz.ErrBalanceBelowFloor.WithMetadata(map[string]string{"account": dl.Account, "owner": dl.Owner})
		}
	}

	if err := r.insertPostings(ctx, q, []biz.NewEntry{ne}); err != nil {
		return false, fmt.Errorf("billing/ledger/data: insert postings of %s: %w", e.IdempotencyID, err)
	}
	if err := r.addBalances(ctx, q, add); err != nil {
		return false, fmt.Errorf("billing/ledger/data: update balances of %s: %w", e.IdempotencyID, err)
	}
	return true, nil
}

// AppendGroup is Append for many entries with four statements in all: entries, postings,
// and one additive upsert over the group's balance rows, folded and sorted by key.
func (r *repo) AppendGroup(ctx context.Context, es []biz.NewEntry) (bool, error) {
	if len(es) == 0 {
		return true, nil
	}
	q := r.d.DB(ctx)
	var sb strings.Builder
	args := make([]any, 0, len(es)*7)
	sb.WriteString("INSERT INTO ledger_entry (id, idempotency_id, entry_type, description, business_date, postings_hash, created_at) VALUES ")
	for i, ne := range es {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		e := ne.Entry
		args = append(args, e.ID, e.IdempotencyID, e.Type, e.Description, e.BusinessDate.Int(), ne.PostingsHash, e.CreatedAt.UnixMilli())
	}
	if _, err := q.ExecContext(ctx, sb.String(), args...); err != nil {
		if r.d.Dialect.IsDuplicate(err) {
			return false, nil
		}
		return false, fmt.Errorf("billing/ledger/data: insert %d entries: %w", len(es), err)
	}
	var volume money.Amount
	for _, ne := range es {
		volume += ne.Volume
	}
	ok, err := r.addVolume(ctx, q, r.volumeShard(ctx, es[0].Entry.IdempotencyID), volume, es[0].VolumeLimit)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, biz.ErrCapacityExceeded
	}
	if err := r.insertPostings(ctx, q, es); err != nil {
		return false, fmt.Errorf("billing/ledger/data: insert postings of %d entries: %w", len(es), err)
	}
	type key struct {
		account, owner string
		shard          int
	}
	folded := map[key]int{}
	var deltas []biz.BalanceDelta
	for _, ne := range es {
		for _, dl := range ne.Deltas {
			if dl.Floor {
				return false, fmt.Errorf("billing/ledger/data: floor account %s in a group", dl.Account)
			}
			k := key{dl.Account, dl.Owner, dl.Shard}
			if i, ok := folded[k]; ok {
				deltas[i].Debits += dl.Debits
				deltas[i].Credits += dl.Credits
				continue
			}
			folded[k] = len(deltas)
			deltas = append(deltas, dl)
		}
	}
	sort.Slice(deltas, func(i, j int) bool {
		a, b := deltas[i], deltas[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Owner != b.Owner {
			return a.Owner < b.Owner
		}
		return a.Shard < b.Shard
	})
	if err := r.addBalances(ctx, q, deltas); err != nil {
		return false, fmt.Errorf("billing/ledger/data: update balances of %d entries: %w", len(es), err)
	}
	return true, nil
}

func (r *repo) insertPostings(ctx context.Context, q data.Querier, es []biz.NewEntry) error {
	var sb strings.Builder
	args := make([]any, 0, len(es)*3*7)
	sb.WriteString("INSERT INTO ledger_posting (entry_id, seq, account, owner, debit, credit, business_date) VALUES ")
	first := true
	for _, ne := range es {
		e := ne.Entry
		for i, p := range e.Postings {
			if !first {
				sb.WriteString(", ")
			}
			first = false
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			var dr, cr money.Amount
			if p.Debit {
				dr = p.Amount
			} else {
				cr = p.Amount
			}
			args = append(args, e.ID, i, p.Account, p.Owner, int64(dr), int64(cr), e.BusinessDate.Int())
		}
	}
	_, err := q.ExecContext(ctx, sb.String(), args...)
	return err
}

// addBalances adds deltas (sorted by key, so concurrent writers lock rows in one order)
// with one multi-row additive upsert.
func (r *repo) addBalances(ctx context.Context, q data.Querier, deltas []biz.BalanceDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(deltas)*5)
	sb.WriteString("INSERT INTO ledger_balance (account, owner, shard, debits, credits) VALUES ")
	for i, dl := range deltas {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, dl.Account, dl.Owner, dl.Shard, int64(dl.Debits), int64(dl.Credits))
	}
	sb.WriteString(r.upsertBalance)
	_, err := q.ExecContext(ctx, sb.String(), args...)
	return err
}

// volumeShard picks the volume row of the transaction in ctx, so a job chunk posting
// hundreds of entries holds one row, the same as its hot-account shards (TxShard).
func (r *repo) volumeShard(ctx context.Context, idem string) int {
	if n, ok := data.TxSeq(ctx); ok {
		return int(n % biz.VolumeShards)
	}
	return int(fnv32(idem) % biz.VolumeShards)
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// addVolume adds v to a volume shard unless the shard would pass limit (a conditional
// update: concurrent posters cannot both slip under it). v < 0 takes a refused entry's
// volume back.
func (r *repo) addVolume(ctx context.Context, q data.Querier, shard int, v, limit money.Amount) (bool, error) {
	if v > limit {
		return false, nil
	}
	res, err := q.ExecContext(ctx, `UPDATE ledger_volume SET debits = debits + ? WHERE shard = ? AND debits <= ?`, int64(v), shard, int64(limit-v))
	if err != nil {
		return false, fmt.Errorf("billing/ledger/data: add volume: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("billing/ledger/data: rows affected: %w", err)
	}
	return n == 1, nil
}

func (r *repo) InTransaction(ctx context.Context) bool { return data.InTransaction(ctx) }

var _ biz.TxSharder = (*repo)(nil)

// TxShard implements biz.TxSharder: transactions begun one after another (parallel job
// chunks) take different shards.
func (r *repo) TxShard(ctx context.Context) (int, bool) {
	n, ok := data.TxSeq(ctx)
	if !ok {
		return 0, false
	}
	return int(n % biz.BalanceShards), true
}

// applyFloored adds a shrinking delta to a Floor row only if the row stays >= 0.
func (r *repo) applyFloored(ctx context.Context, q data.Querier, dl biz.BalanceDelta) (bool, error) {
	cond := "debits + ? - credits - ? >= 0"
	condArgs := []any{int64(dl.Debits), int64(dl.Credits)}
	if !dl.DebitNormal {
		cond = "credits + ? - debits - ? >= 0"
		condArgs = []any{int64(dl.Credits), int64(dl.Debits)}
	}
	args := append([]any{int64(dl.Debits), int64(dl.Credits), dl.Account, dl.Owner, dl.Shard}, condArgs...)
	res, err := q.ExecContext(ctx, `UPDATE ledger_balance SET debits = debits + ?, credits = credits + ? WHERE account = ? AND owner = ? AND shard = ? AND `+cond, args...)
	if err != nil {
		return false, fmt.Errorf("billing/ledger/data: update floored balance %s:%s: %w", dl.Account, dl.Owner, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("billing/ledger/data: rows affected: %w", err)
	}
	return n == 1, nil
}

// undo reverses what a refused Append wrote, so a caller that keeps its transaction
// going after ErrBalanceBelowFloor finds it as before.
func (r *repo) undo(ctx context.Context, q data.Querier, entryID int64, applied []biz.BalanceDelta) error {
	for _, dl := range applied {
		if _, err := q.ExecContext(ctx, `UPDATE ledger_balance SET debits = debits - ?, credits = credits - ? WHERE account = ? AND owner = ? AND shard = ?`,
			int64(dl.Debits), int64(dl.Credits), dl.Account, dl.Owner, dl.Shard); err != nil {
			return fmt.Errorf("billing/ledger/data: undo balance %s:%s: %w", dl.Account, dl.Owner, err)
		}
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM ledger_entry WHERE id = ?`, entryID); err != nil {
		return fmt.Errorf("billing/ledger/data: undo entry %d: %w", entryID, err)
	}
	return nil
}

func (r *repo) EntryByIdempotencyID(ctx context.Context, idem string) (biz.Entry, string, error) {
	q := r.d.DB(ctx)
	var (
		e         biz.Entry
		date      int
		hash      string
		createdMs int64
	)
	// A locking read sees the row a concurrent transaction just committed, which the
	// snapshot of a REPEATABLE READ transaction would not.
	err := q.QueryRowContext(ctx, `SELECT id, idempotency_id, entry_type, description, business_date, postings_hash, created_at FROM ledger_entry WHERE idempotency_id = ?`+r.d.Dialect.ForUpdate(), idem).
		Scan(&e.ID, &e.IdempotencyID, &e.Type, &e.Description, &date, &hash, &createdMs)
	if errors.Is(err, sql.ErrNoRows) {
		return biz.Entry{}, "", biz.ErrEntryNotFound
	}
	if err != nil {
		return biz.Entry{}, "", fmt.Errorf("billing/ledger/data: load entry %s: %w", idem, err)
	}
	e.BusinessDate = clock.FromInt(date)
	e.CreatedAt = time.UnixMilli(createdMs)
	ps, err := r.postings(ctx, q, []int64{e.ID})
	if err != nil {
		return biz.Entry{}, "", err
	}
	e.Postings = ps[e.ID]
	return e, hash, nil
}

// postings loads the postings of the given entries in posting order.
func (r *repo) postings(ctx context.Context, q data.Querier, entryIDs []int64) (map[int64][]biz.Posting, error) {
	out := make(map[int64][]biz.Posting, len(entryIDs))
	if len(entryIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(entryIDs))
	for i, id := range entryIDs {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT entry_id, account, owner, debit, credit FROM ledger_posting WHERE entry_id IN (`+placeholders(len(args))+`) ORDER BY entry_id, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/ledger/data: load postings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id         int64
			p          biz.Posting
			debit, cre int64
		)
		if err := rows.Scan(&id, &p.Account, &p.Owner, &debit, &cre); err != nil {
			return nil, fmt.Errorf("billing/ledger/data: scan posting: %w", err)
		}
		p.Debit = debit > 0
		p.Amount = money.Amount(debit + cre)
		out[id] = append(out[id], p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/ledger/data: load postings: %w", err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (r *repo) totals(ctx context.Context, what, query string, args ...any) (biz.Totals, error) {
	var dr, cr int64
	if err := r.d.DB(ctx).QueryRowContext(ctx, query, args...).Scan(&dr, &cr); err != nil {
		return biz.Totals{}, fmt.Errorf("billing/ledger/data: %s: %w", what, err)
	}
	return biz.Totals{Debits: money.Amount(dr), Credits: money.Amount(cr)}, nil
}

func (r *repo) Balance(ctx context.Context, account, owner string) (biz.Totals, error) {
	return r.totals(ctx, "balance "+account+":"+owner,
		`SELECT COALESCE(SUM(debits), 0), COALESCE(SUM(credits), 0) FROM ledger_balance WHERE account = ? AND owner = ?`, account, owner)
}

func (r *repo) Balances(ctx context.Context, account string, owners []string) (map[string]biz.Totals, error) {
	out := make(map[string]biz.Totals, len(owners))
	for len(owners) > 0 {
		n := min(len(owners), 500)
		args := make([]any, 0, n+1)
		args = append(args, account)
		for _, o := range owners[:n] {
			args = append(args, o)
		}
		rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT owner, SUM(debits), SUM(credits) FROM ledger_balance WHERE account = ? AND owner IN (?`+
			strings.Repeat(", ?", n-1)+`) GROUP BY owner`, args...)
		if err != nil {
			return nil, fmt.Errorf("billing/ledger/data: balances of %s: %w", account, err)
		}
		for rows.Next() {
			var o string
			var dr, cr int64
			if err := rows.Scan(&o, &dr, &cr); err != nil {
				rows.Close()
				return nil, fmt.Errorf("billing/ledger/data: balances of %s: %w", account, err)
			}
			out[o] = biz.Totals{Debits: money.Amount(dr), Credits: money.Amount(cr)}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("billing/ledger/data: balances of %s: %w", account, err)
		}
		owners = owners[n:]
	}
	return out, nil
}

func (r *repo) SumByCode(ctx context.Context, account string) (biz.Totals, error) {
	return r.totals(ctx, "sum "+account,
		`SELECT COALESCE(SUM(debits), 0), COALESCE(SUM(credits), 0) FROM ledger_balance WHERE account = ?`, account)
}

// BalanceAsOf takes the running balance and subtracts postings dated after date, in one
// statement so both parts come from one consistent read. Recent dates (what day-end and
// statements ask for) cost a short index range, however long the account's history.
func (r *repo) BalanceAsOf(ctx context.Context, account, owner string, date int) (biz.Totals, error) {
	return r.totals(ctx, "balance "+account+":"+owner+" as of date",
		`SELECT COALESCE(SUM(d), 0), COALESCE(SUM(c), 0) FROM (
			SELECT debits AS d, credits AS c FROM ledger_balance WHERE account = ? AND owner = ?
			UNION ALL
			SELECT -debit, -credit FROM ledger_posting WHERE account = ? AND owner = ? AND business_date > ?
		) t`, account, owner, account, owner, date)
}

// asOfSQL yields per (account[, owner]) the totals of postings dated on or before ?.
const asOfSQL = `SELECT account, %[1]s SUM(d), SUM(c) FROM (
	SELECT account, owner, debits AS d, credits AS c FROM ledger_balance
	UNION ALL
	SELECT p.account, p.owner, -p.debit, -p.credit FROM ledger_entry e JOIN ledger_posting p ON p.entry_id = e.id WHERE e.business_date > ?
) t GROUP BY account %[2]s`

func (r *repo) TotalsAsOf(ctx context.Context, date int) ([]biz.AccountTotals, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, fmt.Sprintf(asOfSQL, "", "ORDER BY account"), date)
	if err != nil {
		return nil, fmt.Errorf("billing/ledger/data: totals as of %d: %w", date, err)
	}
	defer rows.Close()
	var out []biz.AccountTotals
	for rows.Next() {
		var (
			t      biz.AccountTotals
			dr, cr int64
		)
		if err := rows.Scan(&t.Account, &dr, &cr); err != nil {
			return nil, fmt.Errorf("billing/ledger/data: scan totals: %w", err)
		}
		t.Debits, t.Credits = money.Amount(dr), money.Amount(cr)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/ledger/data: totals as of %d: %w", date, err)
	}
	return out, nil
}

func (r *repo) Entries(ctx context.Context, account, owner string, after *biz.EntryCursor, limit int) ([]biz.Entry, error) {
	q := r.d.DB(ctx)
	query := `SELECT DISTINCT business_date, entry_id FROM ledger_posting WHERE account = ? AND owner = ?`
	args := []any{account, owner}
	if after != nil {
		query += ` AND (business_date > ? OR (business_date = ? AND entry_id > ?))`
		args = append(args, after.BusinessDate, after.BusinessDate, after.EntryID)
	}
	query += ` ORDER BY business_date, entry_id LIMIT ?`
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/ledger/data: entries of %s:%s: %w", account, owner, err)
	}
	var idList []int64
	for rows.Next() {
		var date int
		var id int64
		if err := rows.Scan(&date, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("billing/ledger/data: scan entry id: %w", err)
		}
		idList = append(idList, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/ledger/data: entries of %s:%s: %w", account, owner, err)
	}
	if len(idList) == 0 {
		return nil, nil
	}
	args = make([]any, len(idList))
	for i, id := range idList {
		args[i] = id
	}
	rows, err = q.QueryContext(ctx, `SELECT id, idempotency_id, entry_type, description, business_date, created_at FROM ledger_entry WHERE id IN (`+placeholders(len(args))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/ledger/data: load entries: %w", err)
	}
	byID := make(map[int64]biz.Entry, len(idList))
	for rows.Next() {
		var (
			e         biz.Entry
			date      int
			createdMs int64
		)
		if err := rows.Scan(&e.ID, &e.IdempotencyID, &e.Type, &e.Description, &date, &createdMs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("billing/ledger/data: scan entry: %w", err)
		}
		e.BusinessDate = clock.FromInt(date)
		e.CreatedAt = time.UnixMilli(createdMs)
		byID[e.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("billing/ledger/data: load entries: %w", err)
	}
	ps, err := r.postings(ctx, q, idList)
	if err != nil {
		return nil, err
	}
	out := make([]biz.Entry, 0, len(idList))
	for _, id := range idList {
		e := byID[id]
		e.Postings = ps[id]
		out = append(out, e)
	}
	return out, nil
}

// snapshotBatch is how many closing balances one upsert statement writes.
const snapshotBatch = 500

// SnapshotDay reads the closing totals with one consistent, non-locking read (so payments
// are not blocked) and upserts them in batches; a repeat overwrites the same rows.
// Balance rows are never deleted, so a repeat never leaves a stale (account, owner).
func (r *repo) SnapshotDay(ctx context.Context, date int) (int, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, fmt.Sprintf(asOfSQL, "owner,", ", owner"), date)
	if err != nil {
		return 0, fmt.Errorf("billing/ledger/data: closing balances %d: %w", date, err)
	}
	type row struct {
		account, owner string
		dr, cr         int64
	}
	var all []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.account, &x.owner, &x.dr, &x.cr); err != nil {
			rows.Close()
			return 0, fmt.Errorf("billing/ledger/data: scan closing balance: %w", err)
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("billing/ledger/data: closing balances %d: %w", date, err)
	}
	for start := 0; start < len(all); start += snapshotBatch {
		batch := all[start:min(start+snapshotBatch, len(all))]
		var sb strings.Builder
		args := make([]any, 0, len(batch)*5)
		sb.WriteString("INSERT INTO ledger_daily_balance (business_date, account, owner, debits, credits) VALUES ")
		for i, x := range batch {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, date, x.account, x.owner, x.dr, x.cr)
		}
		sb.WriteString(r.upsertDaily)
		err := r.d.InTx(ctx, func(ctx context.Context) error {
			_, err := r.d.DB(ctx).ExecContext(ctx, sb.String(), args...)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("billing/ledger/data: write closing balances %d: %w", date, err)
		}
	}
	return len(all), nil
}
