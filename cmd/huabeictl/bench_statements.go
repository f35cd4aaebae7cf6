package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/job"
)

func init() { addBenchCommand(newBenchStatementsCmd) }

func newBenchStatementsCmd() *cobra.Command {
	var accounts, perUser int
	var date string
	cmd := &cobra.Command{
		Use:   "statements --accounts N [--date YYYY-MM-DD]",
		Short: "seed N accounts with purchases in the month before --date (bulk inserts) and time the statements job",
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := clock.ParseDate(date)
			if err != nil || d.Day() != 1 {
				return fmt.Errorf("--date must be the first of a month (YYYY-MM-01)")
			}
			cfg, err := conf.Load()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			a, cleanup, err := app.New(ctx, cfg, log.NewFilter(log.NewStdLogger(os.Stderr), log.FilterLevel(log.LevelError)))
			if err != nil {
				return err
			}
			defer cleanup()
			out := cmd.OutOrStdout()
			prefix := fmt.Sprintf("bench%d-", time.Now().Unix()%1_000_000)
			start := time.Now()
			if err := seedStatements(ctx, a, prefix, accounts, perUser, d.AddMonths(-1)); err != nil {
				return err
			}
			fmt.Fprintf(out, "seeded %d accounts × %d purchases in %s\n", accounts, perUser, time.Since(start).Round(time.Millisecond))
			bar := progressbar.NewOptions64(int64(accounts), progressbar.OptionSetDescription("statements"),
				progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
			// Only this run's users: run the job for a fresh business date key.
			runDate := d
			if a.Test != nil && runDate.After(clock.Today(a.Clock)) {
				// The runner refuses business dates after today: bring the (dev) business
				// clock to the statement date, as an operator would.
				a.Test.Set(runDate.Start().Add(5 * time.Minute))
			}
			start = time.Now()
			info, err := a.Jobs().RunWith(ctx, "statements", runDate, job.RunOptions{Progress: func(done, _ int64) { _ = bar.Set64(done) }})
			_ = bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			el := time.Since(start)
			var n int
			_ = a.Data.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM statement WHERE user_id LIKE ? AND period = ?", prefix+"%", d.Period()).Scan(&n)
			fmt.Fprintf(out, "statements job %s: %s, %d users processed, %d statements for the seeded accounts in %s (%.0f/s) on %s\n",
				runDate, info.Status, info.Processed, n, el.Round(time.Millisecond), float64(n)/el.Seconds(), a.Data.Dialect.Name())
			return nil
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", 100000, "accounts to seed")
	cmd.Flags().IntVar(&perUser, "purchases", 2, "purchases per account")
	cmd.Flags().StringVar(&date, "date", "2026-12-01", "statement date (a first of month); a date already run is not repeated")
	return cmd
}

// seedStatements bulk-inserts purchases (and their payments) captured in the cycle month.
func seedStatements(ctx context.Context, a *app.App, prefix string, accounts, perUser int, month clock.Date) error {
	db := a.Data.SQL()
	const batch = 500
	now := time.Now().UnixMilli()
	for i := 0; i < accounts; i += batch {
		n := min(batch, accounts-i)
		var pay, pur strings.Builder
		pay.WriteString(`INSERT INTO payment (id, user_id, merchant_id, merchant_order_id, amount, captured_amount, refunded_amount, discount_amount,
 refunded_discount, status, decline_reason, merchant_category, installments, description, authorized_date, authorized_at, captured_at, capture_date,
 cancelled_at, updated_at) VALUES `)
		pur.WriteString(`INSERT INTO purchase (id, user_id, payment_id, merchant_id, amount, refunded_amount, principal_outstanding, capture_date,
 installments, statement_id, plan_id, owner, created_at) VALUES `)
		var pargs, uargs []any
		first := true
		for k := 0; k < n; k++ {
			user := fmt.Sprintf("%s%07d", prefix, i+k)
			for j := 0; j < perUser; j++ {
				if !first {
					pay.WriteString(", ")
					pur.WriteString(", ")
				}
				first = false
				pid, uid := ids.New(), ids.New()
				amount := int64(10000 + (i+k)%50000 + j*1000)
				day := month.AddDays((i + k + j) % 28).Int()
				pay.WriteString("(?, ?, 'bench-shop', ?, ?, ?, 0, 0, 0, 'captured', '', 'general', 0, '', ?, ?, ?, ?, 0, ?)")
				pargs = append(pargs, pid, user, fmt.Sprintf("%d", pid), amount, amount, day, now, now, day, now)
				pur.WriteString("(?, ?, ?, 'bench-shop', ?, 0, ?, ?, 0, NULL, NULL, 'lender', ?)")
				uargs = append(uargs, uid, user, pid, amount, amount, day, now)
			}
		}
		if _, err := db.ExecContext(ctx, pay.String(), pargs...); err != nil {
			return fmt.Errorf("seed payments: %w", err)
		}
		if _, err := db.ExecContext(ctx, pur.String(), uargs...); err != nil {
			return fmt.Errorf("seed purchases: %w", err)
		}
	}
	return nil
}
