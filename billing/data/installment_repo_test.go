package data_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	"github.com/huabei/huabei/billing/installment"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

func newInstallments(t *testing.T, e *env) (*biz.InstallmentUseCase, *billingdata.InstallmentRepo) {
	t.Helper()
	quiet := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))
	repo := billingdata.NewInstallmentRepo(e.d)
	uc, err := biz.NewInstallmentUseCase(repo, e.repo, e.d, e.ledger, outbox.NewStore(e.d, e.clk), e.clk, biz.DefaultInstallmentConfig(), 1, 10, quiet)
	if err != nil {
		t.Fatal(err)
	}
	e.uc.SetCaptureHook(uc)
	e.uc.SetRefundHook(uc)
	return uc, repo
}

func capture(t *testing.T, e *env, order string, amount money.Amount, installments int) biz.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := e.uc.Authorize(ctx, biz.AuthorizeRequest{UserID: "u1", MerchantID: "m1", MerchantOrderID: order, Amount: amount, Installments: installments})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = e.uc.Capture(ctx, p.ID, 0, biz.Scope{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkPlan asserts that a plan's outstanding principal equals its periods' and its purchases'.
func checkPlan(t *testing.T, e *env, repo *billingdata.InstallmentRepo, id int64) biz.InstallmentPlan {
	t.Helper()
	ctx := context.Background()
	var p biz.InstallmentPlan
	err := e.d.InTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = repo.Plan(ctx, "u1", id, false); err != nil {
			return err
		}
		var periods money.Amount
		for _, per := range p.Periods {
			periods += per.Principal - per.PrincipalPaid
		}
		ps, err := repo.PlanPurchases(ctx, "u1", id)
		if err != nil {
			return err
		}
		var purchases money.Amount
		for _, pu := range ps {
			purchases += pu.Outstanding
		}
		if periods != p.PrincipalOutstanding || purchases != p.PrincipalOutstanding {
			t.Errorf("plan %d: outstanding %v, periods %v, purchases %v", id, p.PrincipalOutstanding, periods, purchases)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInstallmentPlanLifecycle(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		uc, repo := newInstallments(t, e)

		// At checkout: 1,200.00 in 12, captured 2026-11-05 → period 1 due 2026-12-10; the
		// APR of those dated flows (35 days to the first payment) is 15.45%, not 15.86%.
		p1 := capture(t, e, "o1", money.MustParse("1200.00"), 12)
		if p1.PlanID == 0 {
			t.Fatal("capture with installments made no plan")
		}
		plan1 := checkPlan(t, e, repo, p1.PlanID)
		if plan1.Terms != 12 || plan1.TotalFee != money.MustParse("105.60") || plan1.APR.StringFixed(4) != "0.1545" ||
			plan1.Periods[0].DueDate.String() != "2026-12-10" || plan1.Periods[11].DueDate.String() != "2027-11-10" ||
			plan1.Periods[5].Principal != money.MustParse("100.00") || plan1.Periods[5].Fee != money.MustParse("8.80") {
			t.Fatalf("plan 1: %+v", plan1)
		}

		// After capture: 600.00 in 3 (quote, then plan; a second plan is refused).
		p2 := capture(t, e, "o2", money.MustParse("600.00"), 0)
		req := biz.InstallmentRequest{UserID: "u1", PaymentID: p2.ID, Terms: 3}
		q, err := uc.Quote(ctx, req)
		if err != nil || q.TotalFee != money.MustParse("15.00") || q.Periods[0].Principal != money.MustParse("200.00") {
			t.Fatalf("quote: %+v %v", q, err)
		}
		plan2, err := uc.CreatePlan(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := uc.CreatePlan(ctx, req); !errors.Is(err, biz.ErrAlreadyInstallments) {
			t.Fatalf("second plan: %v", err)
		}
		if _, err := uc.Quote(ctx, biz.InstallmentRequest{UserID: "u2", PaymentID: p2.ID, Terms: 3}); !errors.Is(err, biz.ErrPaymentNotFound) {
			t.Fatalf("other user's payment: %v", err)
		}
		if _, err := uc.Quote(ctx, biz.InstallmentRequest{UserID: "u1", PaymentID: p2.ID, Terms: 4}); !errors.Is(err, biz.ErrInstallmentTermsNotOffered) {
			t.Fatalf("4 terms: %v", err)
		}

		// The December statement bills period 1 of both; a repeat bills nothing.
		const stmt = int64(777)
		var due []biz.InstallmentDue
		if err := d.InTx(ctx, func(ctx context.Context) error {
			due, err = uc.BillDueInstallments(ctx, "u1", stmt, clock.NewDate(2026, 12, 1))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 || due[0].Principal+due[0].Fee != money.MustParse("108.80") || due[1].Principal+due[1].Fee != money.MustParse("205.00") {
			t.Fatalf("due: %+v", due)
		}
		if err := d.InTx(ctx, func(ctx context.Context) error {
			due, err = uc.BillDueInstallments(ctx, "u1", stmt+1, clock.NewDate(2026, 12, 1))
			return err
		}); err != nil || len(due) != 0 {
			t.Fatalf("repeat billed %+v, %v", due, err)
		}
		if got := e.balance(t, ledger.AccountReceivableFee, "u1"); got != money.MustParse("13.80") {
			t.Fatalf("receivable.fee %v", got)
		}
		if got := e.balance(t, ledger.AccountIncomeInstallmentFee, ""); got != money.MustParse("13.80") {
			t.Fatalf("income.installment_fee %v", got)
		}

		// A repayment of 150.00 of billed principal: 100.00 to plan 1, 50.00 to plan 2.
		var took money.Amount
		if err := d.InTx(ctx, func(ctx context.Context) error {
			took, err = uc.PayBilledPrincipal(ctx, "u1", stmt, money.MustParse("150.00"), clock.NewDate(2026, 12, 5))
			return err
		}); err != nil || took != money.MustParse("150.00") {
			t.Fatalf("pay billed: %v %v", took, err)
		}
		if owed, err := uc.BilledPlanPrincipal(ctx, "u1", stmt); err != nil || owed != money.MustParse("150.00") {
			t.Fatalf("billed owed %v %v", owed, err)
		}

		// Refund 300.00 of plan 1 in month 2: unbilled 1,100.00 → 800.00 re-spread, fee cut 26.40.
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p1.ID, Amount: money.MustParse("300.00")}, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		plan1 = checkPlan(t, e, repo, p1.PlanID)
		if plan1.PrincipalOutstanding != money.MustParse("800.00") || plan1.FeeWaived != money.MustParse("26.40") ||
			plan1.Periods[1].Principal != money.MustParse("72.80") || plan1.Periods[2].Principal != money.MustParse("72.72") ||
			plan1.Periods[11].Fee != money.MustParse("6.40") || plan1.Status != biz.PlanActive {
			t.Fatalf("after refund: %+v", plan1)
		}

		// Early payoff of plan 2: exactly its unbilled principal (400.00), fees waived.
		var pr, fee money.Amount
		if err := d.InTx(ctx, func(ctx context.Context) error {
			pr, fee, err = uc.PayPlan(ctx, "u1", plan2.ID, 0, money.MustParse("1000.00"), true)
			return err
		}); err != nil || pr != money.MustParse("400.00") || fee != 0 {
			t.Fatalf("payoff: %v %v %v", pr, fee, err)
		}
		plan2 = checkPlan(t, e, repo, plan2.ID)
		if plan2.Status != biz.PlanPaidOff || plan2.FeeWaived != money.MustParse("10.00") || plan2.PrincipalOutstanding != money.MustParse("150.00") {
			t.Fatalf("after payoff: %+v", plan2)
		}
		// The rest of plan 1 refunded: cancelled, nothing left to bill.
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p1.ID, Amount: money.MustParse("900.00")}, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		plan1 = checkPlan(t, e, repo, p1.PlanID)
		if plan1.Status != biz.PlanCancelled || plan1.PrincipalOutstanding != 0 {
			t.Fatalf("after full refund: %+v", plan1)
		}
	})
}

// TestInstallmentRefundIntoBilledAndFeePayoff: a refund larger than the unbilled principal
// reaches the billed unpaid period; with fees not waived a payoff collects them (posted).
func TestInstallmentRefundIntoBilledAndFeePayoff(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		e := newEnv(t, d)
		quiet := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))
		repo := billingdata.NewInstallmentRepo(d)
		cfg := biz.DefaultInstallmentConfig()
		cfg.WaiveUnbilledFeesOnPayoff = false
		uc, err := biz.NewInstallmentUseCase(repo, e.repo, d, e.ledger, outbox.NewStore(d, e.clk), e.clk, cfg, 1, 10, quiet)
		if err != nil {
			t.Fatal(err)
		}
		e.uc.SetCaptureHook(uc)
		e.uc.SetRefundHook(uc)
		p1 := capture(t, e, "r1", money.MustParse("1200.00"), 12)
		p2 := capture(t, e, "r2", money.MustParse("600.00"), 3)
		const stmt = int64(42)
		if err := d.InTx(ctx, func(ctx context.Context) error {
			_, err := uc.BillDueInstallments(ctx, "u1", stmt, clock.NewDate(2026, 12, 1))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// 1,150.00 refunded: all 1,100.00 unbilled (fees 96.80 cut), 50.00 off billed period 1.
		if _, _, err := e.uc.Refund(ctx, biz.RefundRequest{PaymentID: p1.ID, Amount: money.MustParse("1150.00")}, biz.Scope{}); err != nil {
			t.Fatal(err)
		}
		plan := checkPlan(t, e, repo, p1.PlanID)
		if plan.PrincipalOutstanding != money.MustParse("50.00") || plan.FeeWaived != money.MustParse("96.80") || plan.Status != biz.PlanActive ||
			plan.Periods[0].PrincipalPaid != money.MustParse("50.00") {
			t.Fatalf("after refund: %+v", plan)
		}
		if owed, err := uc.BilledPlanPrincipal(ctx, "u1", stmt); err != nil || owed != money.MustParse("50.00")+money.MustParse("200.00") {
			t.Fatalf("billed owed %v %v", owed, err)
		}
		if err := d.InTx(ctx, func(ctx context.Context) error {
			_, err := uc.PayBilledPrincipal(ctx, "u1", stmt, money.MustParse("50.00"), clock.NewDate(2026, 12, 5))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if plan = checkPlan(t, e, repo, p1.PlanID); plan.Status != biz.PlanCompleted {
			t.Fatalf("plan 1 not completed: %+v", plan)
		}
		// Payoff with fees: 10.00 unbilled fee collected and recognized, 400.00 principal.
		var pr, fee money.Amount
		if err := d.InTx(ctx, func(ctx context.Context) error {
			pr, fee, err = uc.PayPlan(ctx, "u1", p2.PlanID, 0, money.MustParse("500.00"), true)
			return err
		}); err != nil || pr != money.MustParse("400.00") || fee != money.MustParse("10.00") {
			t.Fatalf("payoff: %v %v %v", pr, fee, err)
		}
		if got := e.balance(t, ledger.AccountIncomeInstallmentFee, ""); got != money.MustParse("23.80") { // 8.80 + 5.00 billed, 10.00 at payoff
			t.Fatalf("income.installment_fee %v", got)
		}
		plan = checkPlan(t, e, repo, p2.PlanID)
		if plan.Status != biz.PlanPaidOff || plan.FeeWaived != 0 {
			t.Fatalf("plan 2: %+v", plan)
		}
		// A partial prepayment with fees not waived pays the plan's unbilled fees first
		// (900.00 × 0.065 = 58.50), then principal; the rest is re-spread.
		p3 := capture(t, e, "r3", money.MustParse("900.00"), 9)
		if err := d.InTx(ctx, func(ctx context.Context) error {
			pr, fee, err = uc.PayPlan(ctx, "u1", p3.PlanID, 0, money.MustParse("300.00"), true)
			return err
		}); err != nil || pr != money.MustParse("241.50") || fee != money.MustParse("58.50") {
			t.Fatalf("prepay: %v %v %v", pr, fee, err)
		}
		plan = checkPlan(t, e, repo, p3.PlanID)
		if plan.Status != biz.PlanActive || plan.Periods[0].Principal != money.MustParse("73.22") || plan.Periods[8].Principal != money.MustParse("73.16") ||
			plan.CurrentFee() != 0 {
			t.Fatalf("plan 3 after prepayment: %+v", plan.Periods)
		}
	})
}

// TestInstallmentEqualPaymentProduct: a product configured with an annual rate quotes an
// equal-payment (等额本息) schedule; its APR is that rate over whole months, a little less
// here because the first payment is 35 days after the capture (dated cash flows).
func TestInstallmentEqualPaymentProduct(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		e := newEnv(t, d)
		quiet := log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelFatal))
		cfg := biz.DefaultInstallmentConfig()
		cfg.Products = append(cfg.Products, installment.ProductConfig{Terms: 24, AnnualRate: "0.12"})
		uc, err := biz.NewInstallmentUseCase(billingdata.NewInstallmentRepo(d), e.repo, d, e.ledger, outbox.NewStore(d, e.clk), e.clk, cfg, 1, 10, quiet)
		if err != nil {
			t.Fatal(err)
		}
		p := capture(t, e, "ep", money.MustParse("2400.00"), 0)
		q, err := uc.Quote(context.Background(), biz.InstallmentRequest{UserID: "u1", PaymentID: p.ID, Terms: 24})
		if err != nil {
			t.Fatal(err)
		}
		// 2,400.00 at 1% a month over 24: 112.98 a month, first interest 24.00; captured
		// 2026-11-05, first due 2026-12-10: APR 11.83%.
		if q.Method != installment.EqualPayment || q.Periods[0].Principal+q.Periods[0].Fee != money.MustParse("112.98") ||
			q.Periods[0].Fee != money.MustParse("24.00") || q.APR.StringFixed(4) != "0.1183" || q.Periods[23].DueDate.String() != "2028-11-10" {
			t.Fatalf("equal-payment quote: %+v", q)
		}
	})
}
