package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/huabei/huabei/credit/scorecard"
)

// newScorecardCmd is `huabeictl scorecard`: fit a scorecard from a labelled CSV and evaluate
// one on held-out data.
func newScorecardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scorecard",
		Short: "Fit and evaluate credit scorecards",
	}
	cmd.AddCommand(newScorecardFitCmd(), newScorecardEvalCmd())
	return cmd
}

func newScorecardFitCmd() *cobra.Command {
	var (
		data, target, bad, out, name string
		opt                          scorecard.FitOptions
		report                       bool
	)
	cmd := &cobra.Command{
		Use:   "fit --data train.csv --target COLUMN --bad VALUE [--out model.json]",
		Short: "Learn a scorecard from a labelled CSV",
		Long: `Fit reads a CSV with a header. Every column except the target and --exclude is a
feature: numeric if all its non-empty values are numbers, else categorical (override with
--numeric/--categorical). Numeric features are cut at quantiles and merged until WOE is
monotonic (unless a likelihood-ratio test at --monotonic-alpha says the free bins fit
significantly better) and every bin holds --min-bin-share of the rows; rare categories are
grouped into "other", which also scores unseen categories; missing values get their own bin.
Features with IV below --min-iv are dropped, the rest enter an L2 logistic regression (on their
WOE, or on one indicator per bin: --encoding), and the coefficients are scaled to points
(--base-score at --base-odds good:bad, --pdo to double).

--bins, --min-bin-share, --l2, --min-iv and --encoding left at their zero default are chosen by
stratified k-fold cross-validation on the training rows (--folds, --seed; small files repeat the
split), and the summary reports the cross-validated AUC of the choice. --report adds every
feature's bins (rows, bads, WOE, points) and the grid points tried.

With --out the model JSON goes to that file and the summary table to stdout; without it the
model JSON goes to stdout and the summary to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := scorecard.ReadDatasetFile(data, target, bad)
			if err != nil {
				return err
			}
			opt.Name = name
			s, rep, err := scorecard.Fit(d, opt)
			if err != nil {
				if rep != nil {
					writeFitSummary(cmd.ErrOrStderr(), rep, false)
				}
				return err
			}
			model, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				return err
			}
			model = append(model, '\n')
			summary := cmd.OutOrStdout()
			if out == "" || out == "-" {
				if _, err := cmd.OutOrStdout().Write(model); err != nil {
					return err
				}
				summary = cmd.ErrOrStderr()
			} else if err := os.WriteFile(out, model, 0o644); err != nil {
				return err
			}
			return writeFitSummary(summary, rep, report)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "training CSV with a header row (required)")
	f.StringVar(&target, "target", "", "name of the label column (required)")
	f.StringVar(&bad, "bad", "", "label value that marks a bad outcome; any other value is good (required)")
	f.StringSliceVar(&opt.Exclude, "exclude", nil, "columns that are not features (ids, dates)")
	f.StringSliceVar(&opt.Categorical, "categorical", nil, "columns to treat as categorical")
	f.StringSliceVar(&opt.Numeric, "numeric", nil, "columns to treat as numeric (non-numbers count as missing)")
	f.Float64Var(&opt.BasePoints, "base-score", 600, "score at which the odds good:bad equal --base-odds")
	f.Float64Var(&opt.BaseOdds, "base-odds", 50, "odds good:bad at --base-score")
	f.Float64Var(&opt.PDO, "pdo", 20, "points to double the odds")
	f.Float64Var(&opt.MinIV, "min-iv", 0, "drop features with a lower information value (0 = cross-validated, negative keeps all)")
	f.IntVar(&opt.InitialBins, "bins", 0, "quantile bins per numeric feature before merging (0 = cross-validated)")
	f.Float64Var(&opt.MinBinShare, "min-bin-share", 0, "minimum share of rows in a bin or category (0 = cross-validated)")
	f.Float64Var(&opt.L2, "l2", 0, "L2 penalty on the regression coefficients (0 = cross-validated)")
	f.StringVar(&opt.Encoding, "encoding", "", `bins in the regression: "woe" or "bins" ("" = cross-validated)`)
	f.IntVar(&opt.Folds, "folds", 5, "folds of the cross-validation")
	f.Uint64Var(&opt.Seed, "seed", 1, "seed of the fold assignment")
	f.Float64Var(&opt.MonotonicAlpha, "monotonic-alpha", 0.01, "keep non-monotonic numeric bins when monotonicity is rejected at this level (negative forces monotonic)")
	f.BoolVar(&report, "report", false, "also print each feature's bins and the cross-validation grid")
	f.StringVar(&out, "out", "", `write the model JSON here ("" or "-" = stdout)`)
	f.StringVar(&name, "name", "", "model name recorded in the JSON")
	for _, req := range []string{"data", "target", "bad"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}

func writeFitSummary(w io.Writer, rep *scorecard.FitReport, detail bool) error {
	fmt.Fprintf(w, "rows %d, bad %d (%.2f%%)", rep.Rows, rep.Bads, 100*float64(rep.Bads)/float64(max(rep.Rows, 1)))
	if rep.Train.Rows > 0 {
		fmt.Fprintf(w, "; train AUC %.4f, KS %.4f, Gini %.4f; intercept %.4f (%d Newton steps)",
			rep.Train.AUC, rep.Train.KS, rep.Train.Gini, rep.Intercept, rep.Iterations)
	}
	fmt.Fprintln(w)
	if cv := rep.CV; cv.Folds > 0 {
		fmt.Fprintf(w, "cross-validated AUC %.4f (%d folds); chosen: encoding %s, bins %d, min bin share %g, l2 %g, min IV %g\n",
			cv.AUC, cv.Folds, cv.Encoding, cv.InitialBins, cv.MinBinShare, cv.L2, cv.MinIV)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tTYPE\tIV\tCOEFFICIENT\tPOINTS\tBINS")
	for _, f := range rep.Kept {
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.2f..%.2f\t%d\n", f.Name, f.Type, f.IV, f.Coefficient, f.MinPoints, f.MaxPoints, f.Bins)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Dropped) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "DROPPED\tTYPE\tIV\tWHY")
		for _, f := range rep.Dropped {
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%s\n", f.Name, f.Type, f.IV, f.Why)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if detail {
		return writeFitReport(w, rep)
	}
	return nil
}

// writeFitReport is the --report detail: every kept feature's bins, then the grid tried.
func writeFitReport(w io.Writer, rep *scorecard.FitReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range rep.Kept {
		shape := ""
		if f.Type == scorecard.TypeNumeric {
			shape = ", WOE not monotonic (kept: monotonicity rejected)"
			if f.Monotonic {
				shape = ", WOE monotonic"
			}
		}
		fmt.Fprintf(w, "\n%s (%s, IV %.4f%s)\n", f.Name, f.Type, f.IV, shape)
		fmt.Fprintln(tw, "  BIN\tROWS\tBADS\tWOE\tPOINTS")
		for _, b := range f.BinDetails {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%.4f\t%.2f\n", b.Label, b.Rows, b.Bads, b.WOE, b.Points)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.CV.Tried) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\ncross-validation grid (mean held-out AUC)")
	fmt.Fprintln(tw, "  ENCODING\tMIN_IV\tBINS\tMIN_BIN_SHARE\tL2\tAUC")
	for _, p := range rep.CV.Tried {
		fmt.Fprintf(tw, "  %s\t%g\t%d\t%g\t%g\t%.4f\n", p.Encoding, p.MinIV, p.InitialBins, p.MinBinShare, p.L2, p.AUC)
	}
	return tw.Flush()
}

// evalLine is the one JSON line eval prints; metrics are numbers with exactly four decimals.
type evalLine struct {
	AUC  json.Number `json:"auc"`
	KS   json.Number `json:"ks"`
	Gini json.Number `json:"gini"`
	Rows int         `json:"rows"`
}

func fixed4(x float64) json.Number { return json.Number(strconv.FormatFloat(x, 'f', 4, 64)) }

func newScorecardEvalCmd() *cobra.Command {
	var (
		model, data, target, bad string
		table                    bool
		bandWidth                int
	)
	cmd := &cobra.Command{
		Use:   "eval --model model.json --data test.csv --target COLUMN --bad VALUE [--table]",
		Short: "Report AUC, KS and Gini of a scorecard on labelled data",
		Long: `Eval scores every row and prints one JSON line to stdout:
  {"auc":0.7812,"ks":0.4231,"gini":0.5624,"rows":5000}
AUC is the chance a good row outscores a bad one (ties count half), KS the largest gap between
the score CDFs of bad and good rows, Gini 2·AUC−1; all on the unclamped score. Missing values
and unseen categories score through the missing and else bins. With --table a score-band table
(clamped score, count, bads, bad rate) follows the JSON line on stdout. Model features absent
from the CSV are warned about on stderr and scored as missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := scorecard.Load(model)
			if err != nil {
				return err
			}
			d, err := scorecard.ReadDatasetFile(data, target, bad)
			if err != nil {
				return err
			}
			have := map[string]bool{}
			for _, c := range d.Columns {
				have[c.Name] = true
			}
			for _, name := range s.Features() {
				if !have[name] {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: model feature %q is not a column of %s; scored as missing\n", name, data)
				}
			}
			m, results, err := s.EvaluateDataset(d)
			if errors.Is(err, scorecard.ErrOneClass) {
				return fmt.Errorf("%s: %w (bad value %q matched %d of %d rows)", data, err, bad, m.Bads, m.Rows)
			}
			if err != nil {
				return err
			}
			line, err := json.Marshal(evalLine{AUC: fixed4(m.AUC), KS: fixed4(m.KS), Gini: fixed4(m.Gini), Rows: m.Rows})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if _, err := fmt.Fprintf(w, "%s\n", line); err != nil {
				return err
			}
			if !table {
				return nil
			}
			scores := make([]int, len(results))
			for i, r := range results {
				scores[i] = r.Score
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "BAND\tCOUNT\tBADS\tBAD_RATE\t")
			for _, b := range scorecard.ScoreBands(scores, d.Bad, bandWidth) {
				fmt.Fprintf(tw, "%d-%d\t%d\t%d\t%.4f\t\n", b.Lo, b.Hi, b.Count, b.Bads, b.BadRate())
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", "", "scorecard JSON (required)")
	f.StringVar(&data, "data", "", "labelled CSV with a header row (required)")
	f.StringVar(&target, "target", "", "name of the label column (required)")
	f.StringVar(&bad, "bad", "", "label value that marks a bad outcome (required)")
	f.BoolVar(&table, "table", false, "after the JSON line, print a score-band table to stdout")
	f.IntVar(&bandWidth, "band-width", 50, "width of the score bands in the table")
	for _, req := range []string{"model", "data", "target", "bad"} {
		_ = cmd.MarkFlagRequired(req)
	}
	return cmd
}
