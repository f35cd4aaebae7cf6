package biz

import (
	"context"
	"sort"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// BilledPurchase is a purchase as billing sees it: its outstanding principal and the
// statement that billed it (0: unbilled).
type BilledPurchase struct {
	ID          int64
	PaymentID   int64
	MerchantID  string
	Amount      money.Amount
	Outstanding money.Amount
	CaptureDate clock.Date
	StatementID int64
	Owner       string
}

// CycleRefund is a refund that reduced principal during a cycle.
type CycleRefund struct {
	Date        clock.Date
	PaymentID   int64
	ToPrincipal money.Amount
}

// BillingRepo stores billing state (implemented in billing/data). Methods run in the
// transaction carried by ctx.
type BillingRepo interface {
	PortfolioRepo
	// LockAccount returns the user's billing account, creating it, and locks it (every
	// billing write for a user starts here, so they serialize per user).
	LockAccount(ctx context.Context, userID string) (BillingAccount, error)
	// GetAccount reads the account without creating it (zero account when missing).
	GetAccount(ctx context.Context, userID string) (BillingAccount, error)
	SaveAccount(ctx context.Context, a BillingAccount) error
	// RecentStatements returns the user's last n statements, oldest first, without lines.
	RecentStatements(ctx context.Context, userID string, n int) ([]Statement, error)
	StatementByPeriod(ctx context.Context, userID, period string) (Statement, error)
	// ListStatements returns up to limit statements with period < before ("" = all), newest first.
	ListStatements(ctx context.Context, userID, before string, limit int) ([]Statement, error)
	// InsertStatement inserts s with its lines; inserted=false when the period exists.
	InsertStatement(ctx context.Context, s Statement) (bool, error)
	// AddStatementLine appends a line to a statement.
	AddStatementLine(ctx context.Context, userID string, statementID int64, l StatementLine) error
	// UpdateStatement writes the totals, payment progress and status of s.
	UpdateStatement(ctx context.Context, s Statement) error
	// OpenPurchases lists the user's purchases with outstanding principal (not in
	// installment plans), plus every unbilled one captured on or before unbilledThrough
	// (zero date: none), oldest first.
	OpenPurchases(ctx context.Context, userID string, unbilledThrough clock.Date) ([]BilledPurchase, error)
	// BillPurchases sets statement_id on the given unbilled purchases.
	BillPurchases(ctx context.Context, userID string, ids []int64, statementID int64) error
	// ReducePrincipal lowers a purchase's outstanding principal by amount (fails when
	// that would go below zero).
	ReducePrincipal(ctx context.Context, userID string, purchaseID int64, amount money.Amount) error
	// SumPrincipal is the user's outstanding principal over all purchases.
	SumPrincipal(ctx context.Context, userID string) (money.Amount, error)
	CycleRefunds(ctx context.Context, userID string, from, to clock.Date) ([]CycleRefund, error)
	CycleRepayments(ctx context.Context, userID string, from, to clock.Date) ([]Repayment, error)
	InsertRepayment(ctx context.Context, r Repayment) error
	// InsertAccrual records one day's accrual; inserted=false when that day was accrued.
	InsertAccrual(ctx context.Context, userID string, date clock.Date, kind string, base money.Amount, micro int64) (bool, error)
	// UsersAfter lists up to limit users with purchases, ordered, after the given id.
	UsersAfter(ctx context.Context, after string, limit int) ([]string, error)
	// UsersToAccrueAfter lists users with an unpaid statement due before date.
	UsersToAccrueAfter(ctx context.Context, date clock.Date, after string, limit int) ([]string, error)
	SetAutopay(ctx context.Context, userID string, enabled bool, now time.Time) error
	Autopay(ctx context.Context, userID string) (bool, error)
	// AutopayDue lists (user, statement) pairs due on date with autopay on, after a user.
	AutopayDue(ctx context.Context, due clock.Date, after string, limit int) ([]AutopayItem, error)
	// ClaimAutopay inserts the collection row (status pending); claimed=false when a row
	// exists (its status is returned).
	ClaimAutopay(ctx context.Context, it AutopayItem, amount money.Amount, now time.Time) (status string, claimed bool, err error)
	FinishAutopay(ctx context.Context, it AutopayItem, status string, repaymentID int64, attempts int, errMsg string, now time.Time) error
}

// LedgerBalances reads ledger balances (reconciliation, credit balance).
type LedgerBalances interface {
	Balance(ctx context.Context, account, owner string) (money.Amount, error)
}

// AccountCredit is what billing needs from the credit domain.
type AccountCredit interface {
	// ReleaseOutstanding frees repaid principal on the line at once.
	ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount) error
	// SetStatus moves the line to overdue (new payments refused) or back to active.
	SetStatus(ctx context.Context, userID, status, reason string) error
}

