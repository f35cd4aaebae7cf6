package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/simulation"
)

func init() { addCommand(newSimulateCmd) }

func newSimulateCmd() *cobra.Command {
	var (
		users, months, workers        int
		seed                          uint64
		server, out, charts           string
		start, dataDir, capital       string
		quiet, dailyDayend, revolving bool
	)
	cmd := &cobra.Command{
		Use:   "simulate --users N --months M --seed S [--server URL] [--out report.json] [--charts DIR]",
		Short: "simulate a lending business over the HTTP API (in-process server unless --server) and print a portfolio report",
		Long: `simulate drives the real service over its HTTP API with the test clock: shoppers with
credit profiles drawn from realistic distributions apply, buy at merchants of several
categories (some in installments), merchants capture, cancel and refund, shoppers repay
according to their score (full, minimum, late, default), every job runs for every business
date, and treasury builds, sells and services pools. The same seed on a fresh database gives
the same report. Without --server an in-process server runs in simulation mode on SQLite in
--data-dir (wiped first), or on MySQL/MariaDB when HUABEI_MYSQL_DSN is set (use an empty
database). With --server, tokens are signed with HUABEI_JWT_SECRET (the server's secret) and
the server must run in dev or simulation mode.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Kratos' config loader logs through the global logger: warnings only.
			log.SetLogger(log.NewFilter(log.NewStdLogger(os.Stderr), log.FilterLevel(log.LevelWarn)))
			cfg, err := conf.Load()
			if err != nil {
				return err
			}
			st, err := clock.ParseDate(start)
			if err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			opts := simulation.Options{Users: users, Months: months, Seed: seed, Start: st, Workers: workers, DailyDayend: dailyDayend, Revolving: revolving}
			if !quiet {
				opts.Progress = os.Stderr
			}
			base, secret := server, cfg.Server.JWTSecret
			opts.Engine = "server " + server
			if server == "" {
				if dataDir == "" {
					dataDir = filepath.Join(cfg.Data.DataDir, fmt.Sprintf("sim-%d", seed))
				}
				so := simulation.ServerOptions{DataDir: dataDir, MySQLDSN: cfg.Data.MySQLDSN, RedisAddr: cfg.Data.RedisAddr, OpeningCapital: capital}
				if capital == "" {
					so.OpeningCapital = simulation.DefaultCapital(users)
				}
				if so.MySQLDSN == "" {
					if err := os.RemoveAll(dataDir); err != nil {
						return err
					}
				}
				if err := os.MkdirAll(dataDir, 0o755); err != nil {
					return err
				}
				logf, err := os.Create(filepath.Join(dataDir, "server.log"))
				if err != nil {
					return err
				}
				defer logf.Close()
				so.Log = logf
				srv, err := simulation.StartServer(ctx, so)
				if err != nil {
					return err
				}
				defer srv.Close()
				base, secret, opts.Engine = srv.URL, srv.Secret, srv.Engine
				fmt.Fprintf(os.Stderr, "in-process server on %s (%s, log %s)\n", srv.URL, srv.Engine, logf.Name())
			}
			rep, err := simulation.Run(ctx, simulation.NewClient(base, secret), opts)
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout())
			if out != "" {
				if err := rep.WriteJSON(out); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "report written to", out)
			}
			if charts != "" {
				files, err := rep.WriteCharts(charts)
				if err != nil {
					return err
				}
				for _, f := range files {
					fmt.Fprintln(cmd.OutOrStdout(), "chart written to", f)
				}
			}
			if !rep.Passed() {
				return fmt.Errorf("simulate: an invariant failed")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&users, "users", 500, "number of shoppers")
	f.IntVar(&months, "months", 6, "months to simulate")
	f.Uint64Var(&seed, "seed", 1, "random seed (same seed, fresh database → same report)")
	f.StringVar(&server, "server", "", "base URL of a running server (default: an in-process server)")
	f.StringVar(&out, "out", "", "write the report as JSON to this file")
	f.StringVar(&charts, "charts", "", "write PNG charts into this directory")
	f.StringVar(&start, "start", "2027-01-01", "first business date")
	f.StringVar(&dataDir, "data-dir", "", "SQLite directory of the in-process server (default <data_dir>/sim-<seed>, wiped first)")
	f.StringVar(&capital, "capital", "", "opening capital of the in-process server in yuan (default 10,000.00 per user, so pool sales matter)")
	f.IntVar(&workers, "workers", 8, "concurrent requests per simulated day")
	f.BoolVar(&dailyDayend, "daily-dayend", false, "run the dayend job for every business date (default: Sundays, month ends, last date)")
	f.BoolVar(&revolving, "revolving", false, "give pools a 2-month revolving period with monthly revolving purchases (the report is then not reproducible)")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}
