package job

import (
	"context"
	"errors"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
)

// TestRunnerRefusesDates: a business date after the business clock's today, or one the
// job's rule refuses, is refused before anything runs or is recorded (issue 15 bug 5).
func TestRunnerRefusesDates(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		clk := &clock.Test{}
		today := day.AddDays(1)            // 2026-12-02, an even day
		clk.Set(today.Start().Add(3600e9)) // 01:00
		r := NewRunner(d, log.DefaultLogger, Options{Clock: clk})
		ran := 0
		errOdd := kerrors.New(422, "ODD_DAY", "even days only")
		r.Register("even", func(context.Context, *Run) error { ran++; return nil },
			OnlyFor(func(d clock.Date) error {
				if d.Day()%2 == 1 {
					return errOdd
				}
				return nil
			}))
		count := func() int {
			var n int
			if err := d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM job_run WHERE name = 'even'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, c := range []struct {
			date clock.Date
			want error
		}{
			{today.AddDays(2), ErrBusinessDateInFuture}, // Dec 4, even
			{today.AddDays(1), ErrBusinessDateInFuture}, // Dec 3
			{today, nil},              // today is not in the future
			{day.AddDays(-1), nil},    // Nov 30
			{day.AddDays(-2), errOdd}, // Nov 29
			{today.AddMonths(3), ErrBusinessDateInFuture},
		} {
			before, n := ran, count()
			_, err := r.Run(ctx, "even", c.date)
			if c.want == nil {
				if err != nil || ran != before+1 || count() != n+1 {
					t.Fatalf("%s: err %v, ran %d→%d", c.date, err, before, ran)
				}
				continue
			}
			if !errors.Is(err, c.want) || ran != before || count() != n {
				t.Fatalf("%s: err %v (want %v), ran %d→%d, runs %d→%d", c.date, err, c.want, before, ran, n, count())
			}
			if kerrors.FromError(err).Code != 422 {
				t.Fatalf("%s: code %d", c.date, kerrors.FromError(err).Code)
			}
		}
	})
}
