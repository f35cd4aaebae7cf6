package biz

import (
	"context"
	"fmt"
	"strconv"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Allocation kinds.
const (
	AllocPenalty   = "penalty"
	AllocInterest  = "interest"
	AllocFee       = "fee"
	AllocPrincipal = "principal"
)

// Allocation is one part of a repayment applied to one thing owed. Target names it:
// "statement:<period>" for billed charges, "purchase:<id>" for principal, "plan:<id>".
type Allocation struct {
	Kind        string
	Target      string
	StatementID int64
	PurchaseID  int64
	Amount      money.Amount
}

// allocate applies rep.Amount to what the user owes in the order of DESIGN §5: statements
// oldest first (penalty → interest → fees → principal, principal purchase by purchase,
// oldest first), then unbilled purchases oldest first, then (target all/plan) installment
// principal; the rest becomes credit balance. It posts the ledger entry, frees repaid
// principal on the credit line, updates statements' payment progress and cures an
// overdue account. skipPaidFor names a statement being issued (credit applied to it is
// not a payment towards its minimum). Runs in the caller's transaction with st locked.
func (uc *BillingUseCase) allocate(ctx context.Context, st *userState, rep Repayment, today clock.Date, skipPaidFor int64) (Repayment, error) {
	userID := st.acct.UserID
	left := rep.Amount
	var allocs []Allocation
	var principalPaid, billedPaid money.Amount
	var extra []ledger.Posting
	take := func(owed money.Amount) money.Amount {
		x := money.Min(left, owed)
		if x < 0 {
			x = 0
		}
		left -= x
		return x
	}
	payPurchase := func(i int) error {
		p := &st.purchases[i]
		x := take(p.Outstanding)
		if x == 0 {
			return nil
		}
		if err := uc.repo.ReducePrincipal(ctx, userID, p.ID, x); err != nil {
			return err
		}
		p.Outstanding -= x
		principalPaid += x
		if p.StatementID != 0 {
			billedPaid += x
		}
		allocs = append(allocs, Allocation{Kind: AllocPrincipal, Target: "purchase:" + strconv.FormatInt(p.ID, 10), StatementID: p.StatementID, PurchaseID: p.ID, Amount: x})
		if p.Owner != "" && p.Owner != OwnerLender && uc.collections != nil {
			ps, err := uc.collections.PrincipalCollected(ctx, *p, x)
			if err != nil {
				return err
			}
			extra = append(extra, ps...)
		}
		return nil
	}
	if planID, ok := planTarget(rep.Target); ok {
		if uc.installments == nil {
			return rep, ErrPlanRepaymentUnsupported
		}
		pr, fee, err := uc.installments.PayPlan(ctx, userID, planID, 0, left, true)
		if err != nil {
			return rep, err
		}
		left -= pr + fee
		principalPaid += pr
		allocs = appendAlloc(allocs, Allocation{Kind: AllocFee, Target: rep.Target, Amount: fee})
		allocs = appendAlloc(allocs, Allocation{Kind: AllocPrincipal, Target: rep.Target, Amount: pr})
	}
	sortPurchases(st.purchases)
	// Penalties first, oldest first: a penalty only ever accrues on past-due debt, even
	// when it was billed on the current statement.
	for si := range st.statements {
		s := &st.statements[si]
		if x := take(s.Penalty - s.PenaltyPaid); x > 0 {
			s.PenaltyPaid += x
			billedPaid += x
			allocs = append(allocs, Allocation{Kind: AllocPenalty, Target: "statement:" + s.Period, StatementID: s.ID, Amount: x})
		}
	}
	for si := range st.statements {
		s := &st.statements[si]
		if left == 0 {
			break
		}
		if s.Status == StatementPaid && uc.repoOwedZero(st, s) {
			continue
		}
		tgt := "statement:" + s.Period
		if x := take(s.Penalty - s.PenaltyPaid); x > 0 {
			s.PenaltyPaid += x
			billedPaid += x
			allocs = append(allocs, Allocation{Kind: AllocPenalty, Target: tgt, StatementID: s.ID, Amount: x})
		}
		if x := take(s.Interest - s.InterestPaid); x > 0 {
			s.InterestPaid += x
			billedPaid += x
			allocs = append(allocs, Allocation{Kind: AllocInterest, Target: tgt, StatementID: s.ID, Amount: x})
		}
		if x := take(s.Fees - s.FeePaid); x > 0 {
			s.FeePaid += x
			billedPaid += x
			allocs = append(allocs, Allocation{Kind: AllocFee, Target: tgt, StatementID: s.ID, Amount: x})
		}
		for i := range st.purchases {
			if st.purchases[i].StatementID == s.ID {
				if err := payPurchase(i); err != nil {
					return rep, err
				}
			}
		}
		if owed := st.planOwed[s.ID]; owed > 0 && left > 0 {
			pp, _ := uc.installments.(PlanPrincipal)
			took, err := pp.PayBilledPrincipal(ctx, userID, s.ID, money.Min(left, owed), today)
			if err != nil {
				return rep, err
			}
			left -= took
			st.planOwed[s.ID] -= took
			principalPaid += took
			billedPaid += took
			allocs = appendAlloc(allocs, Allocation{Kind: AllocPrincipal, Target: tgt + ":installments", StatementID: s.ID, Amount: took})
		}
	}
	// Principal billed before the recent statement window.
	for i := range st.purchases {
		if p := st.purchases[i]; p.StatementID != 0 && st.statement(p.StatementID) == nil {
			if err := payPurchase(i); err != nil {
				return rep, err
			}
		}
	}
	if rep.Source != SourceCreditBalance {
		for i := range st.purchases {
			if st.purchases[i].StatementID == 0 {
				if err := payPurchase(i); err != nil {
					return rep, err
				}
			}
		}
	}
	// target "all": what is left pays off the unbilled part of the user's plans too.
	if pp, ok := uc.installments.(PlanPayoffs); ok && rep.Target == TargetAll && rep.Source != SourceCreditBalance && left > 0 {
		plans, err := pp.UnbilledPlans(ctx, userID)
		if err != nil {
			return rep, err
		}
		for _, pl := range plans {
			if left == 0 {
				break
			}
			pr, fee, err := uc.installments.PayPlan(ctx, userID, pl.PlanID, 0, left, true)
			if err != nil {
				return rep, err
			}
			left -= pr + fee
			principalPaid += pr
			tgt := "plan:" + strconv.FormatInt(pl.PlanID, 10)
			allocs = appendAlloc(allocs, Allocation{Kind: AllocFee, Target: tgt, Amount: fee})
			allocs = appendAlloc(allocs, Allocation{Kind: AllocPrincipal, Target: tgt, Amount: pr})
		}
	}
	rep.ToCreditBalance = left
	if rep.Source == SourceCreditBalance && left > 0 {
		return rep, fmt.Errorf("billing: credit balance applied beyond what is owed")
	}
	rep.Allocations = allocs

	// Ledger: money in (cash, or the credit balance being used) against receivables.
	var sums = map[string]money.Amount{}
	for _, a := range allocs {
		sums[a.Kind] += a.Amount
	}
	var ps []ledger.Posting
	if rep.Source == SourceCreditBalance {
		ps = addPosting(ps, ledger.AccountCustomerCreditBalance, userID, true, rep.Amount)
	} else {
		ps = addPosting(ps, ledger.AccountCash, "", true, rep.Amount)
	}
	ps = addPosting(ps, ledger.AccountReceivablePenalty, userID, false, sums[AllocPenalty])
	ps = addPosting(ps, ledger.AccountReceivableInterest, userID, false, sums[AllocInterest])
	if _, ok := planTarget(rep.Target); !ok {
		ps = addPosting(ps, ledger.AccountReceivableFee, userID, false, sums[AllocFee])
	} else {
		ps = addPosting(ps, ledger.AccountReceivableFee, userID, false, sums[AllocFee])
	}
	ps = addPosting(ps, ledger.AccountReceivablePrincipal, userID, false, sums[AllocPrincipal])
	ps = addPosting(ps, ledger.AccountCustomerCreditBalance, userID, false, rep.ToCreditBalance)
	ps = mergePostings(append(ps, extra...))
	if st.acct.Status == AccountChargedOff {
		// Recoveries after charge-off: the receivables were written off, so money in
		// reduces the credit loss instead (only the credit balance part stays a liability).
		ps = ps[:0]
		ps = addPosting(ps, ledger.AccountCash, "", true, rep.Amount)
		ps = addPosting(ps, ledger.AccountExpenseCreditLoss, "", false, rep.Amount-rep.ToCreditBalance)
		ps = addPosting(ps, ledger.AccountCustomerCreditBalance, userID, false, rep.ToCreditBalance)
	}
	if len(ps) > 1 {
		if _, err := uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("repayment:%d", rep.ID), Type: "billing.repayment." + rep.Source,
			Description: "repayment " + strconv.FormatInt(rep.ID, 10), BusinessDate: today, Postings: ps}); err != nil {
			return rep, err
		}
	}
	if principalPaid > 0 && st.acct.Status != AccountChargedOff {
		if err := uc.credit.ReleaseOutstanding(ctx, userID, principalPaid); err != nil {
			return rep, err
		}
	}
	if err := uc.repo.InsertRepayment(ctx, rep); err != nil {
		return rep, err
	}
	if err := uc.settleStatements(ctx, st, billedPaid, today, skipPaidFor); err != nil {
		return rep, err
	}
	return rep, uc.updateDelinquency(ctx, st, today, false)
}

