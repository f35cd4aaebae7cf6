package biz

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// memRepo is an in-memory PaymentRepo.
type memRepo struct {
	mu        sync.Mutex
	payments  map[int64]Payment
	purchases map[int64]Purchase // by payment id
	refunds   []Refund
}

func newMemRepo() *memRepo {
	return &memRepo{payments: map[int64]Payment{}, purchases: map[int64]Purchase{}}
}

func (m *memRepo) InsertPayment(_ context.Context, p Payment) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.payments {
		if q.MerchantID == p.MerchantID && q.MerchantOrderID == p.MerchantOrderID {
			return false, nil
		}
	}
	m.payments[p.ID] = p
	return true, nil
}
func (m *memRepo) PaymentByOrder(_ context.Context, merchantID, orderID string) (Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.payments {
		if q.MerchantID == merchantID && q.MerchantOrderID == orderID {
			return q, nil
		}
	}
	return Payment{}, ErrPaymentNotFound
}
func (m *memRepo) Payment(_ context.Context, id int64, _ bool) (Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payments[id]
	if !ok {
		return Payment{}, ErrPaymentNotFound
	}
	if pu, ok := m.purchases[id]; ok {
		p.PlanID = pu.PlanID
	}
	return p, nil
}
func (m *memRepo) UpdatePayment(_ context.Context, p Payment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.PlanID = 0
	m.payments[p.ID] = p
	return nil
}
func (m *memRepo) DueAuthorizations(_ context.Context, date clock.Date, limit int) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int64
	for id, p := range m.payments {
		if p.Status == PaymentAuthorized && !p.AuthorizedDate.After(date) {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := m.payments[out[i]], m.payments[out[j]]
		if !a.AuthorizedDate.Equal(b.AuthorizedDate) {
			return a.AuthorizedDate.Before(b.AuthorizedDate)
		}
		return out[i] < out[j]
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memRepo) InsertPurchase(_ context.Context, p Purchase) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.purchases[p.PaymentID] = p
	return nil
}
func (m *memRepo) PurchaseByPayment(_ context.Context, paymentID int64, _ bool) (Purchase, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.purchases[paymentID]
	if !ok {
		return Purchase{}, ErrPurchaseNotFound
	}
	return p, nil
}
func (m *memRepo) UpdatePurchaseRefund(_ context.Context, p Purchase) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.purchases[p.PaymentID]
	q.RefundedAmount, q.PrincipalOutstanding = p.RefundedAmount, p.PrincipalOutstanding
	m.purchases[p.PaymentID] = q
	return nil
}
func (m *memRepo) SetPurchasePlan(_ context.Context, _ string, purchaseID, planID int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, p := range m.purchases {
		if p.ID == purchaseID {
			p.PlanID = planID
			m.purchases[k] = p
		}
	}
	return nil
}
func (m *memRepo) InsertRefund(_ context.Context, r Refund) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refunds = append(m.refunds, r)
	return nil
}
func (m *memRepo) Refunds(_ context.Context, paymentID int64) ([]Refund, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Refund
	for _, r := range m.refunds {
		if r.PaymentID == paymentID {
			out = append(out, r)
		}
	}
	return out, nil
}

type noTx struct{}

func (noTx) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

// memCredit approves below a limit; calls counts every call.
type memCredit struct {
	limit, held, outstanding money.Amount
	decline                  string
	calls                    int
}

func (c *memCredit) Authorize(_ context.Context, r CreditAuthRequest) (CreditAuthDecision, error) {
	c.calls++
	if c.decline != "" {
		return CreditAuthDecision{Reason: c.decline}, nil
	}
	if c.held+c.outstanding+r.Amount > c.limit {
		return CreditAuthDecision{Reason: "INSUFFICIENT_CREDIT"}, nil
	}
	c.held += r.Amount
	return CreditAuthDecision{Approved: true}, nil
}
func (c *memCredit) CaptureHold(_ context.Context, _ string, held, captured money.Amount) error {
	c.held -= held
	c.outstanding += captured
	return nil
}
func (c *memCredit) ReleaseHold(_ context.Context, _ string, a money.Amount) error {
	c.held -= a
	return nil
}
func (c *memCredit) ReleaseOutstanding(_ context.Context, _ string, a money.Amount) error {
	c.outstanding -= a
	return nil
}

