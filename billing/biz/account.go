package biz

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Billing account statuses (billing_account.status).
const (
	AccountCurrent    = "current"
	AccountOverdue    = "overdue"
	AccountChargedOff = "charged_off"
)

// Statement statuses.
const (
	StatementOpen    = "open"
	StatementPaid    = "paid"
	StatementOverdue = "overdue"
)

// microPerFen is the precision of accrued interest and penalty (micro-fen).
const microPerFen = 1_000_000

// BillingAccount is a user's delinquency state and unbilled accruals.
type BillingAccount struct {
	UserID         string
	Status         string
	AccruedThrough clock.Date // zero: never accrued
	InterestMicro  int64      // accrued, not yet billed (fen × 10^6)
	PenaltyMicro   int64
	DaysPastDue    int
	Bucket         string
	ChargedOffDate clock.Date
	UpdatedAt      time.Time
}

// BillingConfig is the billing section of the configuration (DESIGN §5 defaults).
type BillingConfig struct {
	StatementDay    int    `json:"statement_day"`
	DueDay          int    `json:"due_day"`
	InterestRate    string `json:"interest_daily_rate"`
	PenaltyRate     string `json:"penalty_daily_rate"`
	MinimumRate     string `json:"minimum_principal_rate"`
	ChargeOffDPD    int    `json:"charge_off_dpd"`
	ChunkSize       int    `json:"chunk_size"`
	Parallel        int    `json:"parallel"`
	AutopayAttempts int    `json:"autopay_attempts"`
	// CrashAfterChunks makes the statements job exit the process after that many chunks
	// (tests of crash recovery only; 0 = never). Also HUABEI_TEST_CRASH_AFTER_CHUNKS.
	CrashAfterChunks int `json:"-"`
	Channel          struct {
		FailureRate string `json:"failure_rate"`
		Seed        int64  `json:"seed"`
	} `json:"channel"`
}

// DefaultBillingConfig is DESIGN §5: statement day 1, due day 10, 0.05%/day interest and
// penalty, minimum 10% of principal, charge-off at 180 DPD.
func DefaultBillingConfig() BillingConfig {
	c := BillingConfig{StatementDay: 1, DueDay: 10, InterestRate: "0.0005", PenaltyRate: "0.0005", MinimumRate: "0.10",
		ChargeOffDPD: 180, ChunkSize: 500, Parallel: 4, AutopayAttempts: 3}
	c.Channel.FailureRate = "0"
	c.Channel.Seed = 1
	return c
}

type rates struct {
	interest, penalty, minimum decimal.Decimal
}

func (c BillingConfig) rates() (rates, error) {
	var r rates
	var err error
	if r.interest, err = decimal.NewFromString(c.InterestRate); err != nil {
		return r, err
	}
	if r.penalty, err = decimal.NewFromString(c.PenaltyRate); err != nil {
		return r, err
	}
	if r.minimum, err = decimal.NewFromString(c.MinimumRate); err != nil {
		return r, err
	}
	return r, nil
}

// AccountView is GET /v1/users/{user_id}/account.
type AccountView struct {
	UserID           string
	Unbilled         money.Amount
	StatementBalance money.Amount
	MinimumDue       money.Amount
	DueDate          clock.Date // zero when no open statement
	PastDue          money.Amount
	CreditBalance    money.Amount
	DaysPastDue      int
	Bucket           string
	Status           string
	AccruedInterest  money.Amount // accrued, not yet billed (rounded half-up for display)
	AccruedPenalty   money.Amount
}

// Bucket maps days past due to a delinquency bucket.
func Bucket(dpd int) string {
	switch {
	case dpd <= 0:
		return "current"
	case dpd <= 30:
		return "M1"
	case dpd <= 60:
		return "M2"
	case dpd <= 90:
		return "M3"
	default:
		return "M3+"
	}
}

// Account returns the user's account summary as of today.
func (uc *BillingUseCase) Account(ctx context.Context, userID string) (AccountView, error) {
	today := clock.Today(uc.clock)
	v := AccountView{UserID: userID, Bucket: "current", Status: AccountCurrent}
	st, err := uc.loadState(ctx, userID, false)
	if err != nil {
		return v, err
	}
	v.Status = st.acct.Status
	for _, p := range st.purchases {
		if p.StatementID == 0 {
			v.Unbilled += p.Outstanding
		}
	}
	if pp, ok := uc.installments.(PlanPayoffs); ok {
		plans, err := pp.UnbilledPlans(ctx, userID)
		if err != nil {
			return v, err
		}
		for _, p := range plans {
			v.Unbilled += p.Principal
		}
	}
	v.StatementBalance = st.billedOwed()
	if s := st.latest(); s != nil && s.Status != StatementPaid {
		v.DueDate = s.DueDate
		v.MinimumDue = money.Max(0, s.MinimumDue-s.Paid)
		v.MinimumDue = money.Min(v.MinimumDue, v.StatementBalance)
	}
	for _, s := range st.statements {
		if s.DueDate.Before(today) && s.MinMetDate.IsZero() && s.Status != StatementPaid {
			v.PastDue += money.Max(0, s.MinimumDue-s.Paid)
		}
	}
	v.PastDue = money.Min(v.PastDue, v.StatementBalance)
	v.DaysPastDue = st.dpd(today)
	v.Bucket = Bucket(v.DaysPastDue)
	v.AccruedInterest = money.FromFenDecimal(decimal.New(st.acct.InterestMicro, -6), money.HalfUp)
	v.AccruedPenalty = money.FromFenDecimal(decimal.New(st.acct.PenaltyMicro, -6), money.HalfUp)
	if uc.balances != nil {
		cb, err := uc.balances.Balance(ctx, ledger.AccountCustomerCreditBalance, userID)
		if err != nil {
			return v, err
		}
		v.CreditBalance = cb
	}
	return v, nil
}
