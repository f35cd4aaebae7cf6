package data_test

import (
	"context"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
)

// statusLines adds SetStatus to the payments tests' fake credit lines.
type statusLines struct {
	*creditLines
	statuses []string
}

func (s *statusLines) SetStatus(_ context.Context, _ string, status, _ string) error {
	s.statuses = append(s.statuses, status)
	return nil
}

type noRun struct{ cp string }

func (r *noRun) Checkpoint() string { return r.cp }
func (r *noRun) SaveCheckpoint(_ context.Context, cp string, _ int) error {
	r.cp = cp
	return nil
}

func TestBillingOnBothEngines(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		e.clk.set(clock.NewDate(2026, 11, 3))
		for i, amt := range []money.Amount{money.Yuan(100), money.Yuan(200)} {
			p := authorize(t, e, "o"+string(rune('a'+i)), amt)
			if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); err != nil {
				t.Fatal(err)
			}
			e.clk.set(clock.NewDate(2026, 11, 10))
		}
		credit := &statusLines{creditLines: e.credit}
		ch, _ := biz.NewSimulatedChannel("0", 1)
		cfg := biz.DefaultBillingConfig()
		repo := billingdata.NewStatementRepo(d)
		uc, err := biz.NewBillingUseCase(repo, d, e.ledger, e.ledger, credit, outbox.NewStore(d, e.clk), e.clk, cfg, ch, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal)))
		if err != nil {
			t.Fatal(err)
		}
		dec1 := clock.NewDate(2026, 12, 1)
		e.clk.set(dec1)
		if err := uc.StatementsJob(ctx, dec1, &noRun{}); err != nil {
			t.Fatal(err)
		}
		if ok, err := uc.GenerateStatement(ctx, "u1", dec1); err != nil || ok {
			t.Fatalf("repeat generated=%v err=%v", ok, err)
		}
		st, err := uc.StatementFor(ctx, "u1", "2026-12")
		if err != nil || st.NewBalance != money.Yuan(300) || st.MinimumDue != money.Yuan(30) || len(st.Lines) != 2 {
			t.Fatalf("statement = %+v, %v", st, err)
		}
		// Nothing paid: overdue from the 11th, penalty instead of interest.
		e.clk.set(clock.NewDate(2026, 12, 20))
		if err := uc.AccrueUser(ctx, "u1", clock.NewDate(2026, 12, 19)); err != nil {
			t.Fatal(err)
		}
		a, _ := uc.Account(ctx, "u1")
		if a.DaysPastDue != 10 || a.Bucket != "M1" || a.Status != biz.AccountOverdue || len(credit.statuses) != 1 || credit.statuses[0] != "overdue" {
			t.Fatalf("account = %+v, line statuses %v", a, credit.statuses)
		}
		jan1 := clock.NewDate(2027, 1, 1)
		e.clk.set(jan1)
		if _, err := uc.GenerateStatement(ctx, "u1", jan1); err != nil {
			t.Fatal(err)
		}
		jan, _ := uc.StatementFor(ctx, "u1", "2027-01")
		// 300.00 × 0.0005 × 21 days = 3.15
		if jan.Penalty != 315 || jan.Interest != 0 || jan.NewBalance != 30315 {
			t.Fatalf("january = %+v", jan)
		}
		// Penalty first, then the oldest purchase, then the next; principal frees credit.
		e.clk.set(clock.NewDate(2027, 1, 2))
		before := e.credit.outstanding
		rep, err := uc.Repay(ctx, biz.RepayRequest{UserID: "u1", Amount: money.Yuan(150)})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			kind string
			amt  money.Amount
		}{{biz.AllocPenalty, 315}, {biz.AllocPrincipal, 10000}, {biz.AllocPrincipal, 4685}}
		if len(rep.Allocations) != len(want) {
			t.Fatalf("allocations = %+v", rep.Allocations)
		}
		for i, w := range want {
			if rep.Allocations[i].Kind != w.kind || rep.Allocations[i].Amount != w.amt {
				t.Fatalf("allocation %d = %+v, want %v", i, rep.Allocations[i], w)
			}
		}
		if before-e.credit.outstanding != 14685 {
			t.Fatalf("credit released %s", before-e.credit.outstanding)
		}
		a, _ = uc.Account(ctx, "u1")
		if a.Status != biz.AccountCurrent || a.DaysPastDue != 0 || credit.statuses[len(credit.statuses)-1] != "active" {
			t.Fatalf("not cured: %+v %v", a, credit.statuses)
		}
		diffs, err := uc.Reconcile(ctx, jan1)
		if err != nil || len(diffs) != 0 {
			t.Fatalf("reconcile = %+v, %v", diffs, err)
		}
		// Overpaying everything leaves a credit balance.
		rep, err = uc.Repay(ctx, biz.RepayRequest{UserID: "u1", Amount: money.Yuan(200), Target: biz.TargetAll})
		if err != nil || rep.ToCreditBalance != money.Yuan(200)-15315 {
			t.Fatalf("overpay = %+v, %v", rep, err)
		}
		if diffs, _ := uc.Reconcile(ctx, jan1); len(diffs) != 0 {
			t.Fatalf("reconcile = %+v", diffs)
		}
	})
}

func TestAutopayCollectsOnce(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		p := authorize(t, e, "oa", money.Yuan(250))
		if _, err := e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		quiet := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))
		newUC := func(failureRate string) *biz.BillingUseCase {
			ch, err := biz.NewSimulatedChannel(failureRate, 7)
			if err != nil {
				t.Fatal(err)
			}
			cfg := biz.DefaultBillingConfig()
			cfg.AutopayAttempts = 2
			uc, err := biz.NewBillingUseCase(billingdata.NewStatementRepo(d), d, e.ledger, e.ledger, &statusLines{creditLines: e.credit}, outbox.NewStore(d, e.clk), e.clk, cfg, ch, quiet)
			if err != nil {
				t.Fatal(err)
			}
			return uc
		}
		uc := newUC("1") // every attempt fails
		dec1, due := clock.NewDate(2026, 12, 1), clock.NewDate(2026, 12, 10)
		e.clk.set(dec1)
		if _, err := uc.GenerateStatement(ctx, "u1", dec1); err != nil {
			t.Fatal(err)
		}
		if err := uc.SetAutopay(ctx, "u1", true); err != nil {
			t.Fatal(err)
		}
		e.clk.set(due)
		count := func() int {
			var n int
			if err := d.SQL().QueryRow("SELECT COUNT(*) FROM repayment WHERE user_id = 'u1' AND source = 'autopay'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if err := uc.AutopayJob(ctx, due, &noRun{}); err != nil || count() != 0 {
			t.Fatalf("failing channel: err=%v repayments=%d", err, count())
		}
		// The channel recovers: a retry collects, and further runs never collect again.
		uc = newUC("0")
		for i := 0; i < 3; i++ {
			if err := uc.AutopayJob(ctx, due, &noRun{}); err != nil {
				t.Fatal(err)
			}
		}
		if count() != 1 {
			t.Fatalf("autopay repayments = %d, want 1", count())
		}
		if billed, _, _ := uc.Owed(ctx, "u1"); billed != 0 {
			t.Fatalf("still owed %s", billed)
		}
	})
}
