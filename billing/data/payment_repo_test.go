package data_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
	ledgerdata "github.com/huabei/huabei/billing/ledger/data"
)

// fixedClock is a settable business clock.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fixedClock) set(d clock.Date) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = d.Start().Add(10 * time.Hour)
}

// creditLines approves everything below its limit and records line movements (not
// transactional: these tests do not roll back credit calls).
type creditLines struct {
	mu                       sync.Mutex
	limit, held, outstanding money.Amount
	decline                  string
}

func (c *creditLines) Authorize(_ context.Context, r biz.CreditAuthRequest) (biz.CreditAuthDecision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.decline != "" {
		return biz.CreditAuthDecision{Reason: c.decline}, nil
	}
	if c.held+c.outstanding+r.Amount > c.limit {
		return biz.CreditAuthDecision{Reason: "INSUFFICIENT_CREDIT"}, nil
	}
	c.held += r.Amount
	return biz.CreditAuthDecision{Approved: true}, nil
}
func (c *creditLines) CaptureHold(_ context.Context, _ string, held, captured money.Amount) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held -= held
	c.outstanding += captured
	return nil
}
func (c *creditLines) ReleaseHold(_ context.Context, _ string, a money.Amount) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held -= a
	return nil
}
func (c *creditLines) ReleaseOutstanding(_ context.Context, _ string, a money.Amount) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.outstanding -= a
	return nil
}

type env struct {
	d      *data.Data
	uc     *biz.PaymentUseCase
	repo   *billingdata.PaymentRepo
	ledger *ledger.Ledger
	credit *creditLines
	clk    *fixedClock
}

var day = clock.NewDate(2026, 11, 5)

func newEnv(t *testing.T, d *data.Data) *env {
	quiet := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))
	e := &env{d: d, repo: billingdata.NewPaymentRepo(d), credit: &creditLines{limit: money.Yuan(10000)}, clk: &fixedClock{}}
	e.clk.set(day)
	e.ledger = ledger.NewLedger(ledgerdata.NewRepo(d), d, quiet)
	e.uc = biz.NewPaymentUseCase(e.repo, d, e.credit, e.ledger, outbox.NewStore(d, e.clk), e.clk, biz.DefaultPaymentConfig(), quiet)
	return e
}

