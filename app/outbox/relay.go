package outbox

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/data"
)

// StreamKey is the Redis stream every event is added to (consumers read it with
// consumer groups: XREADGROUP).
const StreamKey = "huabei:events"

// streamMaxLen bounds the stream (approximately): consumers that fall further behind
// replay from GET /v1/merchants/{id}/events or the outbox table.
const streamMaxLen = 1_000_000

// Config tunes the relay and webhook deliveries.
type Config struct {
	// PollInterval is how long the relay sleeps when it found nothing to do.
	PollInterval time.Duration
	// Batch is how many events one relay pass moves.
	Batch int
	// WebhookTimeout bounds one delivery (connect, TLS, request and response).
	WebhookTimeout time.Duration
	// RetryBase is the first retry delay; each failure doubles it up to RetryMax.
	RetryBase, RetryMax time.Duration
	// RetryWindow is how long after the first attempt a failing delivery is retried
	// before it is dead-lettered (24 h).
	RetryWindow time.Duration
	// AllowPrivateTargets lets webhooks reach loopback and private addresses (never in
	// production mode).
	AllowPrivateTargets bool
}

// DefaultConfig is the production tuning.
func DefaultConfig() Config {
	return Config{PollInterval: 200 * time.Millisecond, Batch: 200, WebhookTimeout: 10 * time.Second,
		RetryBase: 10 * time.Second, RetryMax: time.Hour, RetryWindow: 24 * time.Hour}
}

// Progress is the lease the relay holds (job.Run): saving progress renews it, and fails
// once another runner took the relay over, so a stale runner stops.
type Progress interface {
	SaveCheckpoint(ctx context.Context, cp string, processedDelta int) error
}

// Relay delivers recorded events in order, at least once: each pass publishes pending
// events to the stream, then in one transaction gives them their delivery position and
// queues a webhook delivery for their merchant; then it sends due webhook deliveries.
// A crash between publishing and marking publishes the same events (same ids) again.
type Relay struct {
	d     *data.Data
	store *Store
	rdb   *redis.Client // nil: no stream
	hooks *Webhooks
	cfg   Config
	log   *log.Helper
	now   func() time.Time
}

// NewRelay returns the relay; rdb nil publishes to no stream.
func NewRelay(d *data.Data, store *Store, rdb *redis.Client, hooks *Webhooks, cfg Config, logger log.Logger) *Relay {
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	return &Relay{d: d, store: store, rdb: rdb, hooks: hooks, cfg: cfg, now: time.Now,
		log: log.NewHelper(log.With(logger, "module", "outbox/relay"))}
}

// Run relays until ctx ends (the job runner's continuous run). Failures (Redis or the
// database away) are logged and retried after a pause; a lost lease fails every
// SaveCheckpoint (nothing is marked) until the runner notices and cancels ctx.
func (r *Relay) Run(ctx context.Context, p Progress) error {
	pos, err := r.lastPosition(ctx)
	if err != nil {
		return err
	}
	pause := r.cfg.PollInterval
	for ctx.Err() == nil {
		moved, err := r.relayOnce(ctx, p, &pos)
		if err == nil {
			var sent int
			sent, err = r.hooks.DeliverDue(ctx)
			moved += sent
		}
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.WithContext(ctx).Warnw("msg", "event relay pass failed; retrying", "error", err)
			pause = min(pause*2, 5*time.Second)
		case moved > 0:
			pause = r.cfg.PollInterval
			continue
		default:
			pause = r.cfg.PollInterval
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
	return nil
}

func (r *Relay) lastPosition(ctx context.Context) (int64, error) {
	var pos int64
	if err := r.d.SQL().QueryRowContext(ctx, "SELECT COALESCE(MAX(position), 0) FROM outbox_event").Scan(&pos); err != nil {
		return 0, fmt.Errorf("outbox: last position: %w", err)
	}
	return pos, nil
}

// relayOnce moves one batch of pending events; it returns how many.
func (r *Relay) relayOnce(ctx context.Context, p Progress, pos *int64) (int, error) {
	evs, err := r.store.Pending(ctx, r.cfg.Batch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if r.rdb != nil {
		pipe := r.rdb.Pipeline()
		for _, e := range evs {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey, MaxLen: streamMaxLen, Approx: true, Values: map[string]any{
				"id": e.ID, "type": e.Type, "created_at": e.CreatedAt.Format(time.RFC3339Nano),
				"merchant_id": e.MerchantID, "data": string(e.Data)}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("outbox: publish to %s: %w", StreamKey, err)
		}
	}
	next := *pos
	now := r.now().UnixMilli()
	err = r.d.InTx(ctx, func(ctx context.Context) error {
		next = *pos
		db := r.d.DB(ctx)
		for _, e := range evs {
			next++
			res, err := db.ExecContext(ctx, "UPDATE outbox_event SET position = ?, relayed_at = ? WHERE seq = ? AND position = 0", next, now, e.Seq)
			if err != nil {
				return fmt.Errorf("outbox: mark relayed: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("outbox: event %s relayed by another runner", e.ID)
			}
			if e.MerchantID != "" {
				if err := r.hooks.enqueue(ctx, e.Seq, e.MerchantID, now); err != nil {
					return err
				}
			}
		}
		return p.SaveCheckpoint(ctx, strconv.FormatInt(next, 10), len(evs))
	})
	if err != nil {
		return 0, err
	}
	*pos = next
	relayedTotal.Add(float64(len(evs)))
	return len(evs), nil
}

// NoLease is the Progress of tests that run the relay without a job lease.
type NoLease struct{}

// SaveCheckpoint implements Progress.
func (NoLease) SaveCheckpoint(context.Context, string, int) error { return nil }
