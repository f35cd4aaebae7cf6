package biz

import (
	"context"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
)

// ChunkInput is what the statements job preloads for one user of a chunk with set
// queries (billing/data), so that users with a simple state are billed without per-user
// round trips.
type ChunkInput struct {
	Account       BillingAccount
	HasAccount    bool
	Latest        *Statement // latest statement, nil when none
	HasPeriod     bool       // the period's statement exists already
	UnpaidCount   int        // statements not paid
	Unbilled      []BilledPurchase
	Refunds       []CycleRefund
	Repayments    []Repayment
	MayHaveCredit bool // a repayment or refund ever went to the credit balance
	HasPlans      bool // the user has installment plans
}

// StatementBulkRepo is the set-based side of BillingRepo used by the statements job.
type StatementBulkRepo interface {
	// LoadChunk locks (creating) the users' billing accounts and loads their inputs for
	// the statement dated date billing start..end.
	LoadChunk(ctx context.Context, users []string, date, start, end clock.Date) (map[string]*ChunkInput, error)
	// InsertStatements inserts statements with their lines (all new periods).
	InsertStatements(ctx context.Context, list []Statement) error
	// BillPurchasesBulk sets statement_id on purchases (purchase id → statement id).
	BillPurchasesBulk(ctx context.Context, bills map[int64]int64, users []string) error
	// SetAccruedThrough moves accrued_through of accounts still before through.
	SetAccruedThrough(ctx context.Context, users []string, through clock.Date) error
}

// simple reports whether a user's statement can be issued from the preloaded input:
// nothing unpaid from earlier statements, nothing accrued, no credit balance, no
// delinquency. Everyone else takes the per-user path.
func (in *ChunkInput) simple(date clock.Date) bool {
	if in.HasPeriod || in.UnpaidCount > 0 || in.MayHaveCredit {
		return false
	}
	a := in.Account
	if a.Status != AccountCurrent || a.InterestMicro != 0 || a.PenaltyMicro != 0 {
		return false
	}
	if in.Latest != nil && !in.Latest.StatementDate.Before(date) {
		return false
	}
	return true
}

// generateChunk issues the statements of a chunk of users in the caller's transaction:
// simple users from set queries, the rest one by one.
func (uc *BillingUseCase) generateChunk(ctx context.Context, users []string, date clock.Date) error {
	bulk, ok := uc.repo.(StatementBulkRepo)
	if !ok {
		for _, u := range users {
			if _, err := uc.GenerateStatement(ctx, u, date); err != nil {
				return err
			}
		}
		return nil
	}
	start, end, due := uc.cycleOf(date)
	inputs, err := bulk.LoadChunk(ctx, users, date, start, end)
	if err != nil {
		return err
	}
	var (
		list   []Statement
		bills  = map[int64]int64{}
		simple []string
	)
	now := uc.clock.Now()
	for _, u := range users {
		in := inputs[u]
		if in == nil || !in.simple(date) {
			if _, err := uc.GenerateStatement(ctx, u, date); err != nil {
				return err
			}
			continue
		}
		simple = append(simple, u)
		s := Statement{ID: ids.New(), UserID: u, Period: date.Period(), StatementDate: date, DueDate: due,
			CycleStart: start, CycleEnd: end, Status: StatementOpen, CreatedAt: now}
		if in.Latest != nil {
			s.OpeningBalance = in.Latest.NewBalance
		}
		var principal money.Amount
		for _, p := range in.Unbilled {
			bills[p.ID] = s.ID
			s.NewPurchases += p.Amount
			principal += p.Outstanding
			s.Lines = append(s.Lines, StatementLine{Date: p.CaptureDate, Kind: LinePurchase, Description: PurchaseLineDescription(p.MerchantID), Amount: p.Amount, PaymentID: p.PaymentID})
		}
		for _, r := range in.Refunds {
			s.Refunds += r.ToPrincipal
			s.Lines = append(s.Lines, StatementLine{Date: r.Date, Kind: LineRefund, Description: "refund", Amount: -r.ToPrincipal, PaymentID: r.PaymentID})
		}
		for _, r := range in.Repayments {
			if r.Source == SourceCreditBalance {
				continue // shown on the statement that applied it
			}
			kind, desc := LinePayment, "repayment"
			if r.Source == SourceAutopay {
				desc = "autopay"
			}
			s.Lines = append(s.Lines, StatementLine{Date: r.ReceivedDate, Kind: kind, Description: desc, Amount: -r.Amount})
		}
		var items []DueItem
		if uc.installments != nil && in.HasPlans {
			if items, err = uc.installments.DueInstallments(ctx, u, s.ID, date); err != nil {
				return err
			}
		}
		for _, it := range items {
			s.InstallmentsDue += it.Principal + it.Fee
			s.Fees += it.Fee
			principal += it.Principal
			s.Lines = append(s.Lines, StatementLine{Date: date, Kind: LineInstallment, Description: it.Description, Amount: it.Principal + it.Fee, PlanID: it.PlanID})
		}
		if len(in.Unbilled) == 0 && len(in.Refunds) == 0 && len(in.Repayments) == 0 && len(items) == 0 {
			continue // no activity, no balance
		}
		s.NewBalance = principal + s.Fees
		s.PaymentsAndCredits = s.OpeningBalance + s.NewPurchases - s.Refunds + s.InstallmentsDue - s.NewBalance
		s.MinimumDue = money.Min(principal.MulRate(uc.rates.minimum, money.HalfUp)+s.Fees, s.NewBalance)
		if s.NewBalance == 0 {
			s.Status = StatementPaid
			s.MinMetDate = date
		}
		list = append(list, s)
	}
	if err := bulk.InsertStatements(ctx, list); err != nil {
		return err
	}
	issued := make([]outbox.Event, len(list))
	for i, s := range list {
		issued[i] = statementIssuedEvent(s)
	}
	if err := uc.events.Emit(ctx, issued...); err != nil {
		return err
	}
	if err := bulk.BillPurchasesBulk(ctx, bills, simple); err != nil {
		return err
	}
	return bulk.SetAccruedThrough(ctx, simple, date.AddDays(-1))
}