// DueItem is an installment amount falling due on a statement (principal + fee of one
// plan period), supplied by the installment engine.
type DueItem struct {
	PlanID      int64
	Period      int
	Principal   money.Amount
	Fee         money.Amount
	Description string
}

// Installments is the hook the installment engine implements. DueInstallments bills the
// periods falling due on a statement (it posts their fee receivable itself) and returns
// them; PayPlan applies a repayment to a plan's billed periods and, when payoff is set,
// to its unbilled principal, returning what it took (principal, fee); PlanOwed says how
// much a plan's billed periods still owe.
type Installments interface {
	DueInstallments(ctx context.Context, userID string, statementID int64, statementDate clock.Date) ([]DueItem, error)
	PayPlan(ctx context.Context, userID string, planID int64, statementID int64, amount money.Amount, payoff bool) (principal, fee money.Amount, err error)
}

// PlanPrincipal is implemented by an installment hook that lets billing see and pay
// plan principal billed on a statement (the caller posts the ledger entry and frees the
// credit line).
type PlanPrincipal interface {
	PlanOwed(ctx context.Context, userID string, statementID int64) (money.Amount, error)
	PayBilledPrincipal(ctx context.Context, userID string, statementID int64, amount money.Amount, today clock.Date) (money.Amount, error)
}

// PlanChargeOff is implemented by an installment hook that writes off a user's plans
// when billing charges the account off: it returns the principal taken off the plans'
// purchases, which billing's charge-off entry moves to credit loss.
type PlanChargeOff interface {
	ChargeOffPlans(ctx context.Context, userID string, day clock.Date) (money.Amount, error)
}

// PlanPayoffs is implemented by an installment hook that can list the unbilled principal
// of a user's plans: the account shows it as unbilled, and a repayment with target "all"
// pays it off (unbilled fees follow the payoff rule of the installments config).
type PlanPayoffs interface {
	UnbilledPlans(ctx context.Context, userID string) ([]UnbilledPlan, error)
}

// UnbilledPlan is a plan's principal that no statement has billed yet.
type UnbilledPlan struct {
	PlanID    int64
	Principal money.Amount
}

// CollectionsHook lets the asset center route principal collected on a purchase it sold
// (owner is a pool id): the returned postings are added to the repayment's entry.
type CollectionsHook interface {
	PrincipalCollected(ctx context.Context, p BilledPurchase, amount money.Amount) ([]ledger.Posting, error)
}

// BillingUseCase generates statements, takes repayments, accrues interest and penalties
// and tracks delinquency.
type BillingUseCase struct {
	repo         BillingRepo
	tx           Transactor
	ledger       Ledger
	balances     LedgerBalances
	credit       AccountCredit
	clock        clock.Clock
	cfg          BillingConfig
	rates        rates
	channel      PaymentChannel
	installments Installments
	collections  CollectionsHook
	crash        func()
	dayend       DayEnder
	events       EventOutbox
	log          *log.Helper
}

