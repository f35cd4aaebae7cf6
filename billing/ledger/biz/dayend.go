package biz

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/huabei/huabei/app/clock"
)

var (
	metricImbalance = promauto.NewGauge(prometheus.GaugeOpts{
		Namespace: "huabei", Subsystem: "ledger", Name: "trial_balance_imbalance_fen",
		Help: "Debits minus credits of the last day-end trial balance; anything but 0 is an alarm.",
	})
	metricDifferences = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "huabei", Subsystem: "ledger", Name: "reconciliation_differences",
		Help: "Differences found by each reconciliation check at the last day-end.",
	}, []string{"check"})
	metricDifferencesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "huabei", Subsystem: "ledger", Name: "reconciliation_differences_total",
		Help: "Differences found by reconciliation checks at day-end, cumulative.",
	}, []string{"check"})
	metricReconcilerFailures = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "huabei", Subsystem: "ledger", Name: "reconciliation_failures_total",
		Help: "Reconciliation checks that could not run at day-end.",
	}, []string{"check"})
	metricLastDayEnd = promauto.NewGauge(prometheus.GaugeOpts{
		Namespace: "huabei", Subsystem: "ledger", Name: "last_dayend_date",
		Help: "Business date (yyyymmdd) of the last completed ledger day-end.",
	})
)

// DayEndReport is the outcome of a day-end close.
type DayEndReport struct {
	Date clock.Date
	// SnapshotRows is how many closing balances (account, owner) were written.
	SnapshotRows int
	TrialBalance TrialBalance
}

// Alarm reports whether the close found anything an operator must look at.
func (r DayEndReport) Alarm() bool {
	rc := r.TrialBalance.Reconciliation
	return !r.TrialBalance.Balanced || len(rc.Differences) > 0 || len(rc.Failures) > 0
}

// DayEnd closes a business date: it writes the closing balance of every account and
// owner (repeating it for the same date overwrites the snapshot), checks the trial
// balance and runs the reconcilers. An imbalance, a difference or a failed check is
// reported as a metric and an error log and returned in the report; the error result is
// only for a close that could not be computed.
func (l *Ledger) DayEnd(ctx context.Context, date clock.Date) (DayEndReport, error) {
	if date.IsZero() {
		return DayEndReport{}, ErrInvalidDate
	}
	n, err := l.repo.SnapshotDay(ctx, date.Int())
	if err != nil {
		return DayEndReport{}, err
	}
	tb, err := l.TrialBalance(ctx, date)
	if err != nil {
		return DayEndReport{}, err
	}
	rep := DayEndReport{Date: date, SnapshotRows: n, TrialBalance: tb}
	lg := l.log.WithContext(ctx)
	metricImbalance.Set(float64(tb.Debits - tb.Credits))
	if !tb.Balanced {
		lg.Errorw("msg", "ledger trial balance does not balance", "business_date", date.String(),
			"debits", tb.Debits.String(), "credits", tb.Credits.String())
	}
	perCheck := map[string]int{}
	l.mu.RLock()
	for _, nr := range l.reconcilers {
		perCheck[nr.name] = 0
	}
	l.mu.RUnlock()
	for _, d := range tb.Reconciliation.Differences {
		perCheck[d.Check]++
		metricDifferencesTotal.WithLabelValues(d.Check).Inc()
		lg.Errorw("msg", "ledger reconciliation difference", "business_date", date.String(), "check", d.Check,
			"account", d.Account, "owner", d.Owner, "ledger", d.Ledger.String(), "subledger", d.Subledger.String(),
			"difference", (d.Ledger - d.Subledger).String())
	}
	for check, n := range perCheck {
		metricDifferences.WithLabelValues(check).Set(float64(n))
	}
	for _, f := range tb.Reconciliation.Failures {
		metricReconcilerFailures.WithLabelValues(f.Check).Inc()
	}
	metricLastDayEnd.Set(float64(date.Int()))
	lg.Infow("msg", "ledger day-end closed", "business_date", date.String(), "snapshot_rows", n,
		"balanced", tb.Balanced, "differences", len(tb.Reconciliation.Differences), "failures", len(tb.Reconciliation.Failures))
	return rep, nil
}
