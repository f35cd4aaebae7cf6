package app

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/shopspring/decimal"

	v1 "github.com/huabei/huabei/abs/api/v1"
	absbiz "github.com/huabei/huabei/abs/biz"
	absdata "github.com/huabei/huabei/abs/data"
	abssvc "github.com/huabei/huabei/abs/service"
	"github.com/huabei/huabei/app/job"
	ledgerbiz "github.com/huabei/huabei/billing/ledger/biz"
)

// absModule holds what the abs domain exposes to the rest of the wiring.
type absModule struct {
	// AssetCenter is the funding source (credit, payments) and the collections hook (billing).
	AssetCenter *absbiz.AssetCenter
}

// wireABS builds the asset center: posts the opening capital once, registers routes,
// gRPC, the abs_servicing job and the pool reconciler, and becomes credit's funding source.
func (a *App) wireABS(ctx context.Context) error {
	cfg := absbiz.DefaultConfig()
	if err := a.Config.Scan("abs", &cfg); err != nil {
		return err
	}
	single, err := decimal.NewFromString(cfg.SinglePaymentAPR)
	if err != nil {
		return fmt.Errorf("abs: single_payment_apr %q: %w", cfg.SinglePaymentAPR, err)
	}
	inst, err := decimal.NewFromString(cfg.InstallmentAPR)
	if err != nil {
		return fmt.Errorf("abs: installment_apr %q: %w", cfg.InstallmentAPR, err)
	}
	if !a.Config.Production() {
		// Test hook: a small transfer batch so e2e tests crash between batches.
		if n, err := strconv.Atoi(os.Getenv("HUABEI_TEST_TRANSFER_BATCH")); err == nil && n > 0 {
			cfg.TransferBatch = n
		}
	}
	uc := absbiz.NewAssetCenter(absdata.NewRepo(a.Data, single, inst), a.Data, a.ledger.Ledger, a.Outbox(), a.Clock, cfg, a.Logger)
	if !a.Config.Production() {
		// Test hook: HUABEI_TEST_CRASH_AFTER_BATCHES=n exits the process right after the
		// n-th committed transfer batch (crash-resume tests). Ignored in production.
		if n, err := strconv.Atoi(os.Getenv("HUABEI_TEST_CRASH_AFTER_BATCHES")); err == nil && n > 0 {
			uc.AfterBatch = func(b int) {
				if b >= n {
					os.Exit(3)
				}
			}
		}
	}
	if err := uc.PostOpeningCapital(ctx); err != nil {
		return err
	}
	a.abs.AssetCenter = uc
	a.ledger.Ledger.RegisterReconciler("abs.pools", ledgerbiz.ReconcilerFunc(uc.Reconcile))
	a.Jobs().Register("abs_servicing", func(ctx context.Context, run *job.Run) error {
		n, err := uc.ServiceAll(ctx, run.Date)
		if err == nil {
			err = run.SaveCheckpoint(ctx, "done", n)
		}
		return err
	})
	a.wireABSPeers()
	svc := abssvc.NewAbsService(uc, a.Idem, a.Clock)
	svc.Register(a.Servers.Routes)
	v1.RegisterAbsServiceServer(a.Servers.GRPC, svc)
	return nil
}

// AssetCenter returns the asset center use case (huabeictl bench abs).
func (a *App) AssetCenter() *absbiz.AssetCenter { return a.abs.AssetCenter }