// memLedger keeps balances by account:owner (debit positive) and refuses unbalanced entries.
type memLedger struct {
	entries  []ledger.Entry
	balances map[string]money.Amount
}

func (l *memLedger) Post(_ context.Context, e ledger.Entry) (ledger.Entry, error) {
	var sum money.Amount
	for _, p := range e.Postings {
		if p.Amount <= 0 {
			return ledger.Entry{}, ledger.ErrInvalidAmount
		}
		if p.Debit {
			sum += p.Amount
		} else {
			sum -= p.Amount
		}
	}
	if sum != 0 || e.BusinessDate.IsZero() {
		return ledger.Entry{}, ledger.ErrUnbalanced
	}
	if l.balances == nil {
		l.balances = map[string]money.Amount{}
	}
	for _, p := range e.Postings {
		k := p.Account + ":" + p.Owner
		if p.Debit {
			l.balances[k] += p.Amount
		} else {
			l.balances[k] -= p.Amount
		}
	}
	l.entries = append(l.entries, e)
	return e, nil
}

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

type hooks struct {
	captured []Purchase
	refunded []Refund
	before   []Purchase
	planID   int64
	err      error
}

func (h *hooks) PurchaseCaptured(_ context.Context, p Purchase) (int64, error) {
	h.captured = append(h.captured, p)
	return h.planID, h.err
}
func (h *hooks) PurchaseRefunded(_ context.Context, before Purchase, r Refund) error {
	h.before = append(h.before, before)
	h.refunded = append(h.refunded, r)
	return h.err
}

type fixture struct {
	uc     *PaymentUseCase
	repo   *memRepo
	credit *memCredit
	ledger *memLedger
	clk    *stepClock
}

var bizDay = clock.NewDate(2026, 11, 5)

func newFixture() *fixture {
	f := &fixture{repo: newMemRepo(), credit: &memCredit{limit: money.Yuan(5000)}, ledger: &memLedger{}, clk: &stepClock{now: bizDay.Start().Add(time.Hour)}}
	cfg := DefaultPaymentConfig()
	cfg.Categories = []string{"general", "travel"}
	cfg.CategoryDiscountRates = map[string]decimal.Decimal{"travel": decimal.RequireFromString("0.008")}
	f.uc = NewPaymentUseCase(f.repo, noTx{}, f.credit, f.ledger, outbox.Discard{}, f.clk, cfg, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)))
	return f
}

func (f *fixture) authorize(t *testing.T, order string, amount money.Amount, category string) Payment {
	t.Helper()
	p, err := f.uc.Authorize(context.Background(), AuthorizeRequest{UserID: "u1", MerchantID: "m1", MerchantOrderID: order, Amount: amount, MerchantCategory: category})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCumulativeDiscount(t *testing.T) {
	for _, tc := range []struct {
		discount, refunded, captured, want int64
	}{
		{360, 0, 60000, 0},
		{360, 10001, 60000, 60},  // 60.006
		{360, 10084, 60000, 61},  // 60.504 → 61 (half-up)
		{360, 60000, 60000, 360}, // all
		{1, 1, 3, 0},             // 0.33
		{1, 2, 3, 1},             // 0.67
		{0, 100, 100, 0},
		{599, 99999, 100000, 599}, // 598.994 → 599
	} {
		got := CumulativeDiscount(money.Amount(tc.discount), money.Amount(tc.refunded), money.Amount(tc.captured))
		if got != money.Amount(tc.want) {
			t.Errorf("CumulativeDiscount(%d, %d, %d) = %d, want %d", tc.discount, tc.refunded, tc.captured, got, tc.want)
		}
	}
}

// TestRefundDiscountNeverExceeds: whatever the sequence of partial refunds, the discount
// given back is non-negative per refund and sums to at most the discount (exactly it
// once all is refunded).
func TestRefundDiscountNeverExceeds(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	for range 2000 {
		captured := money.Amount(1 + rng.Int64N(10_000_000))
		discount := captured.MulRate(decimal.RequireFromString("0.006"), money.HalfUp)
		var refunded, back money.Amount
		for refunded < captured {
			step := money.Amount(1 + rng.Int64N(int64(captured-refunded)))
			if rng.IntN(3) == 0 {
				step = captured - refunded
			}
			refunded += step
			d := CumulativeDiscount(discount, refunded, captured) - back
			if d < 0 {
				t.Fatalf("negative discount share %d (captured %d refunded %d)", d, captured, refunded)
			}
			back += d
			if back > discount {
				t.Fatalf("returned %d of discount %d", back, discount)
			}
		}
		if back != discount {
			t.Fatalf("full refund returned %d of %d", back, discount)
		}
	}
}

func TestAuthorizeRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	if _, err := f.uc.Authorize(ctx, AuthorizeRequest{UserID: "u1", MerchantID: "m1", MerchantOrderID: "x", Amount: 100, MerchantCategory: "weapons"}); !errors.Is(err, ErrUnknownMerchantCategory) {
		t.Fatalf("unknown category: %v", err)
	}
	if f.credit.calls != 0 || len(f.repo.payments) != 0 {
		t.Fatal("a rejected request touched something")
	}
	p := f.authorize(t, "o1", money.MustParse("10.00"), "")
	if p.MerchantCategory != "general" || !p.AuthorizedDate.Equal(bizDay) || p.Status != PaymentAuthorized {
		t.Fatalf("authorize: %+v", p)
	}
	again := f.authorize(t, "o1", money.MustParse("99.00"), "travel")
	if again.ID != p.ID || f.credit.calls != 1 {
		t.Fatalf("repeat order: %+v, credit calls %d", again, f.credit.calls)
	}
	f.credit.decline = "MERCHANT_BLOCKED"
	d := f.authorize(t, "o2", money.MustParse("10.00"), "")
	if d.Status != PaymentDeclined || d.DeclineReason != "MERCHANT_BLOCKED" {
		t.Fatalf("decline: %+v", d)
	}
	if stored, _ := f.repo.Payment(ctx, d.ID, false); stored.Status != PaymentDeclined {
		t.Fatalf("decline not stored: %+v", stored)
	}
}

