package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/abs/biz"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
)

// Repo implements biz.PoolRepo.
type Repo struct {
	d                *data.Data
	singlePaymentAPR decimal.Decimal
	installmentAPR   decimal.Decimal
}

var _ biz.PoolRepo = (*Repo)(nil)

// NewRepo returns the repository; the APRs are the yields assigned to single-payment
// purchases and to installment purchases.
func NewRepo(d *data.Data, singlePaymentAPR, installmentAPR decimal.Decimal) *Repo {
	return &Repo{d: d, singlePaymentAPR: singlePaymentAPR, installmentAPR: installmentAPR}
}

func (r *Repo) tableExists(ctx context.Context, name string) bool {
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT 1 FROM "+name+" WHERE 1 = 0")
	if err != nil {
		return false
	}
	rows.Close()
	return true
}

// EligibleAssets pushes every filter into one SQL query over purchase (index
// ix_purchase_owner_date: owner = 'lender' AND capture_date <= cutoff) joined to the
// obligor's credit line (not overdue, not frozen, min score). Purchases in an
// installment plan (plan_id set) are not eligible yet: plan repayments reduce purchase
// principal outside billing's collections hook, so a sold plan's collections would not
// reach the pool.
func (r *Repo) EligibleAssets(ctx context.Context, cutoff clock.Date, c biz.Criteria, fn func(biz.Candidate) error) error {
	q := `SELECT p.id, p.user_id, p.principal_outstanding, p.installments, p.capture_date, COALESCE(cl.score, 0)
FROM purchase p
JOIN credit_line cl ON cl.user_id = p.user_id
WHERE p.owner = ? AND p.capture_date <= ? AND p.principal_outstanding > 0 AND p.refunded_amount < p.amount
  AND p.plan_id IS NULL
  AND cl.status <> 'overdue' AND cl.frozen = 0
  AND NOT EXISTS (SELECT 1 FROM abs_pool_asset pa JOIN abs_pool ap ON ap.id = pa.pool_id
    WHERE pa.asset_id = p.id AND pa.status = 'active' AND ap.status IN ('draft', 'transferring', 'transferred'))`
	args := []any{biz.OwnerLender, cutoff.Int()}
	if r.tableExists(ctx, "billing_account") {
		// 0 DPD: billing's delinquency state (absent row = never billed = current)
		q += " AND NOT EXISTS (SELECT 1 FROM billing_account ba WHERE ba.user_id = p.user_id AND ba.days_past_due > 0)"
	}
	if c.ExcludePoolID != 0 {
		q += " AND NOT EXISTS (SELECT 1 FROM abs_pool_asset px WHERE px.pool_id = ? AND px.asset_id = p.id)"
		args = append(args, c.ExcludePoolID)
	}
	if c.MinScore > 0 {
		q += " AND cl.score >= ?"
		args = append(args, c.MinScore)
	}
	if c.MinPrincipal > 0 {
		q += " AND p.principal_outstanding >= ?"
		args = append(args, int64(c.MinPrincipal))
	}
	if c.MaxPrincipal > 0 {
		q += " AND p.principal_outstanding <= ?"
		args = append(args, int64(c.MaxPrincipal))
	}
	// Remaining periods: a single-payment purchase has 1, an installment purchase its
	// term (the plan's billed periods are not yet known to the asset view).
	rem := "(CASE WHEN p.installments > 0 THEN p.installments ELSE 1 END)"
	if c.MinRemainingPeriods > 0 {
		q += " AND " + rem + " >= ?"
		args = append(args, c.MinRemainingPeriods)
	}
	if c.MaxRemainingPeriods > 0 {
		q += " AND " + rem + " <= ?"
		args = append(args, c.MaxRemainingPeriods)
	}
	// No ORDER BY: a filesort of a million joined rows delays the first row past the
	// driver's read timeout; the caller orders candidates in memory (SelectionOrder).
	rows, err := r.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("abs/data: eligible assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a biz.Candidate
		var inst int
		if err := rows.Scan(&a.AssetID, &a.UserID, &a.Balance, &inst, &a.OriginationDate, &a.Score); err != nil {
			return fmt.Errorf("abs/data: scan eligible asset: %w", err)
		}
		if inst > 0 {
			a.RemainingPeriods, a.Amortization, a.APR = inst, biz.AmortEqualPrincipal, r.installmentAPR
		} else {
			a.RemainingPeriods, a.Amortization, a.APR = 1, biz.AmortBullet, r.singlePaymentAPR
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

type criteriaJSON struct {
	MinScore            int    `json:"min_score,omitempty"`
	MinPrincipal        int64  `json:"min_principal,omitempty"`
	MaxPrincipal        int64  `json:"max_principal,omitempty"`
	MinRemainingPeriods int    `json:"min_remaining_periods,omitempty"`
	MaxRemainingPeriods int    `json:"max_remaining_periods,omitempty"`
	MaxObligorShare     string `json:"max_obligor_share,omitempty"`
	TargetBalance       int64  `json:"target_balance,omitempty"`
}

type statsJSON struct {
	AssetCount      int    `json:"n"`
	ObligorCount    int    `json:"o"`
	Balance         int64  `json:"b"`
	AverageBalance  int64  `json:"a"`
	WAC             string `json:"wac"`
	WAM             string `json:"wam"`
	WAL             string `json:"wal"`
	TopObligorShare string `json:"top"`
}

type rowJSON struct {
	Bucket  string `json:"k"`
	Count   int    `json:"n"`
	Balance int64  `json:"b"`
	Share   string `json:"s"`
}

func encodePool(p *biz.Pool) (crit, stats, strata string) {
	c := criteriaJSON{p.Criteria.MinScore, int64(p.Criteria.MinPrincipal), int64(p.Criteria.MaxPrincipal),
		p.Criteria.MinRemainingPeriods, p.Criteria.MaxRemainingPeriods, "", int64(p.Criteria.TargetBalance)}
	if p.Criteria.MaxObligorShare.Sign() > 0 {
		c.MaxObligorShare = p.Criteria.MaxObligorShare.String()
	}
	b, _ := json.Marshal(c)
	s := p.Stats
	sb, _ := json.Marshal(statsJSON{s.AssetCount, s.ObligorCount, int64(s.Balance), int64(s.AverageBalance),
		s.WAC.String(), s.WAM.String(), s.WAL.String(), s.TopObligorShare.String()})
	st := map[string][]rowJSON{}
	for by, rows := range p.Strata {
		for _, r := range rows {
			st[by] = append(st[by], rowJSON{r.Bucket, r.Count, int64(r.Balance), r.Share.String()})
		}
	}
	tb, _ := json.Marshal(st)
	return string(b), string(sb), string(tb)
}

func decodePool(p *biz.Pool, crit, stats, strata string) error {
	var c criteriaJSON
	if err := json.Unmarshal([]byte(crit), &c); err != nil {
		return err
	}
	p.Criteria = biz.Criteria{MinScore: c.MinScore, MinPrincipal: money.Amount(c.MinPrincipal), MaxPrincipal: money.Amount(c.MaxPrincipal),
		MinRemainingPeriods: c.MinRemainingPeriods, MaxRemainingPeriods: c.MaxRemainingPeriods, TargetBalance: money.Amount(c.TargetBalance)}
	if c.MaxObligorShare != "" {
		p.Criteria.MaxObligorShare, _ = decimal.NewFromString(c.MaxObligorShare)
	}
	var s statsJSON
	if err := json.Unmarshal([]byte(stats), &s); err != nil {
		return err
	}
	dec := func(x string) decimal.Decimal { v, _ := decimal.NewFromString(x); return v }
	p.Stats = biz.PoolStats{AssetCount: s.AssetCount, ObligorCount: s.ObligorCount, Balance: money.Amount(s.Balance),
		AverageBalance: money.Amount(s.AverageBalance), WAC: dec(s.WAC), WAM: dec(s.WAM), WAL: dec(s.WAL), TopObligorShare: dec(s.TopObligorShare)}
	var st map[string][]rowJSON
	if err := json.Unmarshal([]byte(strata), &st); err != nil {
		return err
	}
	p.Strata = map[string][]biz.StratumRow{}
	for by, rows := range st {
		for _, r := range rows {
			p.Strata[by] = append(p.Strata[by], biz.StratumRow{Bucket: r.Bucket, Count: r.Count, Balance: money.Amount(r.Balance), Share: dec(r.Share)})
		}
	}
	return nil
}

func nowMS() int64 { return time.Now().UnixMilli() }

// InsertPool stores a new pool.
func (r *Repo) InsertPool(ctx context.Context, p *biz.Pool) error {
	crit, stats, strata := encodePool(p)
	now := nowMS()
	_, err := r.d.DB(ctx).ExecContext(ctx, `INSERT INTO abs_pool (id, name, status, cutoff_date, criteria, stats, strata,
original_balance, asset_count, revolving_months, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.ID, p.Name, p.Status, p.Cutoff.Int(), crit, stats, strata, int64(p.OriginalBalance), p.AssetCount, p.RevolvingMonths, now, now)
	if err != nil {
		return fmt.Errorf("abs/data: insert pool: %w", err)
	}
	return nil
}

// InsertPoolAssets bulk-inserts frozen assets, 1,000 rows per statement.
func (r *Repo) InsertPoolAssets(ctx context.Context, poolID int64, addedDate int, assets []biz.Candidate) error {
	const chunk = 1000
	for start := 0; start < len(assets); start += chunk {
		end := min(start+chunk, len(assets))
		var sb strings.Builder
		sb.WriteString(`INSERT INTO abs_pool_asset (pool_id, asset_id, user_id, balance_at_cutoff, apr, remaining_periods,
amortization, score, origination_date, added_date, status) VALUES `)
		args := make([]any, 0, (end-start)*11)
		for i, a := range assets[start:end] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?,?,'active')")
			args = append(args, poolID, a.AssetID, a.UserID, int64(a.Balance), a.APR.String(), a.RemainingPeriods,
				string(a.Amortization), a.Score, a.OriginationDate, addedDate)
		}
		if _, err := r.d.DB(ctx).ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("abs/data: insert pool assets: %w", err)
		}
	}
	return nil
}

const poolCols = `id, name, status, cutoff_date, criteria, stats, strata, original_balance, asset_count, revolving_months,
buyer, price, transfer_id, transfer_date, transfer_balance, proceeds, transfer_checkpoint, transferred_count`

func scanPool(sc interface{ Scan(...any) error }) (*biz.Pool, error) {
	p := &biz.Pool{}
	var cutoff int
	var crit, stats, strata string
	if err := sc.Scan(&p.ID, &p.Name, &p.Status, &cutoff, &crit, &stats, &strata, &p.OriginalBalance, &p.AssetCount,
		&p.RevolvingMonths, &p.Buyer, &p.Price, &p.TransferID, &p.TransferDate, &p.TransferBalance, &p.Proceeds,
		&p.Checkpoint, &p.TransferredCount); err != nil {
		return nil, err
	}
	p.Cutoff = clock.FromInt(cutoff)
	if err := decodePool(p, crit, stats, strata); err != nil {
		return nil, fmt.Errorf("abs/data: decode pool %d: %w", p.ID, err)
	}
	return p, nil
}

// GetPool loads a pool (locking its row when forUpdate).
func (r *Repo) GetPool(ctx context.Context, id int64, forUpdate bool) (*biz.Pool, error) {
	q := "SELECT " + poolCols + " FROM abs_pool WHERE id = ?"
	if forUpdate {
		q += r.d.Dialect.ForUpdate()
	}
	p, err := scanPool(r.d.DB(ctx).QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biz.ErrPoolNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("abs/data: load pool %d: %w", id, err)
	}
	return p, nil
}

// UpdatePool writes the mutable columns.
func (r *Repo) UpdatePool(ctx context.Context, p *biz.Pool) error {
	_, stats, strata := encodePool(p)
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE abs_pool SET status = ?, stats = ?, strata = ?, asset_count = ?, buyer = ?,
price = ?, transfer_id = ?, transfer_date = ?, transfer_balance = ?, proceeds = ?, transfer_checkpoint = ?,
transferred_count = ?, updated_at = ? WHERE id = ?`,
		p.Status, stats, strata, p.AssetCount, p.Buyer, p.Price, p.TransferID, p.TransferDate, int64(p.TransferBalance),
		int64(p.Proceeds), p.Checkpoint, p.TransferredCount, nowMS(), p.ID)
	if err != nil {
		return fmt.Errorf("abs/data: update pool %d: %w", p.ID, err)
	}
	return nil
}

// ListPools lists pools with status ("" = all), oldest first.
func (r *Repo) ListPools(ctx context.Context, status string) ([]*biz.Pool, error) {
	q := "SELECT " + poolCols + " FROM abs_pool"
	var args []any
	if status != "" {
		q += " WHERE status = ?"
		args = append(args, status)
	}
	rows, err := r.d.DB(ctx).QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("abs/data: list pools: %w", err)
	}
	defer rows.Close()
	var out []*biz.Pool
	for rows.Next() {
		p, err := scanPool(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PoolAssets streams the pool's active assets with their frozen balances.
func (r *Repo) PoolAssets(ctx context.Context, poolID int64, fn func(biz.Candidate) error) error {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT asset_id, user_id, balance_at_cutoff, apr, remaining_periods, amortization,
score, origination_date FROM abs_pool_asset WHERE pool_id = ? AND status = 'active' ORDER BY asset_id`, poolID)
	if err != nil {
		return fmt.Errorf("abs/data: pool assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a biz.Candidate
		var apr, am string
		if err := rows.Scan(&a.AssetID, &a.UserID, &a.Balance, &apr, &a.RemainingPeriods, &am, &a.Score, &a.OriginationDate); err != nil {
			return fmt.Errorf("abs/data: scan pool asset: %w", err)
		}
		a.APR, _ = decimal.NewFromString(apr)
		a.Amortization = biz.Amortization(am)
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// NextTransferBatch returns the next active asset ids above after.
func (r *Repo) NextTransferBatch(ctx context.Context, poolID, after int64, limit int) ([]int64, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT asset_id FROM abs_pool_asset WHERE pool_id = ? AND asset_id > ?
AND status = 'active' ORDER BY asset_id LIMIT ?`, poolID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("abs/data: transfer batch: %w", err)
	}
	defer rows.Close()
	out := make([]int64, 0, limit)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func idList(ids []int64) string {
	var sb strings.Builder
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatInt(id, 10))
	}
	return sb.String()
}

// FlipOwner flips purchase.owner from → to for ids still owned by from.
func (r *Repo) FlipOwner(ctx context.Context, ids []int64, from, to string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := r.d.DB(ctx).ExecContext(ctx, "UPDATE purchase SET owner = ? WHERE id IN ("+idList(ids)+") AND owner = ?", to, from)
	if err != nil {
		return 0, fmt.Errorf("abs/data: flip owner: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SetOwner flips purchase.owner from → to for ids (only rows still owned by from) and
// returns how many rows changed and their outstanding principal (summed under the same
// transaction, before the flip, over the same condition).
func (r *Repo) SetOwner(ctx context.Context, ids []int64, from, to string) (int, money.Amount, error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	list := idList(ids) // int64s formatted by us: no injection, and no 65k-placeholder limit
	var sum sql.NullInt64
	if err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT SUM(principal_outstanding) FROM purchase WHERE id IN ("+list+") AND owner = ?"+r.d.Dialect.ForUpdate(), from).Scan(&sum); err != nil {
		return 0, 0, fmt.Errorf("abs/data: sum owner batch: %w", err)
	}
	res, err := r.d.DB(ctx).ExecContext(ctx, "UPDATE purchase SET owner = ? WHERE id IN ("+list+") AND owner = ?", to, from)
	if err != nil {
		return 0, 0, fmt.Errorf("abs/data: flip owner: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, err
	}
	return int(n), money.Amount(sum.Int64), nil
}

// AssetStates returns the live state of pool assets: purchase owner and outstanding, and
// the obligor's days past due from billing_account (when billing's table exists;
// otherwise 1 for an overdue credit line, else 0).
func (r *Repo) AssetStates(ctx context.Context, poolID int64, ids []int64) ([]biz.AssetState, error) {
	dpd := "CASE WHEN cl.status = 'overdue' THEN 1 ELSE 0 END"
	join := ""
	if r.tableExists(ctx, "billing_account") {
		dpd = "COALESCE(ba.days_past_due, 0)"
		join = " LEFT JOIN billing_account ba ON ba.user_id = pa.user_id"
	}
	q := `SELECT pa.asset_id, pa.user_id, p.owner, p.principal_outstanding, pa.status, ` + dpd + `
FROM abs_pool_asset pa JOIN purchase p ON p.id = pa.asset_id LEFT JOIN credit_line cl ON cl.user_id = pa.user_id` + join + `
WHERE pa.pool_id = ?`
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q += " AND pa.asset_id IN (" + idList(ids) + ")"
	} else {
		q += " AND pa.status = 'active'"
	}
	rows, err := r.d.DB(ctx).QueryContext(ctx, q+" ORDER BY pa.asset_id", poolID)
	if err != nil {
		return nil, fmt.Errorf("abs/data: asset states: %w", err)
	}
	defer rows.Close()
	var out []biz.AssetState
	for rows.Next() {
		var s biz.AssetState
		if err := rows.Scan(&s.AssetID, &s.UserID, &s.Owner, &s.Outstanding, &s.Status, &s.DPD); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MarkRemoved marks pool assets bought back.
func (r *Repo) MarkRemoved(ctx context.Context, poolID int64, ids []int64, date int, reason string, amounts map[int64]money.Amount) error {
	for _, id := range ids {
		if _, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE abs_pool_asset SET status = 'bought_back', removed_date = ?,
removed_reason = ?, removed_amount = ? WHERE pool_id = ? AND asset_id = ? AND status = 'active'`,
			date, reason, int64(amounts[id]), poolID, id); err != nil {
			return fmt.Errorf("abs/data: mark removed: %w", err)
		}
	}
	return nil
}

// AddFlow records a pool flow once per (pool, ref); false when it was already there.
func (r *Repo) AddFlow(ctx context.Context, f biz.Flow) (bool, error) {
	res, err := r.d.DB(ctx).ExecContext(ctx, r.d.Dialect.InsertIgnore()+` abs_pool_flow (pool_id, ref, kind, asset_id, amount,
business_date, created_at) VALUES (?,?,?,?,?,?,?)`, f.PoolID, f.Ref, f.Kind, f.AssetID, int64(f.Amount), f.Date, nowMS())
	if err != nil {
		return false, fmt.Errorf("abs/data: add flow: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FlowSums sums flows by kind over [from, to].
func (r *Repo) FlowSums(ctx context.Context, poolID int64, from, to int) (map[string]money.Amount, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT kind, SUM(amount) FROM abs_pool_flow WHERE pool_id = ?
AND business_date >= ? AND business_date <= ? GROUP BY kind`, poolID, from, to)
	if err != nil {
		return nil, fmt.Errorf("abs/data: flow sums: %w", err)
	}
	defer rows.Close()
	out := map[string]money.Amount{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = money.Amount(v)
	}
	return out, rows.Err()
}

// OpenHolds sums the open authorizations (payment status authorized; index ix_payment_status_date).
func (r *Repo) OpenHolds(ctx context.Context) (money.Amount, error) {
	var v sql.NullInt64
	if err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT SUM(amount) FROM payment WHERE status = 'authorized'").Scan(&v); err != nil {
		return 0, fmt.Errorf("abs/data: open holds: %w", err)
	}
	return money.Amount(v.Int64), nil
}

// PoolOutstanding sums the outstanding principal of purchases the pool owns.
func (r *Repo) PoolOutstanding(ctx context.Context, poolID int64) (money.Amount, int, error) {
	var v sql.NullInt64
	var n int
	if err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT SUM(principal_outstanding), COUNT(*) FROM purchase WHERE owner = ?",
		strconv.FormatInt(poolID, 10)).Scan(&v, &n); err != nil {
		return 0, 0, fmt.Errorf("abs/data: pool outstanding: %w", err)
	}
	return money.Amount(v.Int64), n, nil
}

// PlanTransferBatches splits the pool's active assets (ascending ids) into batches of
// size and stores them pending, 1,000 batch rows per statement.
func (r *Repo) PlanTransferBatches(ctx context.Context, poolID int64, size int) (int, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT asset_id FROM abs_pool_asset WHERE pool_id = ? AND status = 'active' ORDER BY asset_id`, poolID)
	if err != nil {
		return 0, fmt.Errorf("abs/data: plan batches: %w", err)
	}
	type span struct{ first, last int64 }
	var spans []span
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		if n%size == 0 {
			spans = append(spans, span{id, id})
		}
		spans[len(spans)-1].last = id
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for start := 0; start < len(spans); start += 1000 {
		end := min(start+1000, len(spans))
		var sb strings.Builder
		sb.WriteString("INSERT INTO abs_transfer_batch (pool_id, seq, first_asset, last_asset, status) VALUES ")
		args := make([]any, 0, (end-start)*4)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,'pending')")
			args = append(args, poolID, i, spans[i].first, spans[i].last)
		}
		if _, err := r.d.DB(ctx).ExecContext(ctx, sb.String(), args...); err != nil {
			return 0, fmt.Errorf("abs/data: insert batches: %w", err)
		}
	}
	return len(spans), nil
}

// PendingBatches lists the pending batch numbers.
func (r *Repo) PendingBatches(ctx context.Context, poolID int64) ([]int, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT seq FROM abs_transfer_batch WHERE pool_id = ? AND status = 'pending' ORDER BY seq", poolID)
	if err != nil {
		return nil, fmt.Errorf("abs/data: pending batches: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var s int
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClaimBatch locks a pending batch and returns its asset ids.
func (r *Repo) ClaimBatch(ctx context.Context, poolID int64, seq int) ([]int64, bool, error) {
	var first, last int64
	var status string
	err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT first_asset, last_asset, status FROM abs_transfer_batch WHERE pool_id = ? AND seq = ?"+r.d.Dialect.ForUpdate(),
		poolID, seq).Scan(&first, &last, &status)
	if err != nil {
		return nil, false, fmt.Errorf("abs/data: claim batch %d: %w", seq, err)
	}
	if status != "pending" {
		return nil, false, nil
	}
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT asset_id FROM abs_pool_asset WHERE pool_id = ? AND asset_id >= ? AND asset_id <= ?
AND status = 'active' ORDER BY asset_id`, poolID, first, last)
	if err != nil {
		return nil, false, fmt.Errorf("abs/data: batch assets: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		out = append(out, id)
	}
	return out, true, rows.Err()
}

// FinishBatch marks a batch done.
func (r *Repo) FinishBatch(ctx context.Context, poolID int64, seq, flipped int, balance money.Amount) error {
	res, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE abs_transfer_batch SET status = 'done', flipped = ?, balance = ?
WHERE pool_id = ? AND seq = ? AND status = 'pending'`, flipped, int64(balance), poolID, seq)
	if err != nil {
		return fmt.Errorf("abs/data: finish batch: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("abs/data: batch %d of pool %d finished twice", seq, poolID)
	}
	return nil
}

// BatchTotals sums the done batches and counts the pending ones.
func (r *Repo) BatchTotals(ctx context.Context, poolID int64) (int, money.Amount, int, error) {
	var flipped, bal, pending sql.NullInt64
	err := r.d.DB(ctx).QueryRowContext(ctx, `SELECT SUM(CASE WHEN status = 'done' THEN flipped ELSE 0 END),
SUM(CASE WHEN status = 'done' THEN balance ELSE 0 END), SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END)
FROM abs_transfer_batch WHERE pool_id = ?`, poolID).Scan(&flipped, &bal, &pending)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("abs/data: batch totals: %w", err)
	}
	return int(flipped.Int64), money.Amount(bal.Int64), int(pending.Int64), nil
}