// repoOwedZero reports whether a paid statement really owes nothing (a refund can never
// raise what it owes, so a paid statement stays paid).
func (uc *BillingUseCase) repoOwedZero(st *userState, s *Statement) bool { return st.owed(s) == 0 }

func appendAlloc(as []Allocation, a Allocation) []Allocation {
	if a.Amount == 0 {
		return as
	}
	return append(as, a)
}

func planTarget(t string) (int64, bool) {
	if len(t) > 5 && t[:5] == "plan:" {
		id, err := strconv.ParseInt(t[5:], 10, 64)
		return id, err == nil
	}
	return 0, false
}

// settleStatements records billedPaid against every unpaid statement issued by today,
// marks minimums met and statements paid.
func (uc *BillingUseCase) settleStatements(ctx context.Context, st *userState, billedPaid money.Amount, today clock.Date, skip int64) error {
	allPaid := true
	for i := range st.statements {
		s := &st.statements[i]
		changed := false
		if s.Status != StatementPaid && billedPaid > 0 && s.ID != skip && !s.StatementDate.After(today) {
			s.Paid += billedPaid
			changed = true
			if s.MinMetDate.IsZero() && s.Paid >= s.MinimumDue {
				s.MinMetDate = today
			}
			if s.Status == StatementOverdue && !s.MinMetDate.IsZero() {
				s.Status = StatementOpen
			}
		}
		if allPaid && st.owed(s) == 0 {
			if s.Status != StatementPaid {
				s.Status = StatementPaid
				if s.MinMetDate.IsZero() {
					s.MinMetDate = today
				}
				changed = true
			}
		} else {
			allPaid = false
		}
		if changed && s.ID != skip {
			if err := uc.repo.UpdateStatement(ctx, *s); err != nil {
				return err
			}
		}
	}
	return nil
}