func TestCaptureBooksDiscountAndCallsHook(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, category          string
		authorized, capture     money.Amount
		wantDiscount, wantHeld0 money.Amount
	}{
		{"full default rate", "general", money.MustParse("199.99"), 0, money.MustParse("1.20"), 0},                // 1.19994
		{"partial", "general", money.MustParse("1000.00"), money.MustParse("250.25"), money.MustParse("1.50"), 0}, // 1.5015
		{"category rate", "travel", money.MustParse("100.00"), 0, money.MustParse("0.80"), 0},
		{"half-up", "general", money.MustParse("0.75"), 0, money.MustParse("0.00"), 0},      // 0.0045
		{"half-up edge", "general", money.MustParse("2.50"), 0, money.MustParse("0.02"), 0}, // 0.015
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			h := &hooks{planID: 77}
			f.uc.SetCaptureHook(h)
			p := f.authorize(t, "o", tc.authorized, tc.category)
			c, err := f.uc.Capture(ctx, p.ID, tc.capture, Scope{MerchantID: "m1"})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.capture
			if want == 0 {
				want = tc.authorized
			}
			if c.CapturedAmount != want || c.DiscountAmount != tc.wantDiscount || c.PlanID != 77 {
				t.Fatalf("capture: %+v", c)
			}
			if f.credit.held != 0 || f.credit.outstanding != want {
				t.Fatalf("line: held %v outstanding %v", f.credit.held, f.credit.outstanding)
			}
			b := f.ledger.balances
			if b["receivable.principal:u1"] != want || b["merchant.payable:m1"] != -(want-tc.wantDiscount) || b["income.merchant_discount:"] != -tc.wantDiscount {
				t.Fatalf("ledger: %v", b)
			}
			if e := f.ledger.entries[0]; e.IdempotencyID != captureEntryID(p.ID) || !e.BusinessDate.Equal(bizDay) {
				t.Fatalf("entry: %+v", e)
			}
			if len(h.captured) != 1 || h.captured[0].Amount != want || h.captured[0].PrincipalOutstanding != want || h.captured[0].Owner != OwnerLender {
				t.Fatalf("hook: %+v", h.captured)
			}
			if pu, _ := f.repo.PurchaseByPayment(ctx, p.ID, false); pu.PlanID != 77 {
				t.Fatalf("plan not recorded: %+v", pu)
			}
		})
	}
}

