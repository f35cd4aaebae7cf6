package biz

import (
	"context"
	stderrors "errors"
	"sort"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Reconciler compares a subledger (billing, abs) with ledger balances for a business date
// and returns every difference it finds. Registered with Ledger.RegisterReconciler.
type Reconciler interface {
	Reconcile(ctx context.Context, date clock.Date) ([]Difference, error)
}

// ReconcilerFunc adapts a function to Reconciler.
type ReconcilerFunc func(ctx context.Context, date clock.Date) ([]Difference, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, date clock.Date) ([]Difference, error) {
	return f(ctx, date)
}

// Difference is one disagreement between a subledger and the ledger.
type Difference struct {
	Check     string
	Account   string
	Owner     string
	Ledger    money.Amount
	Subledger money.Amount
}

// ReconcilerFailure records a reconciler that could not run; it counts as an alarm too.
// Error is the reason and message of a Kratos error, or a generic text (the cause is logged).
type ReconcilerFailure struct {
	Check string
	Error string
}

// Reconciliation is the outcome of all registered reconcilers.
type Reconciliation struct {
	Differences []Difference
	Failures    []ReconcilerFailure
}

// TrialBalanceAccount is one account code's totals over all owners.
type TrialBalanceAccount struct {
	Account string
	Type    AccountType
	Debits  money.Amount
	Credits money.Amount
	// Balance is signed by the account's normal side.
	Balance money.Amount
}

// TrialBalance is the trial balance of postings dated on or before Date.
type TrialBalance struct {
	Date           clock.Date
	Balanced       bool
	Debits         money.Amount
	Credits        money.Amount
	Accounts       []TrialBalanceAccount
	Reconciliation Reconciliation
}

type namedReconciler struct {
	name string
	r    Reconciler
}

// RegisterReconciler adds (or replaces) the reconciler called name; TrialBalance and
// DayEnd run every registered reconciler in registration order.
func (l *Ledger) RegisterReconciler(name string, r Reconciler) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, nr := range l.reconcilers {
		if nr.name == name {
			l.reconcilers[i].r = r
			return
		}
	}
	l.reconcilers = append(l.reconcilers, namedReconciler{name, r})
}

// TrialBalance sums postings dated on or before date per account code and runs the
// reconcilers for date. An unbalanced book or a difference is reported in the result,
// not as an error; errors mean the trial balance could not be computed.
func (l *Ledger) TrialBalance(ctx context.Context, date clock.Date) (TrialBalance, error) {
	if date.IsZero() {
		return TrialBalance{}, ErrInvalidDate
	}
	totals, err := l.repo.TotalsAsOf(ctx, date.Int())
	if err != nil {
		return TrialBalance{}, err
	}
	tb := TrialBalance{Date: date, Accounts: make([]TrialBalanceAccount, 0, len(totals))}
	for _, t := range totals {
		if t.Debits == 0 && t.Credits == 0 {
			continue // no postings on or before date
		}
		def, ok := l.chart.Lookup(t.Account)
		if !ok {
			// A code that left the chart still has to be counted; call it debit-normal.
			def = AccountDef{Code: t.Account, Type: TypeAsset}
			l.log.WithContext(ctx).Errorw("msg", "ledger has postings on an account outside the chart", "account", t.Account)
		}
		tb.Debits += t.Debits
		tb.Credits += t.Credits
		tb.Accounts = append(tb.Accounts, TrialBalanceAccount{Account: t.Account, Type: def.Type, Debits: t.Debits, Credits: t.Credits, Balance: signed(def, t.Totals)})
	}
	sort.Slice(tb.Accounts, func(i, j int) bool { return tb.Accounts[i].Account < tb.Accounts[j].Account })
	tb.Balanced = tb.Debits == tb.Credits
	tb.Reconciliation = l.reconcile(ctx, date)
	return tb, nil
}

func (l *Ledger) reconcile(ctx context.Context, date clock.Date) Reconciliation {
	l.mu.RLock()
	rs := append([]namedReconciler(nil), l.reconcilers...)
	l.mu.RUnlock()
	var out Reconciliation
	for _, nr := range rs {
		diffs, err := nr.r.Reconcile(ctx, date)
		if err != nil {
			// The cause may hold SQL or addresses: log it, show only a domain message.
			l.log.WithContext(ctx).Errorw("msg", "ledger reconciliation check failed", "check", nr.name, "business_date", date.String(), "error", err)
			msg := "check could not run; see the server log"
			if ke := new(kerrors.Error); stderrors.As(err, &ke) {
				msg = ke.Reason + ": " + ke.Message
			}
			out.Failures = append(out.Failures, ReconcilerFailure{Check: nr.name, Error: msg})
			continue
		}
		for _, d := range diffs {
			if d.Check == "" {
				d.Check = nr.name
			}
			out.Differences = append(out.Differences, d)
		}
	}
	return out
}
