package app

import (
	"context"
	"os"
	"strconv"

	"github.com/huabei/huabei/app/job"
	v1 "github.com/huabei/huabei/billing/api/v1"
	billingdata "github.com/huabei/huabei/billing/data"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
	"github.com/huabei/huabei/billing/service"
	"github.com/huabei/huabei/billing/settlement"
)

// settlementConfig is the settlement section of configs/config.yaml.
type settlementConfig struct {
	PayoutAttempts int `json:"payout_attempts"`
	// Channel is the simulated payout channel (dev/tests).
	Channel struct {
		FailureRate string `json:"failure_rate"`
		Seed        int64  `json:"seed"`
	} `json:"channel"`
}

// wireSettlement builds merchant settlement: the merchant_settlement job, its day-end
// reconciliation of merchant.payable and the merchant routes (settlements, files,
// payments).
func (a *App) wireSettlement(ctx context.Context) error {
	var cfg settlementConfig
	cfg.Channel.FailureRate = "0"
	if err := a.Config.Scan("settlement", &cfg); err != nil {
		return err
	}
	if cfg.Channel.FailureRate == "" {
		cfg.Channel.FailureRate = "0"
	}
	repo := billingdata.NewSettlementRepo(a.Data)
	ch, err := billingdata.NewSimulatedPayouts(a.Data, cfg.Channel.FailureRate, cfg.Channel.Seed)
	if err != nil {
		return err
	}
	opts := settlement.Options{PayoutAttempts: cfg.PayoutAttempts}
	if !a.Config.Production() {
		// Test hook: HUABEI_TEST_CRASH_AFTER_PAYOUTS=n exits the process right after the
		// channel made the n-th payout, before it is recorded (crash tests). Ignored in
		// production.
		if n, err := strconv.Atoi(os.Getenv("HUABEI_TEST_CRASH_AFTER_PAYOUTS")); err == nil && n > 0 {
			opts.AfterPayout = func(paid int) {
				if paid >= n {
					_ = a.Logger.Log(0, "msg", "HUABEI_TEST_CRASH_AFTER_PAYOUTS reached: exiting")
					os.Exit(3)
				}
			}
		}
	}
	uc := settlement.New(repo, a.Data, ch, a.ledger.Ledger, a.Outbox(), a.Clock, opts, a.Logger)
	a.ledger.Ledger.RegisterReconciler("settlement", ledger.ReconcilerFunc(uc.Reconcile))
	svc := service.NewSettlementService(uc, repo)
	svc.Register(a.Servers.Routes)
	v1.RegisterSettlementServiceServer(a.Servers.GRPC, svc)
	a.Jobs().Register("merchant_settlement", func(ctx context.Context, run *job.Run) error {
		return uc.Run(ctx, run.Date, run)
	})
	return nil
}
