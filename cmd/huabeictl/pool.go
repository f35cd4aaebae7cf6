package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/huabei/huabei/abs/biz"
)

func init() { addCommand(newPoolCmd) }

func newPoolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pool",
		Short: "asset pools: analyse a loan tape, create/show/strata/transfer/report pools on the server",
	}
	cmd.AddCommand(newPoolStatsCmd())
	addPoolServerCommands(cmd)
	return cmd
}

// tapeStatsJSON is the --json output: the API's field names for stats and strata rows.
type tapeStatsJSON struct {
	Stats  poolStatsJSON               `json:"stats"`
	Strata map[string][]stratumRowJSON `json:"strata"`
}

type poolStatsJSON struct {
	AssetCount      int    `json:"asset_count"`
	ObligorCount    int    `json:"obligor_count"`
	Balance         string `json:"balance"`
	AverageBalance  string `json:"average_balance"`
	WAC             string `json:"wac"`
	WAM             string `json:"wam"`
	WAL             string `json:"wal"`
	TopObligorShare string `json:"top_obligor_share"`
}

type stratumRowJSON struct {
	Bucket  string `json:"bucket"`
	Count   int    `json:"count"`
	Balance string `json:"balance"`
	Share   string `json:"share"`
}

func newPoolStatsCmd() *cobra.Command {
	var tape string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats --tape tape.csv [--json]",
		Short: "pool statistics and stratification of a CSV loan tape (asset_id, obligor_id, principal, annual_rate, remaining_periods, amortization, score?, origination_date?)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tape == "" {
				return fmt.Errorf("--tape is required")
			}
			f, err := os.Open(tape)
			if err != nil {
				return err
			}
			defer f.Close()
			return runTapeStats(f, cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().StringVar(&tape, "tape", "", "CSV loan tape")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"stats": {...}, "strata": {...}} with the API's field names`)
	return cmd
}

func runTapeStats(r io.Reader, w io.Writer, asJSON bool) error {
	p := biz.NewPoolAnalyzer()
	if _, err := biz.ReadTape(r, p.Add); err != nil {
		return err
	}
	s := p.Stats()
	out := tapeStatsJSON{
		Stats: poolStatsJSON{AssetCount: s.AssetCount, ObligorCount: s.ObligorCount, Balance: s.Balance.String(),
			AverageBalance: s.AverageBalance.String(), WAC: s.WAC.StringFixed(4), WAM: s.WAM.StringFixed(4),
			WAL: s.WAL.StringFixed(4), TopObligorShare: s.TopObligorShare.StringFixed(4)},
		Strata: map[string][]stratumRowJSON{},
	}
	for _, by := range biz.Strata {
		rows := []stratumRowJSON{}
		for _, r := range p.Strata(by) {
			rows = append(rows, stratumRowJSON{Bucket: r.Bucket, Count: r.Count, Balance: r.Balance.String(), Share: r.Share.StringFixed(4)})
		}
		out.Strata[by] = rows
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	st := out.Stats
	fmt.Fprintf(tw, "assets\t%d\nobligors\t%d\nbalance\t%s\naverage balance\t%s\nWAC\t%s\nWAM (months)\t%s\nWAL (months)\t%s\ntop obligor share\t%s\n",
		st.AssetCount, st.ObligorCount, st.Balance, st.AverageBalance, st.WAC, st.WAM, st.WAL, st.TopObligorShare)
	for _, by := range biz.Strata {
		fmt.Fprintf(tw, "\n%s\tcount\tbalance\tshare\n", by)
		for _, r := range out.Strata[by] {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Bucket, r.Count, r.Balance, r.Share)
		}
	}
	return tw.Flush()
}
