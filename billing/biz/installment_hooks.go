package biz

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// BillingHook adapts the engine to billing's Installments interface (wiring:
// BillingUseCase.SetInstallments(uc.BillingHook())).
func (uc *InstallmentUseCase) BillingHook() Installments { return installmentBillingHook{uc} }

type installmentBillingHook struct{ uc *InstallmentUseCase }

var _ Installments = installmentBillingHook{}

// DueInstallments implements Installments: each period falling due on the statement
// becomes two items, its principal and its fee, so the statement shows them on separate
// lines; the fees are recognized as they are billed.
func (h installmentBillingHook) DueInstallments(ctx context.Context, userID string, statementID int64, statementDate clock.Date) ([]DueItem, error) {
	dues, err := h.uc.BillDueInstallments(ctx, userID, statementID, statementDate)
	if err != nil {
		return nil, err
	}
	var items []DueItem
	for _, d := range dues {
		if d.Principal > 0 {
			items = append(items, DueItem{PlanID: d.PlanID, Period: d.Period, Principal: d.Principal,
				Description: fmt.Sprintf("installment %d/%d principal", d.Period, d.Terms)})
		}
		if d.Fee > 0 {
			items = append(items, DueItem{PlanID: d.PlanID, Period: d.Period, Fee: d.Fee,
				Description: fmt.Sprintf("installment %d/%d fee", d.Period, d.Terms)})
		}
	}
	return items, nil
}

// PayPlan implements Installments (see InstallmentUseCase.PayPlan).
func (h installmentBillingHook) PayPlan(ctx context.Context, userID string, planID int64, statementID int64, amount money.Amount, payoff bool) (money.Amount, money.Amount, error) {
	return h.uc.PayPlan(ctx, userID, planID, statementID, amount, payoff)
}

// PlanOwed is the principal of plan periods billed on the statement (0: any) and not yet
// repaid, for billing's balances, minimum due and allocation.
func (h installmentBillingHook) PlanOwed(ctx context.Context, userID string, statementID int64) (money.Amount, error) {
	return h.uc.BilledPlanPrincipal(ctx, userID, statementID)
}

// PayBilledPrincipal applies a repayment to plan principal billed on the statement.
func (h installmentBillingHook) PayBilledPrincipal(ctx context.Context, userID string, statementID int64, amount money.Amount, today clock.Date) (money.Amount, error) {
	return h.uc.PayBilledPrincipal(ctx, userID, statementID, amount, today)
}

var _ PlanPayoffs = installmentBillingHook{}

// UnbilledPlans implements PlanPayoffs: the user's plans that still owe principal with
// the principal of their unbilled periods, oldest first.
func (h installmentBillingHook) UnbilledPlans(ctx context.Context, userID string) ([]UnbilledPlan, error) {
	plans, err := h.uc.repo.OwingPlans(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []UnbilledPlan
	for i := range plans {
		if pr, _ := plans[i].Unbilled(); pr > 0 {
			out = append(out, UnbilledPlan{PlanID: plans[i].ID, Principal: pr})
		}
	}
	return out, nil
}

var _ PlanChargeOff = installmentBillingHook{}

// ChargeOffPlans implements PlanChargeOff.
func (h installmentBillingHook) ChargeOffPlans(ctx context.Context, userID string, day clock.Date) (money.Amount, error) {
	return h.uc.ChargeOffPlans(ctx, userID, day)
}
