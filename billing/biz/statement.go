package biz

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Statement line kinds.
const (
	LinePurchase    = "purchase"
	LineRefund      = "refund"
	LinePayment     = "payment"
	LineCredit      = "credit"
	LineInterest    = "interest"
	LinePenalty     = "penalty"
	LineInstallment = "installment"
)

// StatementLine is one line of a statement.
type StatementLine struct {
	Date        clock.Date
	Kind        string
	Description string
	Amount      money.Amount
	PaymentID   int64
	PlanID      int64
}

// Statement is a monthly statement. Period is the statement month (YYYY-MM of the
// statement date): the statement of 2026-12-01 bills November and is period "2026-12".
type Statement struct {
	ID                 int64
	UserID             string
	Period             string
	StatementDate      clock.Date
	DueDate            clock.Date
	CycleStart         clock.Date
	CycleEnd           clock.Date
	OpeningBalance     money.Amount
	NewPurchases       money.Amount
	Refunds            money.Amount
	InstallmentsDue    money.Amount
	Interest           money.Amount
	Penalty            money.Amount
	Fees               money.Amount
	PaymentsAndCredits money.Amount
	NewBalance         money.Amount
	MinimumDue         money.Amount
	Paid               money.Amount
	InterestPaid       money.Amount
	PenaltyPaid        money.Amount
	FeePaid            money.Amount
	MinMetDate         clock.Date
	Status             string
	CreatedAt          time.Time
	Lines              []StatementLine
}

func (s *Statement) chargesOwed() money.Amount {
	return (s.Interest - s.InterestPaid) + (s.Penalty - s.PenaltyPaid) + (s.Fees - s.FeePaid)
}

// StatementFor returns the user's statement for a period (YYYY-MM).
func (uc *BillingUseCase) StatementFor(ctx context.Context, userID, period string) (Statement, error) {
	return uc.repo.StatementByPeriod(ctx, userID, period)
}

// Statements lists statements newest first; cursor is the last period of the previous page.
func (uc *BillingUseCase) Statements(ctx context.Context, userID, cursor string, limit int) ([]Statement, string, error) {
	if limit <= 0 || limit > 100 {
		limit = 12
	}
	list, err := uc.repo.ListStatements(ctx, userID, cursor, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].Period
	}
	return list, next, nil
}

// cycleOf returns the cycle billed by a statement dated date (the previous month).
func (uc *BillingUseCase) cycleOf(date clock.Date) (start, end, due clock.Date) {
	start = date.AddMonths(-1)
	end = date.AddDays(-1)
	due = date.AddDays(uc.cfg.DueDay - uc.cfg.StatementDay)
	return
}

// GenerateStatement issues the user's statement dated date (a statement day) in the
// caller's transaction, or in its own. It returns generated=false when the user had no
// activity and owes nothing, or when the period's statement already exists.
func (uc *BillingUseCase) GenerateStatement(ctx context.Context, userID string, date clock.Date) (generated bool, err error) {
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		generated = false
		if err := uc.accrueUser(ctx, userID, date.AddDays(-1)); err != nil {
			return err
		}
		st, err := uc.loadState(ctx, userID, true)
		if err != nil {
			return err
		}
		for _, s := range st.statements {
			if s.Period == date.Period() {
				return nil // a repeat is a no-op
			}
		}
		generated, err = uc.generate(ctx, st, date)
		return err
	})
	return generated, err
}

