package biz

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// InstallmentDue is one plan period billed on a statement.
type InstallmentDue struct {
	PlanID      int64
	Period      int
	Terms       int
	Principal   money.Amount
	Fee         money.Amount
	Description string
}

// BillDueInstallments bills, on the statement dated statementDate, every unbilled period
// of the user's active plans due by that statement's due date, and recognizes their fees
// (Dr receivable.fee, Cr income.installment_fee). Runs in the caller's transaction; a
// repeat for the same statement bills nothing new.
func (uc *InstallmentUseCase) BillDueInstallments(ctx context.Context, userID string, statementID int64, statementDate clock.Date) ([]InstallmentDue, error) {
	due := uc.dueDateOf(statementDate)
	plans, err := uc.repo.ActivePlans(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []InstallmentDue
	var fees money.Amount
	for _, p := range plans {
		changed := false
		for i := range p.Periods {
			per := &p.Periods[i]
			if per.Billed() || per.DueDate.After(due) {
				continue
			}
			per.StatementID, per.BilledDate = statementID, statementDate
			p.PeriodsBilled++
			changed = true
			owed := per.Principal - per.PrincipalPaid
			if owed == 0 && per.Fee == 0 {
				continue // nothing left in it (refunded or prepaid)
			}
			fees += per.Fee
			out = append(out, InstallmentDue{PlanID: p.ID, Period: per.Number, Terms: p.Terms, Principal: owed, Fee: per.Fee,
				Description: fmt.Sprintf("installment %d/%d of plan %d", per.Number, p.Terms, p.ID)})
		}
		if changed {
			uc.settle(&p, statementDate)
			p.UpdatedAt = uc.clock.Now()
			if err := uc.repo.SavePlan(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	if err := uc.postFees(ctx, userID, fmt.Sprintf("statement:%d:installment_fees", statementID), "installment fees billed", statementDate, fees); err != nil {
		return nil, err
	}
	return out, nil
}

// BilledPlanPrincipal is the principal of plan periods billed on the statement (0: on any
// statement) and not yet repaid: what a statement owes for installments besides fees.
func (uc *InstallmentUseCase) BilledPlanPrincipal(ctx context.Context, userID string, statementID int64) (money.Amount, error) {
	plans, err := uc.plansBilled(ctx, userID, statementID)
	if err != nil {
		return 0, err
	}
	var sum money.Amount
	for _, p := range plans {
		for _, per := range p.Periods {
			if per.Billed() && (statementID == 0 || per.StatementID == statementID) {
				sum += per.Principal - per.PrincipalPaid
			}
		}
	}
	return sum, nil
}

func (uc *InstallmentUseCase) plansBilled(ctx context.Context, userID string, statementID int64) ([]InstallmentPlan, error) {
	if statementID != 0 {
		return uc.repo.PlansBilledOn(ctx, userID, statementID)
	}
	return uc.repo.OwingPlans(ctx, userID)
}

// PayBilledPrincipal applies up to amount to the unpaid principal of plan periods billed
// on the statement (0: any statement), oldest period first, lowering the purchases'
// outstanding principal. It returns what it took. Fees of billed periods are paid with the
// statement's fees, not here.
func (uc *InstallmentUseCase) PayBilledPrincipal(ctx context.Context, userID string, statementID int64, amount money.Amount, today clock.Date) (money.Amount, error) {
	plans, err := uc.plansBilled(ctx, userID, statementID)
	if err != nil {
		return 0, err
	}
	var total money.Amount
	for _, p := range plans {
		if amount-total <= 0 {
			break
		}
		took := uc.payBilled(&p, statementID, amount-total)
		if took == 0 {
			continue
		}
		if err := uc.reducePurchases(ctx, p, took); err != nil {
			return 0, err
		}
		uc.settle(&p, today)
		if err := uc.repo.SavePlan(ctx, p); err != nil {
			return 0, err
		}
		total += took
	}
	return total, nil
}

// payBilled applies up to amount to the billed periods of p (on statementID, or all).
func (uc *InstallmentUseCase) payBilled(p *InstallmentPlan, statementID int64, amount money.Amount) money.Amount {
	var took money.Amount
	for i := range p.Periods {
		per := &p.Periods[i]
		if !per.Billed() || (statementID != 0 && per.StatementID != statementID) {
			continue
		}
		x := money.Min(amount-took, per.Principal-per.PrincipalPaid)
		if x <= 0 {
			continue
		}
		per.PrincipalPaid += x
		took += x
	}
	p.PrincipalOutstanding -= took
	return took
}

// PayPlan applies a repayment aimed at a plan (target "plan:<id>"). With payoff it pays
// the plan off early: the unbilled principal, and the unbilled fees unless they are waived
// (the default; a waived fee never posts). An amount short of the unbilled principal
// prepays part of it and re-spreads the rest over the remaining periods (fees cut in
// proportion when waived). Without payoff it pays the principal of the plan's billed
// periods. It returns what it took as principal and as fee; the caller posts the money in
// (Cr receivable.principal, Cr receivable.fee) and frees the credit line.
func (uc *InstallmentUseCase) PayPlan(ctx context.Context, userID string, planID int64, statementID int64, amount money.Amount, payoff bool) (principal, fee money.Amount, err error) {
	p, err := uc.repo.Plan(ctx, userID, planID, true)
	if err != nil {
		return 0, 0, err
	}
	today := clock.Today(uc.clock)
	if amount <= 0 {
		return 0, 0, nil
	}
	if !payoff {
		principal = uc.payBilled(&p, statementID, amount)
	} else if p.Status == PlanActive {
		unbilledP, unbilledF := p.Unbilled()
		if !uc.cfg.WaiveUnbilledFeesOnPayoff {
			fee = money.Min(amount, unbilledF)
		}
		principal = money.Min(amount-fee, unbilledP)
		if principal == 0 && fee == 0 {
			return 0, 0, nil
		}
		rest := installment.ApplyRefund(p.unbilledPeriods(), principal)
		if uc.cfg.WaiveUnbilledFeesOnPayoff {
			p.FeeWaived += rest.FeeCut // cut in proportion; all of them on a full payoff
		} else {
			// fees are collected first, never cut: what is left of them stays scheduled
			rest.Periods = respreadFee(rest.Periods, unbilledF-fee)
		}
		uc.rewriteUnbilled(&p, rest.Periods, principal == unbilledP)
		p.PrincipalOutstanding -= principal
		if principal == unbilledP {
			p.Status, p.ClosedDate = PlanPaidOff, today
		}
		if err := uc.postFees(ctx, userID, fmt.Sprintf("plan:%d:payoff_fee:%d", p.ID, ids.New()), "installment fees collected on payoff", today, fee); err != nil {
			return 0, 0, err
		}
	}
	if principal > 0 {
		if err := uc.reducePurchases(ctx, p, principal); err != nil {
			return 0, 0, err
		}
	}
	uc.settle(&p, today)
	p.UpdatedAt = uc.clock.Now()
	return principal, fee, uc.repo.SavePlan(ctx, p)
}

// respreadFee spreads fee over the periods by the flat-fee rule (leftover to the first).
func respreadFee(ps []installment.Period, fee money.Amount) []installment.Period {
	if len(ps) == 0 {
		return ps
	}
	parts := money.Split(fee, len(ps))
	out := append([]installment.Period(nil), ps...)
	for i := range out {
		out[i].Fee = parts[i]
	}
	return out
}

// rewriteUnbilled writes re-spread unbilled periods back into the plan. paidOff marks the
// whole unbilled principal as paid instead (the schedule keeps its amounts, fees waived).
func (uc *InstallmentUseCase) rewriteUnbilled(p *InstallmentPlan, ps []installment.Period, paidOff bool) {
	byNumber := map[int]installment.Period{}
	for _, x := range ps {
		byNumber[x.Number] = x
	}
	for i := range p.Periods {
		per := &p.Periods[i]
		if per.Billed() {
			continue
		}
		if paidOff {
			per.PrincipalPaid = per.Principal
			per.Fee = byNumber[per.Number].Fee
			continue
		}
		x := byNumber[per.Number]
		per.Principal, per.PrincipalPaid, per.Fee = x.Principal, 0, x.Fee
	}
}

// reducePurchases lowers the outstanding principal of the plan's purchases, oldest first.
func (uc *InstallmentUseCase) reducePurchases(ctx context.Context, p InstallmentPlan, amount money.Amount) error {
	ps, err := uc.repo.PlanPurchases(ctx, p.UserID, p.ID)
	if err != nil {
		return err
	}
	for _, pu := range ps {
		x := money.Min(amount, pu.Outstanding)
		if x <= 0 {
			continue
		}
		if err := uc.repo.ReducePurchasePrincipal(ctx, p.UserID, pu.ID, x); err != nil {
			return err
		}
		if err := uc.routeToPool(ctx, p, pu, x); err != nil {
			return err
		}
		amount -= x
	}
	if amount != 0 {
		return fmt.Errorf("billing: plan %d owes less principal on its purchases than on its periods (%s left)", p.ID, amount)
	}
	return nil
}

// ChargeOffPlans writes off, in the caller's transaction, every plan of the user that is
// active or still owes principal: the principal outstanding comes off the plan's
// purchases (returned, for billing's charge-off entry), the fees of unbilled periods are
// waived (they were never recognized), every period counts as settled and the plan is
// charged_off, so no later statement bills it. Billed fees stay receivable: billing's
// charge-off writes them off with the statements.
func (uc *InstallmentUseCase) ChargeOffPlans(ctx context.Context, userID string, day clock.Date) (money.Amount, error) {
	owing, err := uc.repo.OwingPlans(ctx, userID)
	if err != nil {
		return 0, err
	}
	active, err := uc.repo.ActivePlans(ctx, userID)
	if err != nil {
		return 0, err
	}
	seen := map[int64]bool{}
	var total money.Amount
	for _, p := range append(owing, active...) {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		ps, err := uc.repo.PlanPurchases(ctx, userID, p.ID)
		if err != nil {
			return 0, err
		}
		var off money.Amount
		for _, pu := range ps {
			if pu.Outstanding <= 0 {
				continue
			}
			if err := uc.repo.ReducePurchasePrincipal(ctx, userID, pu.ID, pu.Outstanding); err != nil {
				return 0, err
			}
			off += pu.Outstanding
		}
		if off != p.PrincipalOutstanding {
			return 0, fmt.Errorf("billing: charge-off of plan %d: its purchases owe %s, the plan %s", p.ID, off, p.PrincipalOutstanding)
		}
		for i := range p.Periods {
			per := &p.Periods[i]
			per.PrincipalPaid = per.Principal
			if !per.Billed() {
				p.FeeWaived += per.Fee
				per.Fee = 0
			}
		}
		p.PrincipalOutstanding = 0
		p.Status, p.ClosedDate = PlanChargedOff, day
		p.UpdatedAt = uc.clock.Now()
		if err := uc.repo.SavePlan(ctx, p); err != nil {
			return 0, err
		}
		total += off
	}
	return total, nil
}

// settle closes an active plan whose periods are all billed and whose principal is repaid.
func (uc *InstallmentUseCase) settle(p *InstallmentPlan, today clock.Date) {
	if p.Status != PlanActive || p.PrincipalOutstanding != 0 {
		return
	}
	for _, per := range p.Periods {
		if !per.Billed() && (per.Principal-per.PrincipalPaid != 0 || per.Fee != 0) {
			return
		}
	}
	p.Status, p.ClosedDate = PlanCompleted, today
}

// PurchaseRefunded implements RefundHook (DESIGN §5): the part of a refund that reduced
// the purchase's principal comes off the plan's unbilled principal first (the remaining
// periods re-spread, the unbilled fees cut in proportion and never posted), then off its
// billed unpaid periods; a full refund cancels the plan. Payments already lowered the
// purchase, freed the line and posted the refund; anything beyond the principal became
// credit balance there.
func (uc *InstallmentUseCase) PurchaseRefunded(ctx context.Context, before Purchase, r Refund) error {
	if before.PlanID == 0 {
		return nil
	}
	p, err := uc.repo.Plan(ctx, before.UserID, before.PlanID, true)
	if err != nil {
		return err
	}
	today := r.RefundDate
	if r.ToPrincipal > 0 {
		red := installment.ApplyRefund(p.unbilledPeriods(), r.ToPrincipal)
		p.FeeWaived += red.FeeCut
		uc.rewriteUnbilled(&p, red.Periods, false)
		p.PrincipalOutstanding -= red.PrincipalCut
		if red.Excess > 0 {
			if took := uc.payBilled(&p, 0, red.Excess); took != red.Excess {
				return fmt.Errorf("billing: refund of purchase %d: plan %d owes %s less than the refund's principal", before.ID, p.ID, red.Excess-took)
			}
		}
	}
	fullRefund := before.RefundedAmount+r.Amount >= before.Amount
	if p.Status == PlanActive && p.PrincipalOutstanding == 0 {
		if up, uf := p.Unbilled(); up == 0 {
			p.FeeWaived += uf
			for i := range p.Periods {
				if !p.Periods[i].Billed() {
					p.Periods[i].Fee = 0
				}
			}
			if fullRefund && p.Source == PlanSourcePayment {
				p.Status, p.ClosedDate = PlanCancelled, today
			}
		}
	}
	uc.settle(&p, today)
	p.UpdatedAt = uc.clock.Now()
	return uc.repo.SavePlan(ctx, p)
}

// routeToPool hands principal repaid on a purchase a pool owns to that pool: the asset
// center's postings (its contra receivable against the SPV's collections payable) are a
// balanced entry of their own beside the repayment's.
func (uc *InstallmentUseCase) routeToPool(ctx context.Context, p InstallmentPlan, pu InstallmentPurchase, amount money.Amount) error {
	if uc.collections == nil || pu.Owner == "" || pu.Owner == OwnerLender || amount <= 0 {
		return nil
	}
	ps, err := uc.collections.PrincipalCollected(ctx, BilledPurchase{ID: pu.ID, PaymentID: pu.PaymentID, Outstanding: pu.Outstanding, CaptureDate: pu.CaptureDate, Owner: pu.Owner}, amount)
	if err != nil || len(ps) == 0 {
		return err
	}
	_, err = uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("plan:%d:purchase:%d:pool:%d", p.ID, pu.ID, ids.New()),
		Type: "abs.collection", Description: fmt.Sprintf("plan %d principal on purchase %d collected for pool %s", p.ID, pu.ID, pu.Owner),
		BusinessDate: clock.Today(uc.clock), Postings: ps})
	return err
}
