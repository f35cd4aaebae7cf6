package app

import (
	"context"

	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	"github.com/huabei/huabei/billing/service"
)

// installmentsModule holds what the installments domain exposes to the rest of the wiring.
type installmentsModule struct {
	// UseCase quotes, creates and services installment plans (the asset center reads plans
	// through its repository).
	UseCase *biz.InstallmentUseCase
	Repo    *billingdata.InstallmentRepo
}

// wireInstallments builds the installments engine, registers its routes and gRPC service,
// and installs its hooks in payments (capture with `installments`, refunds of plan
// purchases) and billing (periods falling due on statements, plan repayments).
func (a *App) wireInstallments(ctx context.Context) error {
	cfg := biz.DefaultInstallmentConfig()
	if err := a.Config.Scan("installments", &cfg); err != nil {
		return err
	}
	var cycle struct {
		StatementDay int `json:"statement_day"`
		DueDay       int `json:"due_day"`
	}
	cycle.StatementDay, cycle.DueDay = 1, 10
	if err := a.Config.Scan("billing", &cycle); err != nil {
		return err
	}
	repo := billingdata.NewInstallmentRepo(a.Data)
	uc, err := biz.NewInstallmentUseCase(repo, a.payments.Repo, a.Data, a.ledger.Ledger, a.Outbox(), a.Clock, cfg, cycle.StatementDay, cycle.DueDay, a.Logger)
	if err != nil {
		return err
	}
	a.payments.UseCase.SetCaptureHook(uc)
	a.payments.UseCase.SetRefundHook(uc)
	a.installments = installmentsModule{UseCase: uc, Repo: repo}
	a.wireInstallmentBilling(uc)

	svc := service.NewInstallmentService(uc, a.Idem)
	svc.Register(a.Servers.Routes)
	v1.RegisterInstallmentServiceServer(a.Servers.GRPC, svc)
	return nil
}

// wireInstallmentBilling connects the engine to billing's statements and allocation.
func (a *App) wireInstallmentBilling(uc *biz.InstallmentUseCase) {
	if a.billing.UseCase != nil {
		a.billing.UseCase.SetInstallments(uc.BillingHook())
		uc.SetStatementBiller(a.billing.UseCase)
	}
}