func (uc *BillingUseCase) generate(ctx context.Context, st *userState, date clock.Date) (bool, error) {
	userID := st.acct.UserID
	start, end, due := uc.cycleOf(date)
	s := Statement{ID: ids.New(), UserID: userID, Period: date.Period(), StatementDate: date, DueDate: due,
		CycleStart: start, CycleEnd: end, Status: StatementOpen, CreatedAt: uc.clock.Now()}
	if prev := st.latest(); prev != nil {
		if !prev.StatementDate.Before(date) {
			return false, nil // never issue a statement older than the latest one
		}
		s.OpeningBalance = prev.NewBalance
	}
	owedBefore := st.billedOwed()

	unbilled, err := uc.repo.OpenPurchases(ctx, userID, end)
	if err != nil {
		return false, err
	}
	var toBill []int64
	var lines []StatementLine
	for _, p := range unbilled {
		if p.StatementID != 0 || p.CaptureDate.After(end) {
			continue
		}
		toBill = append(toBill, p.ID)
		s.NewPurchases += p.Amount
		lines = append(lines, StatementLine{Date: p.CaptureDate, Kind: LinePurchase, Description: PurchaseLineDescription(p.MerchantID), Amount: p.Amount, PaymentID: p.PaymentID})
	}
	refunds, err := uc.repo.CycleRefunds(ctx, userID, start, end)
	if err != nil {
		return false, err
	}
	for _, r := range refunds {
		s.Refunds += r.ToPrincipal
		lines = append(lines, StatementLine{Date: r.Date, Kind: LineRefund, Description: "refund", Amount: -r.ToPrincipal, PaymentID: r.PaymentID})
	}
	reps, err := uc.repo.CycleRepayments(ctx, userID, start, end)
	if err != nil {
		return false, err
	}
	for _, r := range reps {
		if r.Source == SourceCreditBalance {
			continue // shown on the statement that applied it
		}
		kind, desc := LinePayment, "repayment"
		if r.Source == SourceAutopay {
			desc = "autopay"
		}
		lines = append(lines, StatementLine{Date: r.ReceivedDate, Kind: kind, Description: desc, Amount: -r.Amount})
	}
	s.Interest = money.FromFenDecimal(decimal.New(st.acct.InterestMicro, -6), money.HalfUp)
	s.Penalty = money.FromFenDecimal(decimal.New(st.acct.PenaltyMicro, -6), money.HalfUp)
	var items []DueItem
	if uc.installments != nil {
		if items, err = uc.installments.DueInstallments(ctx, userID, s.ID, date); err != nil {
			return false, err
		}
	}
	for _, it := range items {
		s.InstallmentsDue += it.Principal + it.Fee
		s.Fees += it.Fee
		lines = append(lines, StatementLine{Date: date, Kind: LineInstallment, Description: it.Description, Amount: it.Principal + it.Fee, PlanID: it.PlanID})
	}
	if len(toBill) == 0 && len(refunds) == 0 && len(reps) == 0 && owedBefore == 0 && s.Interest == 0 && s.Penalty == 0 && len(items) == 0 {
		return false, nil // no activity, no balance: no statement
	}
	if s.Interest > 0 {
		lines = append(lines, StatementLine{Date: end, Kind: LineInterest, Description: "interest", Amount: s.Interest})
	}
	if s.Penalty > 0 {
		lines = append(lines, StatementLine{Date: end, Kind: LinePenalty, Description: "penalty", Amount: s.Penalty})
	}
	s.Lines = lines
	inserted, err := uc.repo.InsertStatement(ctx, s)
	if err != nil || !inserted {
		return false, err
	}
	if err := uc.events.Emit(ctx, statementIssuedEvent(s)); err != nil {
		return false, err
	}
	if err := uc.repo.BillPurchases(ctx, userID, toBill, s.ID); err != nil {
		return false, err
	}
	var postings []ledger.Posting
	postings = addPosting(postings, ledger.AccountReceivableInterest, userID, true, s.Interest)
	postings = addPosting(postings, ledger.AccountIncomeInterest, "", false, s.Interest)
	postings = addPosting(postings, ledger.AccountReceivablePenalty, userID, true, s.Penalty)
	postings = addPosting(postings, ledger.AccountIncomePenalty, "", false, s.Penalty)
	if len(postings) > 0 {
		if _, err := uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("statement:%d:charges", s.ID), Type: "billing.charges",
			Description: "interest and penalty billed on statement " + s.Period, BusinessDate: date, Postings: postings}); err != nil {
			return false, err
		}
	}
	st.acct.InterestMicro, st.acct.PenaltyMicro = 0, 0
	if err := uc.repo.SaveAccount(ctx, st.acct); err != nil {
		return false, err
	}

	// Reload with the new statement and its purchases, then use the credit balance.
	if st, err = uc.loadState(ctx, userID, true); err != nil {
		return false, err
	}
	cur := st.statement(s.ID)
	if cur == nil {
		return false, fmt.Errorf("billing: statement %d vanished", s.ID)
	}
	cur.Lines = s.Lines
	if uc.balances != nil {
		cb, err := uc.balances.Balance(ctx, ledger.AccountCustomerCreditBalance, userID)
		if err != nil {
			return false, err
		}
		if use := money.Min(cb, st.billedOwed()); use > 0 {
			if _, err := uc.allocate(ctx, st, Repayment{ID: ids.New(), UserID: userID, Amount: use, Target: TargetDue,
				Source: SourceCreditBalance, ReceivedDate: date, ReceivedAt: uc.clock.Now()}, date, s.ID); err != nil {
				return false, err
			}
			cur = st.statement(s.ID)
			l := StatementLine{Date: date, Kind: LineCredit, Description: "credit balance applied", Amount: -use}
			if err := uc.repo.AddStatementLine(ctx, userID, s.ID, l); err != nil {
				return false, err
			}
		}
	}
	// Totals from what is owed now.
	cur.NewBalance = st.billedOwed()
	cur.PaymentsAndCredits = cur.OpeningBalance + cur.NewPurchases - cur.Refunds + cur.InstallmentsDue + cur.Interest + cur.Penalty - cur.NewBalance
	var principalDue, charges, pastDue money.Amount
	for i := range st.statements {
		o := &st.statements[i]
		charges += o.chargesOwed()
		if o.ID != cur.ID && o.DueDate.Before(date) && !o.minMetOn(date) && o.Status != StatementPaid {
			pastDue = money.Max(pastDue, o.MinimumDue-o.Paid)
			continue
		}
		principalDue += st.principalOn(o.ID)
	}
	for _, p := range st.purchases {
		if p.StatementID != 0 && st.statement(p.StatementID) == nil {
			principalDue += p.Outstanding // billed before the recent window
		}
	}
	min := principalDue.MulRate(uc.rates.minimum, money.HalfUp) + charges + pastDue
	cur.MinimumDue = money.Min(min, cur.NewBalance)
	if cur.NewBalance == 0 {
		cur.Status = StatementPaid
		cur.MinMetDate = date
	}
	if err := uc.repo.UpdateStatement(ctx, *cur); err != nil {
		return false, err
	}
	return true, nil
}

// PurchaseLineDescription describes a purchase line.
func PurchaseLineDescription(merchantID string) string { return "purchase at " + merchantID }

// mergePostings folds postings to the same account, owner and side into one, in order of
// first appearance: a repayment over many purchases sold to a pool carries two pool
// postings per purchase, which would pass the ledger's limit of postings per entry.
func mergePostings(ps []ledger.Posting) []ledger.Posting {
	type key struct {
		account, owner string
		debit          bool
	}
	idx := map[key]int{}
	out := make([]ledger.Posting, 0, len(ps))
	for _, p := range ps {
		k := key{p.Account, p.Owner, p.Debit}
		if i, ok := idx[k]; ok {
			out[i].Amount += p.Amount
			continue
		}
		idx[k] = len(out)
		out = append(out, p)
	}
	return out
}

func addPosting(ps []ledger.Posting, account, owner string, debit bool, a money.Amount) []ledger.Posting {
	if a == 0 {
		return ps
	}
	return append(ps, ledger.Posting{Account: account, Owner: owner, Debit: debit, Amount: a})
}
