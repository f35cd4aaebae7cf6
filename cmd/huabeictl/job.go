package main

import (
	"fmt"
	"os"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/job"
)

func init() { addCommand(newJobCmd) }

func newJobCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "run and list the named jobs (statements, accrue, autopay, dayend, ...)"}
	var date string
	run := &cobra.Command{
		Use:   "run NAME --date YYYY-MM-DD",
		Short: "run a job for a business date against the configured database (a finished run is not repeated)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := clock.ParseDate(date)
			if err != nil {
				return fmt.Errorf("--date: %w", err)
			}
			cfg, err := conf.Load()
			if err != nil {
				return err
			}
			logger := log.NewFilter(log.NewStdLogger(os.Stderr), log.FilterLevel(log.LevelWarn))
			a, cleanup, err := app.New(cmd.Context(), cfg, logger)
			if err != nil {
				return err
			}
			defer cleanup()
			bar := progressbar.NewOptions64(-1, progressbar.OptionSetDescription(args[0]+" "+date),
				progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(), progressbar.OptionThrottle(100_000_000))
			info, err := a.Jobs().RunWith(cmd.Context(), args[0], d, job.RunOptions{Progress: func(done, total int64) {
				if total > 0 && bar.GetMax64() != total {
					bar.ChangeMax64(total)
				}
				_ = bar.Set64(done)
			}})
			_ = bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s, processed %d, attempts %d\n", info.Name, info.BusinessDate, info.Status, info.Processed, info.Attempts)
			if info.Status != job.StatusSucceeded {
				return fmt.Errorf("job %s %s", info.Status, info.Error)
			}
			return nil
		},
	}
	run.Flags().StringVar(&date, "date", "", "business date YYYY-MM-DD")
	_ = run.MarkFlagRequired("date")
	list := &cobra.Command{
		Use:   "list",
		Short: "list the registered jobs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := conf.Load()
			if err != nil {
				return err
			}
			a, cleanup, err := app.New(cmd.Context(), cfg, log.NewFilter(log.NewStdLogger(os.Stderr), log.FilterLevel(log.LevelWarn)))
			if err != nil {
				return err
			}
			defer cleanup()
			for _, n := range a.Jobs().Names() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	cmd.AddCommand(run, list)
	return cmd
}