func (e *env) balance(t *testing.T, account, owner string) money.Amount {
	t.Helper()
	var b money.Amount
	var err error
	if owner == "" {
		b, err = e.ledger.SumByCode(context.Background(), account)
	} else {
		b, err = e.ledger.Balance(context.Background(), account, owner)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func authorize(t *testing.T, e *env, order string, amount money.Amount) biz.Payment {
	t.Helper()
	p, err := e.uc.Authorize(context.Background(), biz.AuthorizeRequest{UserID: "u1", MerchantID: "m1", MerchantOrderID: order, Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPaymentLifecycle(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		p := authorize(t, e, "o1", money.MustParse("1000.00"))
		if p.Status != biz.PaymentAuthorized || e.credit.held != money.MustParse("1000.00") {
			t.Fatalf("authorize: %+v held %v", p, e.credit.held)
		}
		again := authorize(t, e, "o1", money.MustParse("5.00"))
		if again.ID != p.ID || again.Amount != p.Amount || e.credit.held != money.MustParse("1000.00") {
			t.Fatalf("repeat order: %+v", again)
		}
		if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{MerchantID: "m2"}); !errors.Is(err, biz.ErrPaymentForbidden) {
			t.Fatalf("other merchant capture: %v", err)
		}
		if _, err := e.uc.Capture(ctx, p.ID, money.MustParse("1000.01"), biz.Scope{}); !errors.Is(err, biz.ErrCaptureExceedsAuthorized) {
			t.Fatalf("over-capture: %v", err)
		}
		c, err := e.uc.Capture(ctx, p.ID, money.MustParse("600.00"), biz.Scope{MerchantID: "m1"})
		if err != nil {
			t.Fatal(err)
		}
		// 600.00 × 0.006 = 3.60
		if c.Status != biz.PaymentCaptured || c.CapturedAmount != money.MustParse("600.00") || c.DiscountAmount != money.MustParse("3.60") ||
			!c.CaptureDate.Equal(day) {
			t.Fatalf("capture: %+v", c)
		}
		if e.credit.held != 0 || e.credit.outstanding != money.MustParse("600.00") {
			t.Fatalf("line after capture: held %v outstanding %v", e.credit.held, e.credit.outstanding)
		}
		if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); !errors.Is(err, biz.ErrPaymentNotAuthorized) {
			t.Fatalf("second capture: %v", err)
		}
		if got := e.balance(t, ledger.AccountReceivablePrincipal, "u1"); got != money.MustParse("600.00") {
			t.Fatalf("receivable %v", got)
		}
		if got := e.balance(t, ledger.AccountMerchantPayable, "m1"); got != money.MustParse("596.40") {
			t.Fatalf("merchant payable %v", got)
		}
		pu, err := e.repo.PurchaseByPayment(ctx, p.ID, false)
		if err != nil || pu.Amount != money.MustParse("600.00") || pu.PrincipalOutstanding != pu.Amount || pu.Owner != biz.OwnerLender || !pu.CaptureDate.Equal(day) {
			t.Fatalf("purchase %+v %v", pu, err)
		}

		// 100.01 of 600.00: discount share 3.60 × 100.01 / 600 = 0.60006 → 0.60
		r1, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p.ID, Amount: money.MustParse("100.01")}, biz.Scope{MerchantID: "m1"})
		if err != nil {
			t.Fatal(err)
		}
		if r1.DiscountReturned != money.MustParse("0.60") || r1.ToPrincipal != r1.Amount || r1.ToCreditBalance != 0 {
			t.Fatalf("refund 1: %+v", r1)
		}
		// The purchase was repaid down to 200.00 (billing would do this): the rest of a
		// larger refund becomes credit balance.
		if _, err := d.SQL().ExecContext(ctx, "UPDATE purchase SET principal_outstanding = 200 * 100 WHERE payment_id = ?", p.ID); err != nil {
			t.Fatal(err)
		}
		r2, pay, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p.ID, Amount: money.MustParse("299.99"), Reason: "damaged"}, biz.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if r2.ToPrincipal != money.MustParse("200.00") || r2.ToCreditBalance != money.MustParse("99.99") || pay.RefundedAmount != money.MustParse("400.00") {
			t.Fatalf("refund 2: %+v %+v", r2, pay)
		}
		before, _ := e.uc.Get(ctx, p.ID, biz.Scope{})
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p.ID, Amount: money.MustParse("200.01")}, biz.Scope{}); !errors.Is(err, biz.ErrRefundExceedsCaptured) {
			t.Fatalf("over-refund: %v", err)
		}
		after, _ := e.uc.Get(ctx, p.ID, biz.Scope{})
		if before != after {
			t.Fatalf("over-refund changed the payment:\n%+v\n%+v", before, after)
		}
		_, last, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p.ID, Amount: money.MustParse("200.00")}, biz.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if last.Status != biz.PaymentRefunded || last.RefundedDiscount != last.DiscountAmount {
			t.Fatalf("full refund: %+v", last)
		}
		refunds, err := e.uc.Refunds(ctx, p.ID, biz.Scope{})
		if err != nil || len(refunds) != 3 {
			t.Fatalf("refunds %d %v", len(refunds), err)
		}
		var back money.Amount
		for _, r := range refunds {
			back += r.DiscountReturned
		}
		if back != money.MustParse("3.60") {
			t.Fatalf("discount returned %v", back)
		}
		// Everything refunded: the merchant owes nothing, no discount earned. The purchase
		// was at 0 outstanding after refund 2, so 99.99 + 200.00 became credit balance and
		// the receivable keeps the 299.99 the (simulated) repayment would have cleared.
		if got := e.balance(t, ledger.AccountMerchantPayable, "m1"); got != 0 {
			t.Fatalf("merchant payable %v", got)
		}
		if got := e.balance(t, ledger.AccountIncomeMerchantDiscount, ""); got != 0 {
			t.Fatalf("discount income %v", got)
		}
		if got := e.balance(t, ledger.AccountCustomerCreditBalance, "u1"); got != money.MustParse("299.99") {
			t.Fatalf("credit balance %v", got)
		}
		if got := e.balance(t, ledger.AccountReceivablePrincipal, "u1"); got != money.MustParse("299.99") {
			t.Fatalf("receivable %v", got)
		}
	})
}

