package biz

import (
	"context"
	"strings"
	"time"

	"github.com/huabei/huabei/app/money"
)

// Stable authorization decline reasons (API.md).
const (
	DeclineInsufficientCredit = "INSUFFICIENT_CREDIT"
	DeclineAccountFrozen      = "ACCOUNT_FROZEN"
	DeclineAccountOverdue     = "ACCOUNT_OVERDUE"
	DeclineVelocityLimit      = "VELOCITY_LIMIT"
	DeclineAmountLimit        = "AMOUNT_LIMIT"
	DeclineMerchantBlocked    = "MERCHANT_BLOCKED"
	DeclineCashOutRisk        = "CASH_OUT_RISK"
	DeclineFundingExhausted   = "FUNDING_EXHAUSTED"
	DeclineNoCreditLine       = "NO_CREDIT_LINE"
)

// VelocityEntry is one approved payment as the velocity windows count it.
type VelocityEntry struct {
	UserID     string
	MerchantID string
	PaymentID  int64
	Amount     money.Amount
	// NearLimitRound marks a round amount close to the whole available credit (the
	// cash-out pattern's building block).
	NearLimitRound bool
	At             time.Time
}

// VelocityLimits are the window thresholds (0 = unlimited).
type VelocityLimits struct {
	MaxPerHour, MaxPerDay       int
	MaxAmountHour, MaxAmountDay money.Amount
	// RoundRepeats declines the RoundRepeats-th near-limit round amount at the same
	// merchant within 24 hours (0 = off).
	RoundRepeats int
}

// VelocityStore keeps per-user sliding windows of approved payments (1 hour and 24
// hours). Implementations: Redis (a sorted set per user, one script round trip) and in
// process.
type VelocityStore interface {
	// Admit counts e unless, with it, a limit would be exceeded; then it counts nothing and
	// returns DeclineVelocityLimit or DeclineCashOutRisk. Admitting the same payment again
	// (a retried transaction) does not count it twice.
	Admit(ctx context.Context, e VelocityEntry, lim VelocityLimits) (reason string, err error)
	// Forget uncounts an admitted entry whose hold then failed.
	Forget(ctx context.Context, e VelocityEntry)
}

// RiskInput is one authorization as the rules see it.
type RiskInput struct {
	Line             *Line // computed as of Now
	Amount           money.Amount
	MerchantID       string
	MerchantCategory string
	PaymentID        int64
	Now              time.Time
	// Funding is the money available to lend; negative means unknown (rule skipped).
	Funding money.Amount
}

// RiskEngine runs the authorization rules of DESIGN §6 in order: account status,
// per-payment cap, merchant category block, amount vs available, cash-out right after
// opening, funding, then (one velocity round trip) hourly/daily counts and amounts and
// repeated near-limit round amounts at one merchant.
//
// Cash-out patterns (thresholds in config):
//   - opening: within CashOutOpeningWindow (1h) of the line opening, a payment of at least
//     CashOutOpeningShare (95%) of the effective limit;
//   - round repeats: a payment that is a multiple of CashOutRoundUnit (100.00) and at least
//     CashOutRoundShare (90%) of the available credit is "near-limit round"; the
//     CashOutRoundRepeats-th (3rd) such approved payment at the same merchant within 24h
//     is declined (spend, repay, spend again: the classic 套现 loop).
type RiskEngine struct {
	rules    RiskRules
	limits   VelocityLimits
	velocity VelocityStore
}

// NewRiskEngine returns the engine.
func NewRiskEngine(rules RiskRules, velocity VelocityStore) *RiskEngine {
	return &RiskEngine{rules: rules, velocity: velocity, limits: VelocityLimits{
		MaxPerHour: rules.MaxPaymentsPerHour, MaxPerDay: rules.MaxPaymentsPerDay,
		MaxAmountHour: rules.MaxAmountPerHour, MaxAmountDay: rules.MaxAmountPerDay,
		RoundRepeats: rules.CashOutRoundRepeats,
	}}
}

func statusDecline(l *Line) string {
	switch l.Status {
	case StatusClosed:
		return DeclineNoCreditLine
	case StatusFrozen:
		return DeclineAccountFrozen
	case StatusOverdue:
		return DeclineAccountOverdue
	}
	return ""
}

// Precheck runs the rules that need no I/O; "" means they pass.
func (r *RiskEngine) Precheck(in *RiskInput) string {
	l := in.Line
	if s := statusDecline(l); s != "" {
		return s
	}
	if r.rules.MaxAmountPerPayment > 0 && in.Amount > r.rules.MaxAmountPerPayment {
		return DeclineAmountLimit
	}
	if in.MerchantCategory != "" && len(r.rules.BlockedCategories) > 0 &&
		(r.rules.BlockedCategories[in.MerchantCategory] || r.rules.BlockedCategories[strings.ToLower(in.MerchantCategory)]) {
		return DeclineMerchantBlocked
	}
	if in.Amount > l.Available {
		return DeclineInsufficientCredit
	}
	if r.rules.CashOutOpeningShare.IsPositive() && in.Now.Sub(l.OpenedAt) < r.rules.CashOutOpeningWindow &&
		in.Amount >= l.EffectiveLimit.MulRate(r.rules.CashOutOpeningShare, money.Up) {
		return DeclineCashOutRisk
	}
	return ""
}

func (r *RiskEngine) nearLimitRound(in *RiskInput) bool {
	return r.limits.RoundRepeats > 0 && in.Amount%r.rules.CashOutRoundUnit == 0 &&
		in.Amount >= in.Line.Available.MulRate(r.rules.CashOutRoundShare, money.Up)
}

// Admit runs the funding rule and then the velocity and round-amount rules, counting the
// payment when all pass; the entry is returned so a failed hold can Forget it.
func (r *RiskEngine) Admit(ctx context.Context, in *RiskInput) (string, VelocityEntry, error) {
	if in.Funding >= 0 && in.Amount > in.Funding {
		return DeclineFundingExhausted, VelocityEntry{}, nil
	}
	e := VelocityEntry{UserID: in.Line.UserID, MerchantID: in.MerchantID, PaymentID: in.PaymentID,
		Amount: in.Amount, NearLimitRound: r.nearLimitRound(in), At: in.Now}
	if r.velocity == nil {
		return "", e, nil
	}
	reason, err := r.velocity.Admit(ctx, e, r.limits)
	return reason, e, err
}

// Forget uncounts an admitted entry.
func (r *RiskEngine) Forget(ctx context.Context, e VelocityEntry) {
	if r.velocity != nil && e.UserID != "" {
		r.velocity.Forget(ctx, e)
	}
}

// Decide runs every rule (Precheck, then Admit) — the whole decision the benchmark times.
func (r *RiskEngine) Decide(ctx context.Context, in *RiskInput) (string, error) {
	if s := r.Precheck(in); s != "" {
		return s, nil
	}
	s, _, err := r.Admit(ctx, in)
	return s, err
}
