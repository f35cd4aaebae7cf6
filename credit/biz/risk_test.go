package biz

import (
	"context"
	"testing"
	"time"

	"github.com/huabei/huabei/app/money"
)

var now = time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)

func TestLineCompute(t *testing.T) {
	l := Line{AccountStatus: StatusActive, Limit: money.Yuan(6000), TempLimit: money.Yuan(9000),
		TempLimitExpiresAt: now.Add(time.Hour), Outstanding: money.Yuan(1000), Held: money.Yuan(500)}
	l.Compute(now)
	if l.EffectiveLimit != money.Yuan(9000) || l.Available != money.Yuan(7500) || l.Status != StatusActive {
		t.Fatalf("before expiry: %+v", l)
	}
	l.Compute(now.Add(time.Hour))
	if l.EffectiveLimit != money.Yuan(6000) || l.Available != money.Yuan(4500) {
		t.Fatalf("at expiry: %+v", l)
	}
	l.Limit = money.Yuan(1000) // lowered below what is drawn: available is zero, not negative
	l.Frozen = true
	l.Compute(now.Add(time.Hour))
	if l.Available != 0 || l.Status != StatusFrozen {
		t.Fatalf("lowered and frozen: %+v", l)
	}
	l.AccountStatus = StatusClosed
	l.Compute(now)
	if l.Status != StatusClosed {
		t.Fatalf("closed and frozen reports %s", l.Status)
	}
}

type countingVelocity struct{ admits int }

func (c *countingVelocity) Admit(context.Context, VelocityEntry, VelocityLimits) (string, error) {
	c.admits++
	return "", nil
}
func (c *countingVelocity) Forget(context.Context, VelocityEntry) {}

func TestRiskPrecheckTable(t *testing.T) {
	rules, err := DefaultConfig().Risk.Rules()
	if err != nil {
		t.Fatal(err)
	}
	v := &countingVelocity{}
	r := NewRiskEngine(rules, v)
	line := func(mut func(*Line)) *Line {
		l := &Line{UserID: "u", AccountStatus: StatusActive, Limit: money.Yuan(30000), OpenedAt: now.Add(-48 * time.Hour)}
		if mut != nil {
			mut(l)
		}
		l.Compute(now)
		return l
	}
	tests := []struct {
		name     string
		line     *Line
		amount   money.Amount
		category string
		funding  money.Amount
		want     string
	}{
		{"ok", line(nil), money.Yuan(100), "apparel", -1, ""},
		{"frozen", line(func(l *Line) { l.Frozen = true }), money.Yuan(100), "", -1, DeclineAccountFrozen},
		{"overdue", line(func(l *Line) { l.AccountStatus = StatusOverdue }), money.Yuan(100), "", -1, DeclineAccountOverdue},
		{"closed", line(func(l *Line) { l.AccountStatus = StatusClosed }), money.Yuan(100), "", -1, DeclineNoCreditLine},
		{"per-payment cap", line(nil), money.MustParse("20000.01"), "", -1, DeclineAmountLimit},
		{"at the cap", line(nil), money.Yuan(20000), "", -1, ""},
		{"blocked category", line(nil), money.Yuan(100), "Gambling", -1, DeclineMerchantBlocked},
		{"over available", line(func(l *Line) { l.Outstanding = money.Yuan(29950) }), money.Yuan(100), "", -1, DeclineInsufficientCredit},
		{"max spend within an hour of opening", line(func(l *Line) { l.Limit = money.Yuan(1000); l.OpenedAt = now.Add(-30 * time.Minute) }), money.Yuan(950), "", -1, DeclineCashOutRisk},
		{"max spend after the window", line(func(l *Line) { l.Limit = money.Yuan(1000); l.OpenedAt = now.Add(-61 * time.Minute) }), money.Yuan(950), "", -1, ""},
		{"funding exhausted", line(nil), money.Yuan(100), "", money.MustParse("99.99"), DeclineFundingExhausted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := RiskInput{Line: tt.line, Amount: tt.amount, MerchantCategory: tt.category, Now: now, Funding: tt.funding, PaymentID: 1}
			got, err := r.Decide(context.Background(), &in)
			if err != nil || got != tt.want {
				t.Fatalf("Decide = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if v.admits != 3 { // only the decisions that passed every other rule reach the velocity store
		t.Fatalf("velocity admits %d, want 3", v.admits)
	}
}