func TestPaymentDeclineAndCancel(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.credit.decline = "ACCOUNT_FROZEN"
		p := authorize(t, e, "o1", money.MustParse("10.00"))
		if p.Status != biz.PaymentDeclined || p.DeclineReason != "ACCOUNT_FROZEN" {
			t.Fatalf("decline: %+v", p)
		}
		got, err := e.uc.Get(ctx, p.ID, biz.Scope{MerchantID: "m1"})
		if err != nil || got.Status != biz.PaymentDeclined || got.DeclineReason != "ACCOUNT_FROZEN" {
			t.Fatalf("stored decline: %+v %v", got, err)
		}
		if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); !errors.Is(err, biz.ErrPaymentNotAuthorized) {
			t.Fatalf("capture of decline: %v", err)
		}
		e.credit.decline = ""
		p2 := authorize(t, e, "o2", money.MustParse("10.00"))
		if _, err := e.uc.Cancel(ctx, p2.ID, biz.Scope{MerchantID: "m2"}); !errors.Is(err, biz.ErrPaymentForbidden) {
			t.Fatalf("other merchant cancel: %v", err)
		}
		c, err := e.uc.Cancel(ctx, p2.ID, biz.Scope{})
		if err != nil || c.Status != biz.PaymentCancelled || e.credit.held != 0 {
			t.Fatalf("cancel: %+v %v held %v", c, err, e.credit.held)
		}
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p2.ID, Amount: 1}, biz.Scope{}); !errors.Is(err, biz.ErrPaymentNotCaptured) {
			t.Fatalf("refund of cancelled: %v", err)
		}
		if _, err := e.uc.Get(ctx, 42, biz.Scope{}); !errors.Is(err, biz.ErrPaymentNotFound) {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestAutoCapture(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		var open []biz.Payment
		for i, order := range []string{"a", "b", "c"} {
			e.clk.set(day.AddDays(i))
			open = append(open, authorize(t, e, order, money.MustParse("50.00")))
		}
		if _, err := e.uc.Cancel(ctx, open[1].ID, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			date clock.Date
			want int
		}{
			{day.AddDays(9), 0},
			{day.AddDays(10), 1}, // a (b was cancelled)
			{day.AddDays(10), 0}, // repeat: no-op
			{day.AddDays(12), 1}, // c
			{day.AddDays(30), 0},
		} {
			n, err := e.uc.AutoCapture(ctx, tc.date)
			if err != nil || n != tc.want {
				t.Fatalf("AutoCapture(%s) = %d, %v; want %d", tc.date, n, err, tc.want)
			}
		}
		a, _ := e.uc.Get(ctx, open[0].ID, biz.Scope{})
		if a.Status != biz.PaymentCaptured || !a.CaptureDate.Equal(day.AddDays(10)) || a.CapturedAmount != money.MustParse("50.00") {
			t.Fatalf("auto-captured: %+v", a)
		}
		if got := e.balance(t, ledger.AccountReceivablePrincipal, "u1"); got != money.MustParse("100.00") {
			t.Fatalf("receivable %v", got)
		}
	})
}

// TestAuthorizeConcurrentSameOrder: racing requests for one merchant order create one
// payment and one hold.
func TestAuthorizeConcurrentSameOrder(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		e := newEnv(t, d)
		var wg sync.WaitGroup
		got := make([]biz.Payment, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = e.uc.Authorize(context.Background(), biz.AuthorizeRequest{UserID: "u1", MerchantID: "m1", MerchantOrderID: "same", Amount: money.MustParse("10.00")})
			}()
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i].ID != got[0].ID {
				t.Fatalf("request %d: %+v %v (first %d)", i, got[i], errs[i], got[0].ID)
			}
		}
		var n int
		if err := d.SQL().QueryRow("SELECT COUNT(*) FROM payment").Scan(&n); err != nil || n != 1 {
			t.Fatalf("payments %d %v", n, err)
		}
	})
}

