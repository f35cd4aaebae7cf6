package biz

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
)

// Installment plan sources (API.md).
const (
	PlanSourcePayment   = "payment"   // 交易分期: one captured, unbilled purchase
	PlanSourceStatement = "statement" // 账单分期: the principal of one statement
)

// Installment plan statuses.
const (
	PlanActive     = "active"      // periods still to bill or principal still owed
	PlanCompleted  = "completed"   // every period billed and its principal repaid
	PlanPaidOff    = "paid_off"    // the unbilled principal was paid early
	PlanCancelled  = "cancelled"   // a full refund removed the principal
	PlanChargedOff = "charged_off" // written off with the account; unbilled fees waived
)

// InstallmentPeriod is one period of a plan. StatementID is 0 until a statement bills it.
type InstallmentPeriod struct {
	Number        int
	DueDate       clock.Date
	Principal     money.Amount
	Fee           money.Amount
	StatementID   int64
	BilledDate    clock.Date
	PrincipalPaid money.Amount
}

// Billed reports whether a statement billed the period.
func (p InstallmentPeriod) Billed() bool { return p.StatementID != 0 }

// InstallmentPlan is a purchase or statement converted into installments.
type InstallmentPlan struct {
	ID              int64
	UserID          string
	Source          string
	SourceID        int64 // purchase id or statement id
	PaymentID       int64 // source payment: the payment's id
	StatementPeriod string
	Method          installment.Method
	Principal       money.Amount
	Terms           int
	Rate            decimal.Decimal // total fee rate (flat fee) or annual rate (equal payment)
	TotalFee        money.Amount    // as quoted
	FeeWaived       money.Amount    // unbilled fees cut by refunds or waived on payoff
	APR             decimal.Decimal
	EffectiveRate   decimal.Decimal
	Status          string
	PeriodsBilled   int
	// PrincipalOutstanding is the principal still owed, billed or not.
	PrincipalOutstanding money.Amount
	CreatedDate          clock.Date
	ClosedDate           clock.Date
	CreatedAt            time.Time
	UpdatedAt            time.Time
	Periods              []InstallmentPeriod
}

// Unbilled returns the principal and fee of the periods no statement billed yet.
func (p *InstallmentPlan) Unbilled() (principal, fee money.Amount) {
	for _, per := range p.Periods {
		if !per.Billed() {
			principal += per.Principal - per.PrincipalPaid
			fee += per.Fee
		}
	}
	return principal, fee
}

// unbilledPeriods returns the schedule periods of the unbilled part (for re-spreading).
func (p *InstallmentPlan) unbilledPeriods() []installment.Period {
	var out []installment.Period
	for _, per := range p.Periods {
		if !per.Billed() {
			out = append(out, installment.Period{Number: per.Number, Principal: per.Principal - per.PrincipalPaid, Fee: per.Fee})
		}
	}
	return out
}

// CurrentFee is the fee of the plan as it stands: the quoted fee less what was waived or cut.
func (p *InstallmentPlan) CurrentFee() money.Amount {
	var f money.Amount
	for _, per := range p.Periods {
		f += per.Fee
	}
	return f
}

// InstallmentPurchase is a purchase as the installment engine sees it.
type InstallmentPurchase struct {
	ID          int64
	PaymentID   int64
	Outstanding money.Amount
	CaptureDate clock.Date
	Owner       string // "lender" or the pool that bought it
}

// InstallmentStatement is a statement as the installment engine sees it.
type InstallmentStatement struct {
	ID            int64
	Period        string
	StatementDate clock.Date
	DueDate       clock.Date
	Status        string
}

// InstallmentRepo stores plans and reads the purchases and statements they come from.
// Methods run in the transaction carried by ctx.
type InstallmentRepo interface {
	// InsertPlan inserts p with its periods; inserted=false (nothing written) when the
	// source is already in a plan.
	InsertPlan(ctx context.Context, p InstallmentPlan) (inserted bool, err error)
	// Plan loads a user's plan with its periods (locking it when forUpdate) or returns
	// ErrInstallmentPlanNotFound.
	Plan(ctx context.Context, userID string, id int64, forUpdate bool) (InstallmentPlan, error)
	// ActivePlans loads the user's active plans with their periods, locked, oldest first.
	ActivePlans(ctx context.Context, userID string) ([]InstallmentPlan, error)
	// OwingPlans loads the user's plans that still owe principal, with periods, locked,
	// oldest first.
	OwingPlans(ctx context.Context, userID string) ([]InstallmentPlan, error)
	// PlansBilledOn loads the user's plans with a period billed on the statement, locked.
	PlansBilledOn(ctx context.Context, userID string, statementID int64) ([]InstallmentPlan, error)
	// SavePlan writes the plan's mutable fields and every period.
	SavePlan(ctx context.Context, p InstallmentPlan) error
	// PlanPurchases lists the purchases in a plan, oldest first.
	PlanPurchases(ctx context.Context, userID string, planID int64) ([]InstallmentPurchase, error)
	// StatementPurchases lists the purchases billed on a statement that are not in a plan
	// and still owe principal, oldest first.
	StatementPurchases(ctx context.Context, userID string, statementID int64) ([]InstallmentPurchase, error)
	// AssignPurchases puts purchases into a plan (purchase.plan_id).
	AssignPurchases(ctx context.Context, userID string, purchaseIDs []int64, planID int64) error
	// ReducePurchasePrincipal lowers a purchase's outstanding principal (fails below zero).
	ReducePurchasePrincipal(ctx context.Context, userID string, purchaseID int64, amount money.Amount) error
	// AddStatementInstallment raises a statement's installments_due and fees (statement
	// plans bill period 1 on the statement they convert).
	AddStatementInstallment(ctx context.Context, userID string, statementID int64, installmentsDue, fees money.Amount) error
	// StatementByPeriod loads a user's statement or returns ErrInstallmentStatementNotFound.
	StatementByPeriod(ctx context.Context, userID, period string) (InstallmentStatement, error)
}

// InstallmentConfig is the `installments:` section of the configuration.
type InstallmentConfig struct {
	installment.Config
	// WaiveUnbilledFeesOnPayoff: an early payoff pays the unbilled principal only (default).
	WaiveUnbilledFeesOnPayoff bool `json:"waive_unbilled_fees_on_payoff"`
}

// DefaultInstallmentConfig is DESIGN §5.
func DefaultInstallmentConfig() InstallmentConfig {
	return InstallmentConfig{Config: installment.DefaultConfig(), WaiveUnbilledFeesOnPayoff: true}
}
