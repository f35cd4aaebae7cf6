package biz

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// LockInstallmentAccount takes billing's per-user lock before a statement plan touches a
// statement, so plan creation and billing's own writes serialize in the same order.
func (uc *BillingUseCase) LockInstallmentAccount(ctx context.Context, userID string) error {
	_, err := uc.repo.LockAccount(ctx, userID)
	return err
}

// BillStatementInstallment implements StatementInstallmentBiller (账单分期): the statement
// no longer owes the converted principal but owes period 1 of the plan, due on its due date.
// Its installments_due and fees were raised by the installment engine; this writes the
// lines, the new balance and minimum due (10% of the period's principal + its fee in place
// of 10% of the converted principal) and counts the conversion among payments and credits.
func (uc *BillingUseCase) BillStatementInstallment(ctx context.Context, userID string, statementID, planID int64, terms int,
	converted, principal, fee money.Amount) error {
	list, err := uc.repo.RecentStatements(ctx, userID, recentStatements)
	if err != nil {
		return err
	}
	var s *Statement
	for i := range list {
		if list[i].ID == statementID {
			s = &list[i]
		}
	}
	if s == nil {
		return fmt.Errorf("billing: statement %d of %s not found for installments", statementID, userID)
	}
	today := clock.Today(uc.clock)
	for _, l := range []StatementLine{
		{Date: today, Kind: LineInstallment, Description: fmt.Sprintf("converted to installments (%d periods)", terms), Amount: -converted, PlanID: planID},
		{Date: today, Kind: LineInstallment, Description: fmt.Sprintf("installment 1/%d principal", terms), Amount: principal, PlanID: planID},
		{Date: today, Kind: LineInstallment, Description: fmt.Sprintf("installment 1/%d fee", terms), Amount: fee, PlanID: planID},
	} {
		if l.Amount == 0 {
			continue
		}
		if err := uc.repo.AddStatementLine(ctx, userID, statementID, l); err != nil {
			return err
		}
	}
	tenPct := func(a money.Amount) money.Amount { return a.MulRate(uc.rates.minimum, money.HalfUp) }
	s.NewBalance += principal + fee - converted
	s.PaymentsAndCredits += converted
	s.MinimumDue = money.Min(money.Max(0, s.MinimumDue-tenPct(converted)+tenPct(principal)+fee), money.Max(0, s.NewBalance))
	if s.MinMetDate.IsZero() && s.Paid >= s.MinimumDue {
		s.MinMetDate = today
	}
	return uc.repo.UpdateStatement(ctx, *s)
}
