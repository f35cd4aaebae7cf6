package app

import (
	"context"

	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/ledger/biz"
	ledgerdata "github.com/huabei/huabei/billing/ledger/data"
	ledgersvc "github.com/huabei/huabei/billing/ledger/service"
)

// ledgerModule holds what the ledger domain exposes to the rest of the wiring.
type ledgerModule struct {
	// Ledger posts entries (billing, payments, abs) and runs the day-end close (jobs);
	// billing and abs register their reconcilers on it.
	Ledger *biz.Ledger
}

// wireLedger builds the ledger domain and registers its routes (owned by the ledger engineers).
func (a *App) wireLedger(ctx context.Context) error {
	a.ledger.Ledger = biz.NewLedger(ledgerdata.NewRepo(a.Data), a.Data, a.Logger)
	svc := ledgersvc.NewLedgerService(a.ledger.Ledger, a.Clock)
	svc.Register(a.Servers.Routes)
	v1.RegisterLedgerServiceServer(a.Servers.GRPC, svc)
	return nil
}
