package data

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
	"github.com/huabei/huabei/billing/settlement"
)

// SettlementRepo stores merchant settlements and reads the captures and refunds they net.
type SettlementRepo struct{ d *data.Data }

var _ settlement.Repo = (*SettlementRepo)(nil)

// NewSettlementRepo returns the repository on d.
func NewSettlementRepo(d *data.Data) *SettlementRepo { return &SettlementRepo{d: d} }

// MerchantsWithActivity implements settlement.Repo.
func (r *SettlementRepo) MerchantsWithActivity(ctx context.Context, date clock.Date) ([]string, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx,
		`SELECT merchant_id FROM payment WHERE capture_date = ? AND captured_amount > 0
		 UNION SELECT merchant_id FROM payment_refund WHERE refund_date = ? ORDER BY merchant_id`, date.Int(), date.Int())
	if err != nil {
		return nil, fmt.Errorf("billing/data: active merchants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ActivityLines implements settlement.Repo: captures, then refunds, each in id order.
func (r *SettlementRepo) ActivityLines(ctx context.Context, merchantID string, date clock.Date) ([]settlement.Line, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx,
		`SELECT 'capture', id, id, merchant_order_id, captured_amount, discount_amount, 0 FROM payment
		  WHERE capture_date = ? AND merchant_id = ? AND captured_amount > 0
		 UNION ALL
		 SELECT 'refund', f.id, f.payment_id, p.merchant_order_id, -f.amount, -f.discount_returned, 1 FROM payment_refund f
		  JOIN payment p ON p.id = f.payment_id
		  WHERE f.refund_date = ? AND f.merchant_id = ?
		 ORDER BY 7, 2`, date.Int(), merchantID, date.Int(), merchantID)
	if err != nil {
		return nil, fmt.Errorf("billing/data: settlement lines: %w", err)
	}
	defer rows.Close()
	var out []settlement.Line
	for rows.Next() {
		var l settlement.Line
		var amount, discount int64
		var order int
		if err := rows.Scan(&l.Kind, &l.SourceID, &l.PaymentID, &l.MerchantOrderID, &amount, &discount, &order); err != nil {
			return nil, err
		}
		l.Amount, l.Discount = money.Amount(amount), money.Amount(discount)
		out = append(out, l)
	}
	return out, rows.Err()
}

const settlementColumns = `id, merchant_id, business_date, gross_captured, refunds, discount, carried, net_amount, payment_count,
 status, attempts, last_error, paid_at, created_at`

func scanSettlement(s rowScanner) (settlement.Settlement, error) {
	var st settlement.Settlement
	var date int
	var gross, refunds, discount, carried, net, paid, created int64
	if err := s.Scan(&st.ID, &st.MerchantID, &date, &gross, &refunds, &discount, &carried, &net, &st.PaymentCount,
		&st.Status, &st.Attempts, &st.LastError, &paid, &created); err != nil {
		return settlement.Settlement{}, err
	}
	st.BusinessDate = clock.FromInt(date)
	st.GrossCaptured, st.Refunds, st.Discount = money.Amount(gross), money.Amount(refunds), money.Amount(discount)
	st.Carried, st.Net = money.Amount(carried), money.Amount(net)
	st.PaidAt, st.CreatedAt = fromMillis(paid), fromMillis(created)
	return st, nil
}

func (r *SettlementRepo) query(ctx context.Context, q string, args ...any) ([]settlement.Settlement, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: settlements: %w", err)
	}
	defer rows.Close()
	var out []settlement.Settlement
	for rows.Next() {
		s, err := scanSettlement(rows)
		if err != nil {
			return nil, fmt.Errorf("billing/data: settlements: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CarriedForward implements settlement.Repo.
func (r *SettlementRepo) CarriedForward(ctx context.Context, merchantID string, before clock.Date) ([]settlement.Settlement, error) {
	return r.query(ctx, `SELECT `+settlementColumns+` FROM merchant_settlement s WHERE merchant_id = ? AND status = ? AND business_date < ?
		AND NOT EXISTS (SELECT 1 FROM merchant_settlement_line l WHERE l.kind = ? AND l.source_id = s.id) ORDER BY business_date`,
		merchantID, settlement.StatusCarriedForward, before.Int(), settlement.LineCarryForward)
}

// Insert implements settlement.Repo.
func (r *SettlementRepo) Insert(ctx context.Context, s settlement.Settlement, lines []settlement.Line) (bool, error) {
	db := r.d.DB(ctx)
	res, err := db.ExecContext(ctx, r.d.Dialect.InsertIgnore()+` merchant_settlement (`+settlementColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.MerchantID, s.BusinessDate.Int(), int64(s.GrossCaptured), int64(s.Refunds), int64(s.Discount), int64(s.Carried), int64(s.Net),
		s.PaymentCount, s.Status, s.Attempts, s.LastError, millis(s.PaidAt), millis(s.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("billing/data: insert settlement: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for start := 0; start < len(lines); start += 200 {
		chunk := lines[start:min(start+200, len(lines))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO merchant_settlement_line (kind, source_id, settlement_id, payment_id, merchant_order_id, amount, discount) VALUES `)
		args := make([]any, 0, 7*len(chunk))
		for i, l := range chunk {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, l.Kind, l.SourceID, s.ID, l.PaymentID, l.MerchantOrderID, int64(l.Amount), int64(l.Discount))
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return false, fmt.Errorf("billing/data: insert settlement lines: %w", err)
		}
	}
	return true, nil
}

// Unpaid implements settlement.Repo.
func (r *SettlementRepo) Unpaid(ctx context.Context, through clock.Date) ([]settlement.Settlement, error) {
	return r.query(ctx, `SELECT `+settlementColumns+` FROM merchant_settlement WHERE status IN (?, ?) AND business_date <= ? ORDER BY business_date, id`,
		settlement.StatusPending, settlement.StatusFailed, through.Int())
}

// Lock implements settlement.Repo.
func (r *SettlementRepo) Lock(ctx context.Context, id int64) (settlement.Settlement, error) {
	s, err := scanSettlement(r.d.DB(ctx).QueryRowContext(ctx, `SELECT `+settlementColumns+` FROM merchant_settlement WHERE id = ?`+r.d.Dialect.ForUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return settlement.Settlement{}, settlement.ErrSettlementNotFound
	}
	if err != nil {
		return settlement.Settlement{}, fmt.Errorf("billing/data: lock settlement %d: %w", id, err)
	}
	return s, nil
}

// Update implements settlement.Repo.
func (r *SettlementRepo) Update(ctx context.Context, s settlement.Settlement) error {
	msg := s.LastError
	if len(msg) > 255 {
		msg = msg[:255]
	}
	_, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE merchant_settlement SET status = ?, attempts = ?, last_error = ?, paid_at = ? WHERE id = ?`,
		s.Status, s.Attempts, msg, millis(s.PaidAt), s.ID)
	if err != nil {
		return fmt.Errorf("billing/data: update settlement %d: %w", s.ID, err)
	}
	return nil
}

// List implements settlement.Repo.
func (r *SettlementRepo) List(ctx context.Context, merchantID string, afterID int64, limit int) ([]settlement.Settlement, error) {
	q := `SELECT ` + settlementColumns + ` FROM merchant_settlement WHERE merchant_id = ? AND status <> ?`
	args := []any{merchantID, settlement.StatusCarriedForward}
	if afterID != 0 {
		q += ` AND id < ?`
		args = append(args, afterID)
	}
	return r.query(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

// Get implements settlement.Repo.
func (r *SettlementRepo) Get(ctx context.Context, merchantID string, id int64) (settlement.Settlement, error) {
	s, err := scanSettlement(r.d.DB(ctx).QueryRowContext(ctx, `SELECT `+settlementColumns+` FROM merchant_settlement WHERE id = ? AND merchant_id = ? AND status <> ?`,
		id, merchantID, settlement.StatusCarriedForward))
	if errors.Is(err, sql.ErrNoRows) {
		return settlement.Settlement{}, settlement.ErrSettlementNotFound
	}
	if err != nil {
		return settlement.Settlement{}, fmt.Errorf("billing/data: load settlement %d: %w", id, err)
	}
	return s, nil
}

// Lines implements settlement.Repo: carried settlements first, then captures and refunds.
func (r *SettlementRepo) Lines(ctx context.Context, id int64) ([]settlement.Line, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT kind, source_id, payment_id, merchant_order_id, amount, discount FROM merchant_settlement_line
		WHERE settlement_id = ? ORDER BY CASE kind WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END, source_id`, id, settlement.LineCarryForward, settlement.LineCapture)
	if err != nil {
		return nil, fmt.Errorf("billing/data: settlement lines: %w", err)
	}
	defer rows.Close()
	var out []settlement.Line
	for rows.Next() {
		var l settlement.Line
		var amount, discount int64
		if err := rows.Scan(&l.Kind, &l.SourceID, &l.PaymentID, &l.MerchantOrderID, &amount, &discount); err != nil {
			return nil, err
		}
		l.Amount, l.Discount = money.Amount(amount), money.Amount(discount)
		out = append(out, l)
	}
	return out, rows.Err()
}

// PayableSubledger implements settlement.Repo.
func (r *SettlementRepo) PayableSubledger(ctx context.Context) (map[string]money.Amount, error) {
	out := map[string]money.Amount{}
	for _, q := range []string{
		`SELECT merchant_id, SUM(captured_amount - discount_amount) FROM payment WHERE captured_amount > 0 GROUP BY merchant_id`,
		`SELECT merchant_id, -SUM(amount - discount_returned) FROM payment_refund GROUP BY merchant_id`,
		`SELECT merchant_id, -SUM(net_amount) FROM merchant_settlement WHERE status = 'paid' GROUP BY merchant_id`,
	} {
		rows, err := r.d.DB(ctx).QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("billing/data: payable subledger: %w", err)
		}
		for rows.Next() {
			var m string
			var v int64
			if err := rows.Scan(&m, &v); err != nil {
				rows.Close()
				return nil, err
			}
			out[m] += money.Amount(v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MerchantPayments pages a merchant's payments, newest first, optionally by status and
// authorization date range (zero dates: open).
func (r *SettlementRepo) MerchantPayments(ctx context.Context, merchantID, status string, from, to clock.Date, afterID int64, limit int) ([]biz.Payment, error) {
	q := `SELECT ` + paymentColumns + ` FROM payment p WHERE p.merchant_id = ?`
	args := []any{merchantID}
	if status != "" {
		q += ` AND p.status = ?`
		args = append(args, status)
	}
	if !from.IsZero() {
		q += ` AND p.authorized_date >= ?`
		args = append(args, from.Int())
	}
	if !to.IsZero() {
		q += ` AND p.authorized_date <= ?`
		args = append(args, to.Int())
	}
	if afterID != 0 {
		q += ` AND p.id < ?`
		args = append(args, afterID)
	}
	rows, err := r.d.DB(ctx).QueryContext(ctx, q+` ORDER BY p.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("billing/data: merchant payments: %w", err)
	}
	defer rows.Close()
	var out []biz.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("billing/data: merchant payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SimulatedPayouts is the dev/test payout channel. Like biz.SimulatedChannel, each
// attempt fails with probability rate, decided by a hash of (seed, ref, attempt); what it
// paid it keeps in its own table (its "bank"), so a payout asked again — after a crash
// lost the caller's record of it — is recognised and not paid twice.
type SimulatedPayouts struct {
	d    *data.Data
	rate decimal.Decimal
	seed int64
}

var _ settlement.Channel = (*SimulatedPayouts)(nil)

// NewSimulatedPayouts returns the channel.
func NewSimulatedPayouts(d *data.Data, failureRate string, seed int64) (*SimulatedPayouts, error) {
	r, err := decimal.NewFromString(failureRate)
	if err != nil || r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)) {
		return nil, fmt.Errorf("settlement: payout failure_rate %q must be a fraction between 0 and 1", failureRate)
	}
	return &SimulatedPayouts{d: d, rate: r, seed: seed}, nil
}

// Payout implements settlement.Channel. It writes outside the caller's transaction: the
// bank's book does not roll back with ours.
func (c *SimulatedPayouts) Payout(ctx context.Context, ref, merchantID string, amount money.Amount, attempt int) (bool, string, error) {
	var n int
	if err := c.d.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM channel_payout WHERE ref = ?`, ref).Scan(&n); err != nil {
		return false, "", fmt.Errorf("settlement: channel: %w", err)
	}
	if n > 0 {
		return true, "", nil
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%d|%s|%d", c.seed, ref, attempt)))
	u := decimal.NewFromInt(int64(binary.BigEndian.Uint64(h[:8]) >> 11)).Div(decimal.NewFromInt(1 << 53))
	if u.LessThan(c.rate) {
		return false, "CHANNEL_DECLINED", nil
	}
	if _, err := c.d.SQL().ExecContext(ctx, `INSERT INTO channel_payout (id, ref, attempt, merchant_id, amount, paid_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ids.New(), ref, attempt, merchantID, int64(amount), millis(clock.Real{}.Now())); err != nil {
		return false, "", fmt.Errorf("settlement: channel: %w", err)
	}
	return true, "", nil
}
