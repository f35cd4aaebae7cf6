package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/ids"
)

// Event types (DESIGN §10). Receivers dedupe by Event id.
const (
	PaymentAuthorized     = "payment.authorized"
	PaymentDeclined       = "payment.declined"
	PaymentCaptured       = "payment.captured"
	PaymentCancelled      = "payment.cancelled"
	PaymentRefunded       = "payment.refunded"
	StatementIssued       = "statement.issued"
	RepaymentReceived     = "repayment.received"
	InstallmentPlanCreate = "installment_plan.created"
	AccountOverdue        = "account.overdue"
	AccountChargedOff     = "account.charged_off"
	PoolSold              = "pool.sold"
	SettlementPaid        = "settlement.paid"
)

// Event is one business event to record. MerchantID routes it to that merchant's webhook
// and event list ("" for events no merchant receives); Data is marshalled to JSON.
type Event struct {
	Type       string
	MerchantID string
	Data       any
}

// New returns an event of type t for merchantID ("" for none) with data.
func New(t, merchantID string, data any) Event {
	return Event{Type: t, MerchantID: merchantID, Data: data}
}

// Stored is a recorded event as it is delivered: {id, type, created_at, data}.
type Stored struct {
	Seq        int64           `json:"-"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CreatedAt  time.Time       `json:"created_at"`
	Data       json.RawMessage `json:"data"`
	MerchantID string          `json:"-"`
	Position   int64           `json:"-"`
}

// IDOf is the public id of the event with sequence seq: stable, since seq is its key.
func IDOf(seq int64) string { return "evt_" + ids.String(seq) }

// SeqOf parses an id made by IDOf.
func SeqOf(id string) (int64, bool) {
	s, ok := strings.CutPrefix(id, "evt_")
	if !ok {
		return 0, false
	}
	return ids.Parse(s)
}

// Store records events in the caller's transaction.
type Store struct {
	d   *data.Data
	clk clock.Clock
}

// NewStore returns a store on d; created_at comes from clk (the business clock).
func NewStore(d *data.Data, clk clock.Clock) *Store { return &Store{d: d, clk: clk} }

// Emit records events in the transaction carried by ctx (one multi-row INSERT). Called
// outside a transaction it writes on its own, which only jobs that have no business change
// to pair with should do.
func (s *Store) Emit(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	now := s.clk.Now().UnixMilli()
	var sb strings.Builder
	sb.WriteString("INSERT INTO outbox_event (seq, type, merchant_id, data, created_at, position, relayed_at) VALUES ")
	args := make([]any, 0, 5*len(events))
	for i, e := range events {
		body, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("outbox: marshal %s: %w", e.Type, err)
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, 0, 0)")
		args = append(args, ids.New(), e.Type, e.MerchantID, string(body), now)
	}
	if _, err := s.d.DB(ctx).ExecContext(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("outbox: record events: %w", err)
	}
	return nil
}

// Discard drops events: unit tests and tools that run a domain without an outbox.
type Discard struct{}

// Emit implements the domains' event ports.
func (Discard) Emit(context.Context, ...Event) error { return nil }

// Pending returns up to limit events the relay has not delivered yet, oldest first.
func (s *Store) Pending(ctx context.Context, limit int) ([]Stored, error) {
	return s.query(ctx, "SELECT seq, type, merchant_id, data, created_at, position FROM outbox_event WHERE position = 0 ORDER BY seq LIMIT ?", limit)
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Stored, error) {
	rows, err := s.d.DB(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: read events: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var e Stored
		var body string
		var created int64
		if err := rows.Scan(&e.Seq, &e.Type, &e.MerchantID, &body, &created, &e.Position); err != nil {
			return nil, fmt.Errorf("outbox: read events: %w", err)
		}
		e.ID, e.Data, e.CreatedAt = IDOf(e.Seq), json.RawMessage(body), time.UnixMilli(created).In(clock.Location)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrUnknownEvent is returned by MerchantEvents for an after id that is not one of the
// merchant's delivered events.
var ErrUnknownEvent = errors.New("outbox: unknown event")

// MerchantEvents lists the merchant's relayed events after the event afterID ("" from
// the start) in delivery order. Only relayed events are listed: their positions are
// final, so paging never skips an event that committed late.
func (s *Store) MerchantEvents(ctx context.Context, merchantID, afterID string, limit int) ([]Stored, error) {
	var after int64
	if afterID != "" {
		seq, ok := SeqOf(afterID)
		if !ok {
			return nil, ErrUnknownEvent
		}
		err := s.d.DB(ctx).QueryRowContext(ctx, "SELECT position FROM outbox_event WHERE seq = ? AND merchant_id = ?", seq, merchantID).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && after == 0) {
			return nil, ErrUnknownEvent
		}
		if err != nil {
			return nil, fmt.Errorf("outbox: read event: %w", err)
		}
	}
	return s.query(ctx, "SELECT seq, type, merchant_id, data, created_at, position FROM outbox_event WHERE merchant_id = ? AND position > ? ORDER BY position LIMIT ?",
		merchantID, after, limit)
}
