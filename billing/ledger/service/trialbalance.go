package service

import (
	"context"
	"strings"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/server"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/ledger/biz"
)

// TrialBalancer is what the service needs from the ledger (*biz.Ledger).
type TrialBalancer interface {
	TrialBalance(ctx context.Context, date clock.Date) (biz.TrialBalance, error)
}

// LedgerService implements v1.LedgerServiceServer.
type LedgerService struct {
	v1.UnimplementedLedgerServiceServer
	ledger TrialBalancer
	clock  clock.Clock
}

// NewLedgerService returns the service; clk gives the default business date.
func NewLedgerService(l TrialBalancer, clk clock.Clock) *LedgerService {
	return &LedgerService{ledger: l, clock: clk}
}

// Register adds the HTTP routes (ops only).
func (s *LedgerService) Register(r *server.Routes) {
	server.Route(r, "GET", "/v1/ops/ledger/trial-balance", v1.LedgerService_GetTrialBalance_FullMethodName, []auth.Role{auth.RoleOps}, s.GetTrialBalance)
}

// GetTrialBalance implements v1.LedgerServiceServer.
func (s *LedgerService) GetTrialBalance(ctx context.Context, req *v1.TrialBalanceRequest) (*v1.TrialBalanceReply, error) {
	date := clock.Today(s.clock)
	if d := strings.TrimSpace(req.GetDate()); d != "" {
		var err error
		if date, err = clock.ParseDate(d); err != nil {
			return nil, apierr.Invalid("date", "must be a YYYY-MM-DD business date")
		}
	}
	tb, err := s.ledger.TrialBalance(ctx, date)
	if err != nil {
		return nil, err
	}
	out := &v1.TrialBalanceReply{
		Date:           tb.Date.String(),
		Balanced:       tb.Balanced,
		Debits:         tb.Debits.String(),
		Credits:        tb.Credits.String(),
		Accounts:       make([]*v1.TrialBalanceAccount, 0, len(tb.Accounts)),
		Reconciliation: &v1.TrialBalanceReconciliation{},
	}
	for _, a := range tb.Accounts {
		out.Accounts = append(out.Accounts, &v1.TrialBalanceAccount{
			Account: a.Account, Type: string(a.Type), Debits: a.Debits.String(), Credits: a.Credits.String(), Balance: a.Balance.String(),
		})
	}
	for _, d := range tb.Reconciliation.Differences {
		out.Reconciliation.Differences = append(out.Reconciliation.Differences, &v1.TrialBalanceDifference{
			Check: d.Check, Account: d.Account, Owner: d.Owner, Ledger: d.Ledger.String(), Subledger: d.Subledger.String(), Difference: (d.Ledger - d.Subledger).String(),
		})
	}
	for _, f := range tb.Reconciliation.Failures {
		out.Reconciliation.Failures = append(out.Reconciliation.Failures, &v1.TrialBalanceCheckFailure{Check: f.Check, Error: f.Error})
	}
	return out, nil
}
