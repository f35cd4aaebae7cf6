package biz

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// PaymentChannel collects money from a shopper's funding source (bank card, balance).
// Collect must be idempotent by ref: asking again with a ref that succeeded returns the
// same success without collecting twice.
type PaymentChannel interface {
	Collect(ctx context.Context, ref, userID string, amount money.Amount, attempt int) (ok bool, reason string, err error)
}

// SimulatedChannel is the dev/test channel: each attempt fails with probability
// FailureRate, decided by a hash of (seed, ref, attempt) so runs are reproducible.
type SimulatedChannel struct {
	rate decimal.Decimal
	seed int64
	mu   sync.Mutex
	done map[string]money.Amount
}

// NewSimulatedChannel returns the simulated channel.
func NewSimulatedChannel(failureRate string, seed int64) (*SimulatedChannel, error) {
	r, err := decimal.NewFromString(failureRate)
	if err != nil || r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)) {
		return nil, fmt.Errorf("billing: channel failure_rate %q must be a fraction between 0 and 1", failureRate)
	}
	return &SimulatedChannel{rate: r, seed: seed, done: map[string]money.Amount{}}, nil
}

// Collect implements PaymentChannel.
func (c *SimulatedChannel) Collect(_ context.Context, ref, _ string, amount money.Amount, attempt int) (bool, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.done[ref]; ok {
		return true, "", nil
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%d|%s|%d", c.seed, ref, attempt)))
	u := decimal.NewFromInt(int64(binary.BigEndian.Uint64(h[:8]) >> 11)).Div(decimal.NewFromInt(1 << 53))
	if u.LessThan(c.rate) {
		return false, "CHANNEL_DECLINED", nil
	}
	c.done[ref] = amount
	return true, "", nil
}
