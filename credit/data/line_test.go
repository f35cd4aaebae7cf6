package data_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/biz"
	creditdata "github.com/huabei/huabei/credit/data"
)

var t0 = time.Date(2026, 11, 5, 10, 0, 0, 0, clock.Location)

type fixture struct {
	d     *data.Data
	repo  *creditdata.LineRepo
	lines *biz.LineUseCase
	clk   *clock.Test
}

func newFixture(t *testing.T, d *data.Data, mutate func(*biz.Config), velocity biz.VelocityStore) *fixture {
	t.Helper()
	cfg := biz.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	policy, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := cfg.Risk.Rules()
	if err != nil {
		t.Fatal(err)
	}
	capital, err := cfg.Funding()
	if err != nil {
		t.Fatal(err)
	}
	if velocity == nil {
		velocity = creditdata.NewLocalVelocity()
	}
	clk := &clock.Test{}
	clk.Set(t0)
	repo := creditdata.NewLineRepo(d)
	lines := biz.NewLineUseCase(repo, d, clk, biz.NewRiskEngine(rules, velocity), policy,
		biz.CapitalFunding{Capital: capital, Repo: repo}, ids.New)
	return &fixture{d: d, repo: repo, lines: lines, clk: clk}
}

// openLine creates an active line opened a day before t0 (outside the opening window).
func (f *fixture) openLine(t *testing.T, user string, limit money.Amount) {
	t.Helper()
	opened := t0.Add(-24 * time.Hour)
	if err := f.repo.Create(context.Background(), &biz.Line{UserID: user, AccountStatus: biz.StatusActive, Score: 700,
		Limit: limit, OpenedAt: opened, UpdatedAt: opened}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) authorize(t *testing.T, user, merchant, category string, amount money.Amount) biz.AuthDecision {
	t.Helper()
	var dec biz.AuthDecision
	err := f.d.InTx(context.Background(), func(ctx context.Context) error {
		var err error
		dec, err = f.lines.Authorize(ctx, biz.AuthRequest{UserID: user, MerchantID: merchant, MerchantCategory: category,
			Amount: amount, PaymentID: ids.New()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func (f *fixture) get(t *testing.T, user string) *biz.Line {
	t.Helper()
	l, err := f.lines.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConcurrentHolds: 200 concurrent authorizations of 100.00 against a 5,000.00 line →
// exactly 50 succeed and available never goes below zero, on both engines.
func TestConcurrentHolds(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		f := newFixture(t, d, func(c *biz.Config) {
			c.Risk.MaxPaymentsPerHour, c.Risk.MaxPaymentsPerDay, c.Risk.CashOutRoundRepeats = 0, 0, 0
		}, nil)
		f.openLine(t, "u-conc", money.Yuan(5000))
		var approved, declined atomic.Int64
		stop := make(chan struct{})
		var negative atomic.Int64
		var sampler sync.WaitGroup
		sampler.Add(1)
		go func() { // watch the raw row while the holds run
			defer sampler.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var avail int64
				if err := d.SQL().QueryRow("SELECT credit_limit - outstanding - held FROM credit_line WHERE user_id = 'u-conc'").Scan(&avail); err == nil && avail < 0 {
					negative.Add(1)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var dec biz.AuthDecision
				err := d.InTx(context.Background(), func(ctx context.Context) error {
					var err error
					dec, err = f.lines.Authorize(ctx, biz.AuthRequest{UserID: "u-conc", MerchantID: "m1", Amount: money.Yuan(100), PaymentID: ids.New()})
					return err
				})
				switch {
				case err != nil:
					t.Error(err)
				case dec.Approved:
					approved.Add(1)
				case dec.Reason == biz.DeclineInsufficientCredit:
					declined.Add(1)
				default:
					t.Errorf("unexpected decline %q", dec.Reason)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(stop)
		sampler.Wait()
		if approved.Load() != 50 || declined.Load() != 150 {
			t.Fatalf("approved %d, declined %d; want 50 and 150", approved.Load(), declined.Load())
		}
		if negative.Load() != 0 {
			t.Fatalf("available went negative %d times", negative.Load())
		}
		l := f.get(t, "u-conc")
		if l.Held != money.Yuan(5000) || l.Available != 0 {
			t.Fatalf("line after: held %s available %s", l.Held, l.Available)
		}
	})
}

func TestAuthorizeRulesAndAccounting(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		f := newFixture(t, d, nil, nil)
		f.openLine(t, "u1", money.Yuan(5000))

		if dec := f.authorize(t, "nobody", "m1", "", money.Yuan(10)); dec.Reason != biz.DeclineNoCreditLine {
			t.Fatalf("no line: %+v", dec)
		}
		if dec := f.authorize(t, "u1", "m1", "gambling", money.Yuan(10)); dec.Reason != biz.DeclineMerchantBlocked {
			t.Fatalf("blocked category: %+v", dec)
		}
		if dec := f.authorize(t, "u1", "m1", "", money.Yuan(5001)); dec.Reason != biz.DeclineInsufficientCredit {
			t.Fatalf("over available: %+v", dec)
		}
		if dec := f.authorize(t, "u1", "m1", "", money.MustParse("1000.50")); !dec.Approved {
			t.Fatalf("ordinary payment: %+v", dec)
		}
		// capture 800.50 of the 1000.50 hold: 200.00 goes back
		if err := f.lines.CaptureHold(ctx, "u1", money.MustParse("1000.50"), money.MustParse("800.50")); err != nil {
			t.Fatal(err)
		}
		l := f.get(t, "u1")
		if l.Held != 0 || l.Outstanding != money.MustParse("800.50") || l.Available != money.MustParse("4199.50") {
			t.Fatalf("after capture: %+v", l)
		}
		if err := f.lines.ReleaseOutstanding(ctx, "u1", money.MustParse("300.00")); err != nil {
			t.Fatal(err)
		}
		if err := f.lines.ReleaseOutstanding(ctx, "u1", money.Yuan(10000)); err != nil { // never below zero
			t.Fatal(err)
		}
		if err := f.lines.ReleaseHold(ctx, "u1", money.Yuan(5)); err != nil {
			t.Fatal(err)
		}
		if err := f.lines.AddOutstanding(ctx, "u1", money.Yuan(100)); err != nil {
			t.Fatal(err)
		}
		if l := f.get(t, "u1"); l.Outstanding != money.Yuan(100) || l.Held != 0 {
			t.Fatalf("after releases: %+v", l)
		}
		if err := f.lines.ReleaseHold(ctx, "nobody", money.Yuan(5)); err != biz.ErrLineNotFound {
			t.Fatalf("release on missing line: %v", err)
		}
		if err := f.lines.CaptureHold(ctx, "u1", money.Yuan(1), money.Yuan(2)); err != biz.ErrInvalidAmount {
			t.Fatalf("capture above hold: %v", err)
		}

		// freeze → refused; billing's "active" never lifts an ops freeze
		if _, err := f.lines.Freeze(ctx, "u1", "fraud review"); err != nil {
			t.Fatal(err)
		}
		if dec := f.authorize(t, "u1", "m1", "", money.Yuan(10)); dec.Approved || dec.Reason != biz.DeclineAccountFrozen {
			t.Fatalf("frozen: %+v", dec)
		}
		if err := f.lines.SetStatus(ctx, "u1", biz.StatusActive, "past due paid"); err != nil {
			t.Fatal(err)
		}
		if l := f.get(t, "u1"); l.Status != biz.StatusFrozen {
			t.Fatalf("SetStatus(active) lifted the freeze: %s", l.Status)
		}
		if _, err := f.lines.Unfreeze(ctx, "u1", "cleared"); err != nil {
			t.Fatal(err)
		}
		if err := f.lines.SetStatus(ctx, "u1", biz.StatusOverdue, "minimum not paid"); err != nil {
			t.Fatal(err)
		}
		if dec := f.authorize(t, "u1", "m1", "", money.Yuan(10)); dec.Reason != biz.DeclineAccountOverdue {
			t.Fatalf("overdue: %+v", dec)
		}
		if err := f.lines.SetStatus(ctx, "u1", biz.StatusActive, "past due paid"); err != nil {
			t.Fatal(err)
		}
		if err := f.lines.SetStatus(ctx, "u1", "bogus", ""); err != biz.ErrInvalidStatus {
			t.Fatalf("bogus status: %v", err)
		}
		evs, err := f.lines.Events(ctx, "u1", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 4 || evs[0].Kind != biz.EventStatus || evs[0].NewStatus != biz.StatusActive || evs[0].Actor != "system" {
			t.Fatalf("events: %+v", evs)
		}
		if dec := f.authorize(t, "u1", "m1", "", money.Yuan(20001)); dec.Reason != biz.DeclineAmountLimit {
			// 20,001 > per-payment cap even though the line is smaller: the cap is checked first
			t.Fatalf("amount cap: %+v", dec)
		}

		// closed (charged off): no line to spend from, ops changes refused
		f.openLine(t, "u-closed", money.Yuan(1000))
		if err := f.lines.SetStatus(ctx, "u-closed", biz.StatusClosed, "charge-off"); err != nil {
			t.Fatal(err)
		}
		if dec := f.authorize(t, "u-closed", "m1", "", money.Yuan(10)); dec.Reason != biz.DeclineNoCreditLine {
			t.Fatalf("closed: %+v", dec)
		}
		if _, err := f.lines.Freeze(ctx, "u-closed", "x"); err != biz.ErrLineClosed {
			t.Fatalf("freeze closed: %v", err)
		}
	})
}

func TestVelocityCashOutAndFunding(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		f := newFixture(t, d, func(c *biz.Config) {
			c.Risk.MaxPaymentsPerHour, c.Risk.MaxPaymentsPerDay = 3, 5
			c.Capital = "20000.00"
		}, nil)
		f.openLine(t, "u-vel", money.Yuan(10000))
		for i := 0; i < 3; i++ {
			if dec := f.authorize(t, "u-vel", "m1", "", money.MustParse("10.01")); !dec.Approved {
				t.Fatalf("payment %d: %+v", i, dec)
			}
		}
		if dec := f.authorize(t, "u-vel", "m1", "", money.MustParse("10.01")); dec.Reason != biz.DeclineVelocityLimit {
			t.Fatalf("4th in an hour: %+v", dec)
		}
		f.clk.Set(t0.Add(61 * time.Minute))
		for i := 0; i < 2; i++ {
			if dec := f.authorize(t, "u-vel", "m1", "", money.MustParse("10.01")); !dec.Approved {
				t.Fatalf("next hour %d: %+v", i, dec)
			}
		}
		if dec := f.authorize(t, "u-vel", "m1", "", money.MustParse("10.01")); dec.Reason != biz.DeclineVelocityLimit {
			t.Fatalf("6th in a day: %+v", dec)
		}

		// cash-out: repeated near-limit round amounts at one merchant (default velocity)
		f = newFixture(t, d, func(c *biz.Config) { c.Capital = "20000.00" }, nil)
		f.openLine(t, "u-cash", money.Yuan(5000))
		for i := 0; i < 2; i++ {
			if dec := f.authorize(t, "u-cash", "m-shady", "", money.Yuan(4800)); !dec.Approved {
				t.Fatalf("round %d: %+v", i, dec)
			}
			if err := f.lines.ReleaseHold(ctx, "u-cash", money.Yuan(4800)); err != nil { // cancelled / repaid
				t.Fatal(err)
			}
		}
		if dec := f.authorize(t, "u-cash", "m-other", "", money.Yuan(4800)); !dec.Approved { // another merchant is fine
			t.Fatalf("other merchant: %+v", dec)
		}
		if err := f.lines.ReleaseHold(ctx, "u-cash", money.Yuan(4800)); err != nil {
			t.Fatal(err)
		}
		if dec := f.authorize(t, "u-cash", "m-shady", "", money.Yuan(4800)); dec.Reason != biz.DeclineCashOutRisk {
			t.Fatalf("third near-limit round amount: %+v", dec)
		}
		if dec := f.authorize(t, "u-cash", "m-shady", "", money.MustParse("4799.99")); !dec.Approved { // not round
			t.Fatalf("non-round: %+v", dec)
		}

		// cash-out: maximum spend right after opening
		now := f.clk.Now()
		if err := f.repo.Create(ctx, &biz.Line{UserID: "u-new", AccountStatus: biz.StatusActive, Limit: money.Yuan(2000), OpenedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if dec := f.authorize(t, "u-new", "m1", "", money.Yuan(1950)); dec.Reason != biz.DeclineCashOutRisk {
			t.Fatalf("max spend at opening: %+v", dec)
		}
		if dec := f.authorize(t, "u-new", "m1", "", money.Yuan(1800)); !dec.Approved {
			t.Fatalf("90%% at opening: %+v", dec)
		}

		// funding: capital 20,000 less everything drawn
		exp, err := f.repo.Exposure(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.openLine(t, "u-big", money.Yuan(50000))
		left := money.Yuan(20000) - exp
		if dec := f.authorize(t, "u-big", "m1", "", left+money.Yuan(1)); dec.Reason != biz.DeclineFundingExhausted {
			t.Fatalf("over funding (%s left): %+v", left, dec)
		}
		// the asset center's funding source replaces the stand-in
		f.lines.SetFunding(fixedFunding(money.Yuan(1_000_000)))
		if dec := f.authorize(t, "u-big", "m1", "", left+money.Yuan(1)); !dec.Approved {
			t.Fatalf("with new funding: %+v", dec)
		}
	})
}

type fixedFunding money.Amount

func (f fixedFunding) Available(context.Context) (money.Amount, error) { return money.Amount(f), nil }

// TestConcurrentVelocityRedis: 200 concurrent authorizations for one user with the Redis
// windows → exactly max_payments_per_hour (30) approved; the script is atomic across
// connections, as it must be across server replicas.
func TestConcurrentVelocityRedis(t *testing.T) {
	d := datatest.Open(t, "mysql", true)
	f := newFixture(t, d, func(c *biz.Config) { c.Risk.CashOutRoundRepeats = 0 },
		creditdata.NewRedisVelocity(d.Redis, creditdata.NewLocalVelocity()))
	user := "u-velc-" + ids.String(ids.New())
	f.openLine(t, user, money.Yuan(50000))
	var approved, velocity atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dec biz.AuthDecision
			err := d.InTx(context.Background(), func(ctx context.Context) error {
				var err error
				dec, err = f.lines.Authorize(ctx, biz.AuthRequest{UserID: user, MerchantID: "m1", Amount: money.MustParse("12.34"), PaymentID: ids.New()})
				return err
			})
			switch {
			case err != nil:
				t.Error(err)
			case dec.Approved:
				approved.Add(1)
			case dec.Reason == biz.DeclineVelocityLimit:
				velocity.Add(1)
			default:
				t.Errorf("unexpected decline %q", dec.Reason)
			}
		}()
	}
	wg.Wait()
	if approved.Load() != 30 || velocity.Load() != 170 {
		t.Fatalf("approved %d, velocity-declined %d; want 30 and 170", approved.Load(), velocity.Load())
	}
	if l := f.get(t, user); l.Held != money.MustParse("12.34")*30 {
		t.Fatalf("held %s", l.Held)
	}
}