// TestConcurrentRefundsNeverExceedCaptured: racing refunds of one payment book exactly
// the ones that fit, and the rows and the ledger agree.
func TestConcurrentRefundsNeverExceedCaptured(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		p := authorize(t, e, "race", money.MustParse("100.00"))
		if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p.ID, Amount: money.MustParse("7.00")}, biz.Scope{MerchantID: "m1"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, biz.ErrRefundExceedsCaptured):
				t.Fatalf("refund: %v", err)
			}
		}
		if ok != 14 {
			t.Fatalf("%d refunds booked, want 14", ok)
		}
		got, _ := e.uc.Get(ctx, p.ID, biz.Scope{})
		refunds, _ := e.uc.Refunds(ctx, p.ID, biz.Scope{})
		var sum, disc money.Amount
		for _, r := range refunds {
			sum += r.Amount
			disc += r.DiscountReturned
		}
		if got.RefundedAmount != money.MustParse("98.00") || sum != got.RefundedAmount || disc != got.RefundedDiscount || len(refunds) != 14 {
			t.Fatalf("payment %+v, %d refunds summing %v (discount %v)", got, len(refunds), sum, disc)
		}
		pu, _ := e.repo.PurchaseByPayment(ctx, p.ID, false)
		if pu.RefundedAmount != sum || pu.PrincipalOutstanding != money.MustParse("2.00") {
			t.Fatalf("purchase %+v", pu)
		}
		if r := e.balance(t, ledger.AccountReceivablePrincipal, "u1"); r != pu.PrincipalOutstanding {
			t.Fatalf("receivable %v, purchase outstanding %v", r, pu.PrincipalOutstanding)
		}
		// discount 0.60 on 100.00; 98% refunded → 0.59 (0.588) given back
		if mp := e.balance(t, ledger.AccountMerchantPayable, "m1"); mp != money.MustParse("2.00")-(got.DiscountAmount-got.RefundedDiscount) || got.RefundedDiscount != money.MustParse("0.59") {
			t.Fatalf("merchant payable %v, discount %v back %v", mp, got.DiscountAmount, got.RefundedDiscount)
		}
	})
}

// Every payment change records its event in the same transaction; a refused change and a
// repeated order record none.
func TestPaymentEventsInOutbox(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.credit.decline = "ACCOUNT_FROZEN"
		authorize(t, e, "o1", money.MustParse("10.00"))
		e.credit.decline = ""
		p2 := authorize(t, e, "o2", money.MustParse("10.00"))
		if _, err := e.uc.Cancel(ctx, p2.ID, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		p3 := authorize(t, e, "o3", money.MustParse("50.00"))
		authorize(t, e, "o3", money.MustParse("50.00")) // repeat: no event
		if _, err := e.uc.Capture(ctx, p3.ID, 0, biz.Scope{MerchantID: "m2"}); !errors.Is(err, biz.ErrPaymentForbidden) {
			t.Fatalf("other merchant capture: %v", err)
		}
		if _, err := e.uc.Capture(ctx, p3.ID, 0, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p3.ID, Amount: money.MustParse("5.00")}, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		evs, err := outbox.NewStore(d, e.clk).Pending(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
			if ev.MerchantID != "m1" {
				t.Fatalf("event %s merchant %q", ev.Type, ev.MerchantID)
			}
		}
		want := []string{outbox.PaymentDeclined, outbox.PaymentAuthorized, outbox.PaymentCancelled, outbox.PaymentAuthorized, outbox.PaymentCaptured, outbox.PaymentRefunded}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		if !strings.Contains(string(evs[5].Data), `"refund_amount":"5.00"`) || !strings.Contains(string(evs[4].Data), `"payment_id":"`+ids.String(p3.ID)+`"`) {
			t.Fatalf("data: %s / %s", evs[4].Data, evs[5].Data)
		}
	})
}
