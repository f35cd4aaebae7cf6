package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/abs/biz"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
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

// poolClient talks to the server's asset center API with a treasury token minted from
// the configured JWT secret (HUABEI_JWT_SECRET).
type poolClient struct {
	server, token string
	http          *http.Client
}

func addPoolServerCommands(cmd *cobra.Command) {
	var server string
	cmd.PersistentFlags().StringVar(&server, "server", "http://127.0.0.1:8000", "server URL")
	client := func() (*poolClient, error) {
		cfg, err := conf.Load()
		if err != nil {
			return nil, err
		}
		tok, err := auth.Mint(cfg.Server.JWTSecret, "huabeictl", auth.RoleTreasury, time.Hour, time.Now())
		if err != nil {
			return nil, err
		}
		return &poolClient{server: strings.TrimRight(server, "/"), token: tok, http: &http.Client{Timeout: 30 * time.Minute}}, nil
	}
	var name, cutoff, minPrincipal, maxPrincipal, maxShare, target string
	var minScore, minTerm, maxTerm, revolving int
	create := &cobra.Command{
		Use:   "create --name N --cutoff YYYY-MM-DD [criteria flags]",
		Short: "build a draft pool on the server from the eligibility criteria",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			crit := map[string]any{"min_score": minScore, "min_remaining_periods": minTerm, "max_remaining_periods": maxTerm,
				"min_principal": minPrincipal, "max_principal": maxPrincipal, "max_obligor_share": maxShare, "target_balance": target}
			var out map[string]any
			if err := c.call("POST", "/v1/abs/pools", map[string]any{"name": name, "cutoff_date": cutoff, "criteria": crit, "revolving_months": revolving}, "", &out); err != nil {
				return err
			}
			return printPool(cmd.OutOrStdout(), out)
		},
	}
	f := create.Flags()
	f.StringVar(&name, "name", "", "pool name")
	f.StringVar(&cutoff, "cutoff", "", "cut-off date YYYY-MM-DD")
	f.IntVar(&minScore, "min-score", 0, "minimum obligor score")
	f.StringVar(&minPrincipal, "min-principal", "", "minimum outstanding principal (yuan)")
	f.StringVar(&maxPrincipal, "max-principal", "", "maximum outstanding principal (yuan)")
	f.IntVar(&minTerm, "min-remaining", 0, "minimum remaining periods")
	f.IntVar(&maxTerm, "max-remaining", 0, "maximum remaining periods")
	f.StringVar(&maxShare, "max-obligor-share", "", `maximum share of one obligor, e.g. "0.05"`)
	f.StringVar(&target, "target-balance", "", "fill up to this balance (yuan)")
	f.IntVar(&revolving, "revolving-months", 0, "revolving period after transfer (months)")

	show := &cobra.Command{
		Use:   "show POOL_ID",
		Short: "print a pool and its statistics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var out map[string]any
			if err := c.call("GET", "/v1/abs/pools/"+args[0], nil, "", &out); err != nil {
				return err
			}
			return printPool(cmd.OutOrStdout(), out)
		},
	}
	var by string
	strata := &cobra.Command{
		Use:   "strata POOL_ID --by score|remaining_term|balance|origination_month",
		Short: "print a stratification table of a pool",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var out struct {
				Rows []stratumRowJSON `json:"rows"`
			}
			if err := c.call("GET", "/v1/abs/pools/"+args[0]+"/strata?by="+by, nil, "", &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "%s\tcount\tbalance\tshare\n", by)
			for _, r := range out.Rows {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Bucket, r.Count, r.Balance, r.Share)
			}
			return tw.Flush()
		},
	}
	strata.Flags().StringVar(&by, "by", "score", "score, remaining_term, balance or origination_month")

	var buyer, price, key string
	transfer := &cobra.Command{
		Use:   "transfer POOL_ID --buyer NAME --price 98.50 [--key IDEMPOTENCY_KEY]",
		Short: "sell a pool (true sale) with a progress bar; re-run with the same key to resume after a failure",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			if key == "" {
				key = "pool-transfer-" + args[0]
			}
			var pool map[string]any
			if err := c.call("GET", "/v1/abs/pools/"+args[0], nil, "", &pool); err != nil {
				return err
			}
			total := 0
			if st, ok := pool["stats"].(map[string]any); ok {
				total = toInt(st["asset_count"])
			}
			bar := progressbar.NewOptions(total, progressbar.OptionSetDescription("transfer"), progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
			done := make(chan struct{})
			go func() { // poll progress while the transfer request runs
				for {
					select {
					case <-done:
						return
					case <-time.After(300 * time.Millisecond):
					}
					var p map[string]any
					if c.call("GET", "/v1/abs/pools/"+args[0], nil, "", &p) == nil {
						_ = bar.Set(toInt(p["transferred_count"]))
					}
				}
			}()
			var out map[string]any
			err = c.call("POST", "/v1/abs/pools/"+args[0]+"/transfer", map[string]any{"buyer": buyer, "price": price}, key, &out)
			close(done)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr())
				return err
			}
			_ = bar.Set(toInt(out["asset_count"]))
			_ = bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			return printKV(cmd.OutOrStdout(), out)
		},
	}
	transfer.Flags().StringVar(&buyer, "buyer", "", "buyer (SPV) name")
	transfer.Flags().StringVar(&price, "price", "100.00", "price as % of par")
	transfer.Flags().StringVar(&key, "key", "", "Idempotency-Key (default pool-transfer-<id>)")

	report := &cobra.Command{
		Use:   "report POOL_ID PERIOD",
		Short: "print the servicer report of a pool for a period YYYY-MM",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			var out map[string]any
			if err := c.call("GET", "/v1/abs/pools/"+args[0]+"/reports/"+args[1], nil, "", &out); err != nil {
				return err
			}
			return printKV(cmd.OutOrStdout(), out)
		},
	}
	cmd.AddCommand(create, show, strata, transfer, report)
}

func (c *poolClient) call(method, path string, body any, key string, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return json.Unmarshal(raw, out)
}

func toInt(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		var n int
		fmt.Sscan(x, &n)
		return n
	}
	return 0
}

func printPool(w io.Writer, p map[string]any) error {
	stats, _ := p["stats"].(map[string]any)
	delete(p, "stats")
	delete(p, "criteria")
	if err := printKV(w, p); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return printKV(w, stats)
}

// printKV prints a flat JSON object as an aligned two-column table (keys sorted;
// nested lists as JSON).
func printKV(w io.Writer, m map[string]any) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range keys {
		v := m[k]
		switch v.(type) {
		case []any, map[string]any:
			b, _ := json.Marshal(v)
			v = string(b)
		}
		fmt.Fprintf(tw, "%s\t%v\n", k, v)
	}
	return tw.Flush()
}
