package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/huabei/huabei/credit/scorecard"
)

// writeCSV writes rows drawn from a known logistic model: two numeric features, one
// categorical, a noise column and an id, labelled "bad"/"good" in column "outcome".
func writeCSV(t *testing.T, path string, rows int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("customer_id,monthly_income,late_payments_12m,housing,noise,outcome\n")
	for i := range rows {
		income := math.Exp(8.7 + 0.5*rng.NormFloat64())
		lates := min(int(rng.ExpFloat64()), 8)
		housing := []string{"rent", "own", "family"}[rng.IntN(3)]
		logit := -1.5 - 1.5*(math.Log(income)-8.7) + 0.6*float64(lates) + map[string]float64{"rent": 0.4, "own": -0.5, "family": 0}[housing]
		outcome := "good"
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			outcome = "bad"
		}
		incomeField := strconv.FormatFloat(income, 'f', 2, 64)
		if rng.IntN(20) == 0 {
			incomeField = ""
		}
		b.WriteString(strings.Join([]string{strconv.Itoa(i), incomeField, strconv.Itoa(lates), housing,
			strconv.FormatFloat(rng.Float64(), 'f', 4, 64), outcome}, ","))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runScorecard(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newScorecardCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestScorecardFitEvalEndToEnd(t *testing.T) {
	dir := t.TempDir()
	train, test, model := filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv"), filepath.Join(dir, "model.json")
	writeCSV(t, train, 8000, 42)
	writeCSV(t, test, 4000, 43)

	out, _, err := runScorecard(t, "fit", "--data", train, "--target", "outcome", "--bad", "bad",
		"--exclude", "customer_id", "--out", model, "--name", "e2e", "--min-iv", "0.02", "--report")
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	t.Logf("fit summary:\n%s", out)
	for _, want := range []string{"FEATURE", "monthly_income", "late_payments_12m", "housing", "DROPPED", "noise", "train AUC",
		"cross-validated AUC", "chosen: encoding", "WOE monotonic", "POINTS", "cross-validation grid"} {
		if !strings.Contains(out, want) {
			t.Errorf("fit summary lacks %q:\n%s", want, out)
		}
	}
	s, err := scorecard.Load(model)
	if err != nil {
		t.Fatalf("fitted model does not load: %v", err)
	}
	if got := strings.Join(s.Features(), ","); got != "monthly_income,late_payments_12m,housing" {
		t.Errorf("features %s", got)
	}

	out, _, err = runScorecard(t, "eval", "--model", model, "--data", test, "--target", "outcome", "--bad", "bad", "--table")
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	t.Logf("eval:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !regexp.MustCompile(`^\{"auc":0\.\d{4},"ks":0\.\d{4},"gini":-?[01]\.\d{4},"rows":4000\}$`).MatchString(lines[0]) {
		t.Fatalf("eval line %q", lines[0])
	}
	var m struct{ AUC, KS, Gini float64 }
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	if m.AUC < 0.7 || m.KS < 0.3 || math.Abs(m.Gini-(2*m.AUC-1)) > 1e-3 {
		t.Errorf("held-out metrics %+v, want AUC >= 0.7, KS >= 0.3", m)
	}
	if len(lines) != 1+1+12 || !strings.Contains(lines[1], "BAD_RATE") || !strings.Contains(out, "900-950") {
		t.Errorf("band table:\n%s", out)
	}

	// Without --out the model goes to stdout and the summary to stderr.
	out, errOut, err := runScorecard(t, "fit", "--data", train, "--target", "outcome", "--bad", "bad",
		"--exclude", "customer_id", "--categorical", "late_payments_12m", "--min-iv", "-1", "--bins", "10", "--min-bin-share", "0.05", "--l2", "1", "--encoding", "woe")
	if err != nil {
		t.Fatalf("fit to stdout: %v", err)
	}
	s2, err := scorecard.Parse([]byte(out))
	if err != nil {
		t.Fatalf("stdout is not a model: %v", err)
	}
	if len(s2.Features()) != 4 || s2.Characteristics[1].Type != scorecard.TypeCategorical {
		t.Errorf("--min-iv -1 should keep noise and --categorical should apply: %+v", s2.Features())
	}
	if !strings.Contains(errOut, "FEATURE") {
		t.Errorf("summary not on stderr: %q", errOut)
	}
}

// TestScorecardEvalOddData evaluates data with a missing model column, unseen categories and
// garbage numbers: warned about, scored, never a crash.
func TestScorecardEvalOddData(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.json")
	writeCSV(t, filepath.Join(dir, "train.csv"), 3000, 7)
	if _, _, err := runScorecard(t, "fit", "--data", filepath.Join(dir, "train.csv"), "--target", "outcome", "--bad", "bad",
		"--exclude", "customer_id", "--out", model); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "odd.csv")
	csv := "housing,monthly_income,outcome\nboat,lots,bad\n,,good\nown,50000,good\ncastle,-1,bad\n"
	if err := os.WriteFile(odd, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runScorecard(t, "eval", "--model", model, "--data", odd, "--target", "outcome", "--bad", "bad")
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	if !strings.Contains(out, `"rows":4`) || !strings.Contains(errOut, `"late_payments_12m" is not a column`) {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
}

func TestScorecardCommandErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(data, []byte("x,y\n1,good\n2,good\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"fit needs target", []string{"fit", "--data", data, "--bad", "bad"}, `"target" not set`},
		{"fit unknown target", []string{"fit", "--data", data, "--target", "z", "--bad", "bad"}, `target column "z" not in header`},
		{"fit one class", []string{"fit", "--data", data, "--target", "y", "--bad", "bad"}, "need both good and bad"},
		{"eval missing model", []string{"eval", "--model", filepath.Join(dir, "none.json"), "--data", data, "--target", "y", "--bad", "bad"}, "no such file"},
		{"eval one class", []string{"eval", "--model", "../../configs/scorecard.json", "--data", data, "--target", "y", "--bad", "bad"}, "need both good and bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runScorecard(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
