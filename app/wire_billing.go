package app

import (
	"context"
	"errors"
	"os"
	"strconv"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/job"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
	"github.com/huabei/huabei/billing/service"
	creditbiz "github.com/huabei/huabei/credit/biz"
)

// billingModule holds what the billing domain exposes to the rest of the wiring.
type billingModule struct {
	// UseCase issues statements and takes repayments; installments install their hook
	// with UseCase.SetInstallments, the asset center with SetCollectionsHook.
	UseCase *biz.BillingUseCase
	Repo    *billingdata.StatementRepo
}

// billingCredit adapts the credit lines for billing: a user without a credit line (data
// loaded in bulk, e.g. by huabeictl bench) has no line status to change.
type billingCredit struct{ *creditbiz.LineUseCase }

func (c billingCredit) SetStatus(ctx context.Context, userID, status, reason string) error {
	err := c.LineUseCase.SetStatus(ctx, userID, status, reason)
	if kerrors.Reason(err) == "CREDIT_LINE_NOT_FOUND" {
		return nil
	}
	return err
}

// HasCreditLine implements biz.CreditLineDirectory.
func (c billingCredit) HasCreditLine(ctx context.Context, userID string) (bool, error) {
	_, err := c.LineUseCase.Get(ctx, userID)
	if errors.Is(err, creditbiz.ErrLineNotFound) {
		return false, nil
	}
	return err == nil, err
}

// wireBilling builds statements, repayments, accrual, delinquency and autopay, registers
// their routes, the jobs statements/accrue/autopay/dayend and the billing reconciler.
func (a *App) wireBilling(ctx context.Context) error {
	cfg := biz.DefaultBillingConfig()
	if err := a.Config.Scan("billing", &cfg); err != nil {
		return err
	}
	if v := os.Getenv("HUABEI_TEST_CRASH_AFTER_CHUNKS"); v != "" && !a.Config.Production() {
		cfg.CrashAfterChunks, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("HUABEI_BILLING_CHUNK_SIZE"); v != "" {
		cfg.ChunkSize, _ = strconv.Atoi(v)
	}
	if a.Data.Dialect.Name() == "sqlite" {
		cfg.Parallel = 1 // one writer at a time anyway
	}
	ch, err := biz.NewSimulatedChannel(cfg.Channel.FailureRate, cfg.Channel.Seed)
	if err != nil {
		return err
	}
	repo := billingdata.NewStatementRepo(a.Data)
	uc, err := biz.NewBillingUseCase(repo, a.Data, a.ledger.Ledger, a.ledger.Ledger, billingCredit{a.credit.Lines}, a.Outbox(), a.Clock, cfg, ch, a.Logger)
	if err != nil {
		return err
	}
	uc.SetDayEnder(a.ledger.Ledger)
	a.payments.UseCase.SetAccountLocker(uc)
	uc.SetCrashHook(func() {
		_ = a.Logger.Log(0, "msg", "HUABEI_TEST_CRASH_AFTER_CHUNKS reached: exiting")
		os.Exit(3)
	})
	a.ledger.Ledger.RegisterReconciler("billing", ledger.ReconcilerFunc(uc.Reconcile))
	svc := service.NewBillingService(uc, biz.NewAccountDirectory(billingCredit{a.credit.Lines}, repo), a.Idem)
	svc.Register(a.Servers.Routes)
	v1.RegisterBillingServiceServer(a.Servers.GRPC, svc)

	r := a.Jobs()
	r.Register("statements", func(ctx context.Context, run *job.Run) error { return uc.StatementsJob(ctx, run.Date, run) },
		job.OnlyFor(func(d clock.Date) error { return biz.CheckStatementDay(uc.Config(), d) }))
	r.Register("accrue", func(ctx context.Context, run *job.Run) error { return uc.AccrueJob(ctx, run.Date, run) })
	r.Register("autopay", func(ctx context.Context, run *job.Run) error { return uc.AutopayJob(ctx, run.Date, run) })
	r.Register("dayend", func(ctx context.Context, run *job.Run) error { return uc.DayEndJob(ctx, run.Date, run) })
	a.billing = billingModule{UseCase: uc, Repo: repo}
	return nil
}
