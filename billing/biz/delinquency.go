package biz

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Credit line statuses billing sets.
const (
	lineOverdue = "overdue"
	lineActive  = "active"
)

// updateDelinquency sets DPD and bucket as of day, moves the account (and its credit
// line) to overdue when a minimum is past due and back when cured, marks unmet past-due
// statements overdue and charges off at the configured DPD. It always saves the account.
func (uc *BillingUseCase) updateDelinquency(ctx context.Context, st *userState, day clock.Date, fromAccrual bool) error {
	if err := uc.setDelinquency(ctx, st, day, fromAccrual); err != nil {
		return err
	}
	return uc.repo.SaveAccount(ctx, st.acct)
}

// setDelinquency is updateDelinquency without saving the account (the caller does).
func (uc *BillingUseCase) setDelinquency(ctx context.Context, st *userState, day clock.Date, fromAccrual bool) error {
	dpd := st.dpd(day)
	st.acct.DaysPastDue = dpd
	st.acct.Bucket = Bucket(dpd)
	switch {
	case st.acct.Status == AccountChargedOff:
	case dpd > 0 && st.acct.Status != AccountOverdue:
		st.acct.Status = AccountOverdue
		if err := uc.credit.SetStatus(ctx, st.acct.UserID, lineOverdue, "minimum payment past due"); err != nil {
			return err
		}
		if err := uc.events.Emit(ctx, accountEvent(outbox.AccountOverdue, st.acct, day.String(), 0)); err != nil {
			return err
		}
	case dpd == 0 && st.acct.Status == AccountOverdue:
		st.acct.Status = AccountCurrent
		if err := uc.credit.SetStatus(ctx, st.acct.UserID, lineActive, "past-due minimum paid"); err != nil {
			return err
		}
	}
	if dpd > 0 {
		for i := range st.statements {
			s := &st.statements[i]
			if s.DueDate.Before(day) && s.Status == StatementOpen && !s.minMetOn(day) {
				s.Status = StatementOverdue
				if err := uc.repo.UpdateStatement(ctx, *s); err != nil {
					return err
				}
			}
		}
	}
	if fromAccrual && uc.cfg.ChargeOffDPD > 0 && dpd >= uc.cfg.ChargeOffDPD && st.acct.Status != AccountChargedOff {
		if err := uc.chargeOff(ctx, st, day); err != nil {
			return err
		}
	}
	return nil
}

// chargeOff writes off everything the user owes: Dr expense.credit_loss, Cr each
// receivable; the subledger's principal and charges go to zero with it.
func (uc *BillingUseCase) chargeOff(ctx context.Context, st *userState, day clock.Date) error {
	userID := st.acct.UserID
	var principal, interest, penalty, fee money.Amount
	for i := range st.purchases {
		p := &st.purchases[i]
		if p.Outstanding == 0 {
			continue
		}
		if err := uc.repo.ReducePrincipal(ctx, userID, p.ID, p.Outstanding); err != nil {
			return err
		}
		principal += p.Outstanding
		p.Outstanding = 0
	}
	if pc, ok := uc.installments.(PlanChargeOff); ok {
		planPrincipal, err := pc.ChargeOffPlans(ctx, userID, day)
		if err != nil {
			return err
		}
		principal += planPrincipal
		st.planOwed = map[int64]money.Amount{}
	}
	for i := range st.statements {
		s := &st.statements[i]
		interest += s.Interest - s.InterestPaid
		penalty += s.Penalty - s.PenaltyPaid
		fee += s.Fees - s.FeePaid
		s.InterestPaid, s.PenaltyPaid, s.FeePaid = s.Interest, s.Penalty, s.Fees
		if err := uc.repo.UpdateStatement(ctx, *s); err != nil {
			return err
		}
	}
	total := principal + interest + penalty + fee
	if total > 0 {
		var ps []ledger.Posting
		ps = addPosting(ps, ledger.AccountExpenseCreditLoss, "", true, total)
		ps = addPosting(ps, ledger.AccountReceivablePrincipal, userID, false, principal)
		ps = addPosting(ps, ledger.AccountReceivableInterest, userID, false, interest)
		ps = addPosting(ps, ledger.AccountReceivablePenalty, userID, false, penalty)
		ps = addPosting(ps, ledger.AccountReceivableFee, userID, false, fee)
		if _, err := uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("chargeoff:%s", userID), Type: "billing.charge_off",
			Description: "charge-off at " + fmt.Sprint(st.acct.DaysPastDue) + " DPD", BusinessDate: day, Postings: ps}); err != nil {
			return err
		}
	}
	st.acct.Status = AccountChargedOff
	st.acct.ChargedOffDate = day
	if err := uc.events.Emit(ctx, accountEvent(outbox.AccountChargedOff, st.acct, day.String(), total)); err != nil {
		return err
	}
	st.acct.InterestMicro, st.acct.PenaltyMicro = 0, 0
	uc.log.WithContext(ctx).Warnw("msg", "account charged off", "business_date", day.String(), "dpd", st.acct.DaysPastDue)
	return nil
}
