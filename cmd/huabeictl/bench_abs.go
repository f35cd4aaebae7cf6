package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/schollz/progressbar/v3"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/abs/biz"
	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/ids"
)

func init() { addBenchCommand(newBenchABSCmd) }

func newBenchABSCmd() *cobra.Command {
	var assets, perUser int
	var skipSeed bool
	var workers int
	cmd := &cobra.Command{
		Use:   "abs --assets N",
		Short: "seed N lender-owned purchases (bulk inserts) on the configured database, then time pool selection + analytics and the transfer",
		Long: `Seeds N captured purchases (N/--per-user obligors with active credit lines) directly
in the configured database, then builds a pool of every eligible asset (selection in SQL,
concentration, analytics, frozen balances) and transfers it (owner flips in batches + the
sale entry), printing the time and assets/s of each step. Use a throwaway database: the
seeded purchases have no ledger postings, so the day-end reconciliation of that database
is meaningless afterwards.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			cutoff := clock.Today(a.Clock)
			if !skipSeed {
				start := time.Now()
				if err := seedABS(ctx, a, assets, perUser, cutoff, errw); err != nil {
					return err
				}
				el := time.Since(start)
				fmt.Fprintf(out, "seeded %d purchases in %s (%.0f/s)\n", assets, el.Round(time.Millisecond), float64(assets)/el.Seconds())
			}
			uc := a.AssetCenter()
			uc.SetWorkers(workers)
			start := time.Now()
			p, err := uc.CreatePool(ctx, fmt.Sprintf("bench %d", time.Now().Unix()), cutoff, biz.Criteria{}, 0)
			if err != nil {
				return err
			}
			sel := time.Since(start)
			fmt.Fprintf(out, "pool %d: selection + analytics + freeze of %d assets (balance %s, WAC %s, WAM %s, WAL %s) in %s (%.0f assets/s)\n",
				p.ID, p.AssetCount, p.Stats.Balance, p.Stats.WAC.StringFixed(4), p.Stats.WAM.StringFixed(4), p.Stats.WAL.StringFixed(4),
				sel.Round(time.Millisecond), float64(p.AssetCount)/sel.Seconds())
			bar := progressbar.NewOptions(p.AssetCount, progressbar.OptionSetDescription("transfer"), progressbar.OptionSetWriter(errw),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
			uc.Progress = func(done, _ int) { _ = bar.Set(done) }
			start = time.Now()
			if err := uc.StartTransfer(ctx, p.ID, "bench SPV", decimal.RequireFromString("98.50")); err != nil {
				return err
			}
			var res *biz.TransferResult
			if err := a.Data.InTx(ctx, func(ctx context.Context) error {
				var err error
				res, err = uc.CompleteTransfer(ctx, p.ID)
				return err
			}); err != nil {
				return err
			}
			_ = bar.Finish()
			fmt.Fprintln(errw)
			tr := time.Since(start)
			fmt.Fprintf(out, "transfer: %d assets flipped, proceeds %s, in %s (%.0f assets/s)\n", res.Pool.TransferredCount, res.Pool.Proceeds,
				tr.Round(time.Millisecond), float64(res.Pool.TransferredCount)/tr.Seconds())
			fmt.Fprintf(out, "total selection + transfer: %s on %s\n", (sel + tr).Round(time.Millisecond), a.Data.Dialect.Name())
			return nil
		},
	}
	cmd.Flags().IntVar(&assets, "assets", 1000000, "purchases to seed")
	cmd.Flags().IntVar(&perUser, "per-user", 4, "purchases per obligor")
	cmd.Flags().IntVar(&workers, "workers", 0, "parallel writers (default abs.transfer_workers)")
	cmd.Flags().BoolVar(&skipSeed, "no-seed", false, "do not seed; pool what is already eligible")
	return cmd
}

// seedABS bulk-inserts credit lines and captured, lender-owned purchases (1,000 rows per
// statement, one transaction per statement).
func seedABS(ctx context.Context, a *app.App, assets, perUser int, cutoff clock.Date, errw interface{ Write([]byte) (int, error) }) error {
	if perUser < 1 {
		perUser = 1
	}
	db := a.Data.SQL()
	prefix := fmt.Sprintf("babs%d-", time.Now().Unix()%1_000_000)
	now := time.Now().UnixMilli()
	users := (assets + perUser - 1) / perUser
	bar := progressbar.NewOptions(assets, progressbar.OptionSetDescription("seed"), progressbar.OptionSetWriter(errw),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
	const batch = 1000
	for i := 0; i < users; i += batch {
		n := min(batch, users-i)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO credit_line (user_id, status, frozen, score, credit_limit, temp_limit, temp_limit_expires_at,
 outstanding, held, opened_at, updated_at) VALUES `)
		args := make([]any, 0, n*3)
		for k := 0; k < n; k++ {
			if k > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?, 'active', 0, ?, 5000000, 0, 0, 0, 0, ?, ?)")
			args = append(args, fmt.Sprintf("%s%07d", prefix, i+k), 560+(i+k)%300, now, now)
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("seed credit lines: %w", err)
		}
	}
	for i := 0; i < assets; i += batch {
		n := min(batch, assets-i)
		var sb strings.Builder
		sb.WriteString(`INSERT INTO purchase (id, user_id, payment_id, merchant_id, amount, refunded_amount, principal_outstanding,
 capture_date, installments, statement_id, plan_id, owner, created_at) VALUES `)
		args := make([]any, 0, n*7)
		for k := 0; k < n; k++ {
			if k > 0 {
				sb.WriteString(",")
			}
			j := i + k
			amount := int64(5000 + (j*7919)%500000)
			inst := []int{0, 0, 3, 6, 12}[j%5]
			sb.WriteString("(?, ?, ?, 'bench-shop', ?, 0, ?, ?, ?, NULL, NULL, 'lender', ?)")
			args = append(args, ids.New(), fmt.Sprintf("%s%07d", prefix, j/perUser), ids.New(), amount, amount, cutoff.AddDays(-(j % 60)).Int(), inst, now)
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("seed purchases: %w", err)
		}
		_ = bar.Set(i + n)
	}
	_ = bar.Finish()
	fmt.Fprintln(errw)
	return nil
}