// NewBillingUseCase builds the use case.
func NewBillingUseCase(repo BillingRepo, tx Transactor, l Ledger, balances LedgerBalances, credit AccountCredit, events EventOutbox, clk clock.Clock, cfg BillingConfig, ch PaymentChannel, logger log.Logger) (*BillingUseCase, error) {
	r, err := cfg.rates()
	if err != nil {
		return nil, err
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 200
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
	}
	if cfg.DueDay <= 0 {
		cfg.DueDay = 10
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	return &BillingUseCase{repo: repo, tx: tx, ledger: l, balances: balances, credit: credit, events: events, clock: clk, cfg: cfg, rates: r,
		channel: ch, log: log.NewHelper(log.With(logger, "module", "billing"))}, nil
}

// SetInstallments installs the installment engine hook (wiring).
func (uc *BillingUseCase) SetInstallments(i Installments) { uc.installments = i }

// SetCollectionsHook installs the asset center's collections routing (wiring).
func (uc *BillingUseCase) SetCollectionsHook(h CollectionsHook) { uc.collections = h }

// Config returns the configuration in use.
func (uc *BillingUseCase) Config() BillingConfig { return uc.cfg }

// userState is everything billing needs about one user, loaded under the account lock.
type userState struct {
	planOwed   map[int64]money.Amount // billed, unpaid installment principal by statement
	acct       BillingAccount
	statements []Statement // recent, oldest first
	purchases  []BilledPurchase
}

const recentStatements = 24

func (uc *BillingUseCase) loadState(ctx context.Context, userID string, lock bool) (*userState, error) {
	st := &userState{}
	var err error
	if lock {
		st.acct, err = uc.repo.LockAccount(ctx, userID)
	} else {
		st.acct, err = uc.repo.GetAccount(ctx, userID)
	}
	if err != nil {
		return nil, err
	}
	if st.statements, err = uc.repo.RecentStatements(ctx, userID, recentStatements); err != nil {
		return nil, err
	}
	if st.purchases, err = uc.repo.OpenPurchases(ctx, userID, clock.Date{}); err != nil {
		return nil, err
	}
	st.planOwed = map[int64]money.Amount{}
	if pp, ok := uc.installments.(PlanPrincipal); ok {
		for _, s := range st.statements {
			if s.Status == StatementPaid || s.InstallmentsDue == 0 {
				continue
			}
			owed, err := pp.PlanOwed(ctx, userID, s.ID)
			if err != nil {
				return nil, err
			}
			if owed > 0 {
				st.planOwed[s.ID] = owed
			}
		}
	}
	return st, nil
}

func (st *userState) latest() *Statement {
	if len(st.statements) == 0 {
		return nil
	}
	return &st.statements[len(st.statements)-1]
}

func (st *userState) statement(id int64) *Statement {
	for i := range st.statements {
		if st.statements[i].ID == id {
			return &st.statements[i]
		}
	}
	return nil
}

// principalOn is the outstanding principal of the purchases billed on statement id.
func (st *userState) principalOn(id int64) money.Amount {
	sum := st.planOwed[id]
	for _, p := range st.purchases {
		if p.StatementID == id {
			sum += p.Outstanding
		}
	}
	return sum
}

// owed is what statement s still owes on its own items.
func (st *userState) owed(s *Statement) money.Amount {
	return s.chargesOwed() + st.principalOn(s.ID)
}

// billedOwed is what all statements still owe.
func (st *userState) billedOwed() money.Amount {
	var sum money.Amount
	for i := range st.statements {
		sum += st.statements[i].chargesOwed()
	}
	for _, p := range st.purchases {
		if p.StatementID != 0 {
			sum += p.Outstanding
		}
	}
	for _, o := range st.planOwed {
		sum += o
	}
	return sum
}

// minMetOn reports whether s's minimum counted as paid on day d.
func (s *Statement) minMetOn(d clock.Date) bool {
	if s.MinimumDue <= 0 {
		return true
	}
	return !s.MinMetDate.IsZero() && !s.MinMetDate.After(d)
}

// overdueOn reports whether the account is overdue on day d: the latest statement
// whose due date is before d had its minimum unmet on d.
func (st *userState) overdueOn(d clock.Date) bool { return st.dpd(d) > 0 }

// dpd counts days past due on day d from the day after the due date of the oldest
// statement in the unbroken run of unmet minimums ending at the latest due statement.
func (st *userState) dpd(d clock.Date) int {
	oldest := -1
	for i := len(st.statements) - 1; i >= 0; i-- {
		s := &st.statements[i]
		if !s.DueDate.Before(d) {
			continue
		}
		if s.minMetOn(d) || s.Status == StatementPaid {
			break
		}
		oldest = i
	}
	if oldest < 0 {
		return 0
	}
	return d.DaysSince(st.statements[oldest].DueDate)
}

// interestBase is the principal accruing on day d: outstanding principal billed on
// statements whose due date is before d.
func (st *userState) interestBase(d clock.Date) money.Amount {
	var sum money.Amount
	for id, o := range st.planOwed {
		if s := st.statement(id); s != nil && s.DueDate.Before(d) {
			sum += o
		}
	}
	for _, p := range st.purchases {
		if p.StatementID == 0 || p.Outstanding == 0 {
			continue
		}
		s := st.statement(p.StatementID)
		if s == nil || s.DueDate.Before(d) {
			// a statement older than the recent window is long past due
			sum += p.Outstanding
		}
	}
	return sum
}

func sortPurchases(ps []BilledPurchase) {
	sort.SliceStable(ps, func(i, j int) bool {
		if !ps[i].CaptureDate.Equal(ps[j].CaptureDate) {
			return ps[i].CaptureDate.Before(ps[j].CaptureDate)
		}
		return ps[i].ID < ps[j].ID
	})
}