func TestCaptureHookErrorFailsCapture(t *testing.T) {
	f := newFixture()
	boom := errors.New("plan failed")
	f.uc.SetCaptureHook(&hooks{err: boom})
	p := f.authorize(t, "o", 1000, "")
	if _, err := f.uc.Capture(context.Background(), p.ID, 0, Scope{}); !errors.Is(err, boom) {
		t.Fatalf("hook error: %v", err)
	}
}

func TestRefundSplitsAndCallsHook(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	h := &hooks{}
	f.uc.SetRefundHook(h)
	p := f.authorize(t, "o", money.MustParse("500.00"), "")
	if _, err := f.uc.Capture(ctx, p.ID, 0, Scope{}); err != nil {
		t.Fatal(err)
	}
	// billing repaid 400.00 of the purchase
	pu := f.repo.purchases[p.ID]
	pu.PrincipalOutstanding = money.MustParse("100.00")
	f.repo.purchases[p.ID] = pu
	f.credit.outstanding = pu.PrincipalOutstanding

	r, pay, err := f.uc.Refund(ctx, RefundRequest{PaymentID: p.ID, Amount: money.MustParse("150.00"), Reason: "size"}, Scope{MerchantID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ToPrincipal != money.MustParse("100.00") || r.ToCreditBalance != money.MustParse("50.00") || r.DiscountReturned != money.MustParse("0.90") {
		t.Fatalf("refund: %+v", r)
	}
	if pay.RefundedAmount != r.Amount || pay.Status != PaymentCaptured || f.credit.outstanding != 0 {
		t.Fatalf("payment %+v outstanding %v", pay, f.credit.outstanding)
	}
	if len(h.before) != 1 || h.before[0].PrincipalOutstanding != money.MustParse("100.00") || h.refunded[0].ID != r.ID {
		t.Fatalf("hook: %+v %+v", h.before, h.refunded)
	}
	b := f.ledger.balances
	if b["customer.credit_balance:u1"] != -money.MustParse("50.00") || b["receivable.principal:u1"] != money.MustParse("400.00") {
		t.Fatalf("ledger: %v", b)
	}
	if _, _, err := f.uc.Refund(ctx, RefundRequest{PaymentID: p.ID, Amount: money.MustParse("350.01")}, Scope{}); !errors.Is(err, ErrRefundExceedsCaptured) {
		t.Fatalf("over-refund: %v", err)
	}
	if _, _, err := f.uc.Refund(ctx, RefundRequest{PaymentID: p.ID, Amount: 1}, Scope{MerchantID: "m2"}); !errors.Is(err, ErrPaymentForbidden) {
		t.Fatalf("other merchant: %v", err)
	}
	if len(f.ledger.entries) != 2 || len(f.repo.refunds) != 1 {
		t.Fatalf("failed refunds wrote something: %d entries %d refunds", len(f.ledger.entries), len(f.repo.refunds))
	}
}

func TestAutoCaptureChunks(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	f.credit.limit = money.Yuan(1_000_000)
	const n = 250
	var ids []int64
	for i := range n {
		ids = append(ids, f.authorize(t, fmt.Sprintf("o%d", i), 100, "").ID)
	}
	// one was cancelled meanwhile
	if _, err := f.uc.Cancel(ctx, ids[7], Scope{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.uc.AutoCapture(ctx, bizDay.AddDays(9)); got != 0 {
		t.Fatalf("captured %d before due", got)
	}
	var chunks []int
	got, err := f.uc.AutoCaptureWithProgress(ctx, bizDay.AddDays(10), func(_ context.Context, captured int) error {
		chunks = append(chunks, captured)
		return nil
	})
	if err != nil || got != n-1 || fmt.Sprint(chunks) != "[100 100 49]" {
		t.Fatalf("run: %d %v chunks %v", got, err, chunks)
	}
	if got, _ := f.uc.AutoCapture(ctx, bizDay.AddDays(10)); got != 0 {
		t.Fatalf("repeat captured %d", got)
	}
	for i, id := range ids {
		p := f.repo.payments[id]
		if i == 7 {
			if p.Status != PaymentCancelled {
				t.Fatalf("cancelled payment %+v", p)
			}
			continue
		}
		if p.Status != PaymentCaptured || !p.CaptureDate.Equal(bizDay.AddDays(10)) {
			t.Fatalf("payment %+v", p)
		}
	}
}
