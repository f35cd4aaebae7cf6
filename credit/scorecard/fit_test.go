package scorecard

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// synthetic is a data set drawn from a known logistic model, with the model's own log-odds
// of good kept per row so the fitted card can be compared with the truth.
type synthetic struct {
	csv       []byte
	trueScore []float64 // −logit(P(bad)): higher = safer
	bad       []bool
}

var channelEffect = map[string]float64{"app": 0, "web": 0.3, "store": -0.4, "partner": 0.8, "fax": 1.0}

// makeSynthetic draws rows with 3 informative numeric features (income with 5% missing,
// credit history, late payments), one categorical (channel, with a rare level) and one pure
// noise column.
func makeSynthetic(rows int, seed uint64) synthetic {
	rng := rand.New(rand.NewPCG(seed, 0))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "monthly_income", "credit_history_months", "late_payments_12m", "channel", "noise", "default_flag"})
	s := synthetic{trueScore: make([]float64, rows), bad: make([]bool, rows)}
	for i := range rows {
		income := math.Exp(8.5 + 0.6*rng.NormFloat64())
		history := rng.IntN(121)
		lates := min(int(rng.ExpFloat64()*0.8), 10)
		var channel string
		switch u := rng.Float64(); {
		case u < 0.50:
			channel = "app"
		case u < 0.80:
			channel = "web"
		case u < 0.95:
			channel = "store"
		case u < 0.995:
			channel = "partner"
		default:
			channel = "fax"
		}
		noise := rng.Float64() * 100
		logit := -1.2 - 1.2*(math.Log(income)-8.5) - 0.02*(float64(history)-60) + 0.5*float64(lates) + channelEffect[channel]
		incomeField := strconv.FormatFloat(math.Round(income*100)/100, 'f', 2, 64)
		if rng.Float64() < 0.05 {
			incomeField = ""
			logit = -1.2 + 0.5 - 0.02*(float64(history)-60) + 0.5*float64(lates) + channelEffect[channel]
		}
		bad := rng.Float64() < 1/(1+math.Exp(-logit))
		s.trueScore[i], s.bad[i] = -logit, bad
		flag := "0"
		if bad {
			flag = "1"
		}
		_ = w.Write([]string{strconv.Itoa(i), incomeField, strconv.Itoa(history), strconv.Itoa(lates), channel,
			strconv.FormatFloat(noise, 'f', 3, 64), flag})
	}
	w.Flush()
	s.csv = buf.Bytes()
	return s
}

func (s synthetic) dataset(t testing.TB) *Dataset {
	t.Helper()
	d, err := ReadDataset(bytes.NewReader(s.csv), "default_flag", "1")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// syntheticFit is the one default fit of the 20,000-row synthetic set the tests share (the
// cross-validated grid search makes each fit cost seconds).
var syntheticFit struct {
	once           sync.Once
	s              *Scorecard
	rep            *FitReport
	err            error
	train, holdout synthetic
}

func fitSynthetic(t testing.TB) (*Scorecard, *FitReport, synthetic, synthetic) {
	t.Helper()
	f := &syntheticFit
	f.once.Do(func() {
		f.train, f.holdout = makeSynthetic(20000, 42), makeSynthetic(10000, 4242)
		d, err := ReadDataset(bytes.NewReader(f.train.csv), "default_flag", "1")
		if err != nil {
			f.err = err
			return
		}
		f.s, f.rep, f.err = Fit(d, FitOptions{Exclude: []string{"id"}})
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.s, f.rep, f.train, f.holdout
}

func TestFitRecoversSyntheticSignal(t *testing.T) {
	s, rep, _, holdout := fitSynthetic(t)
	truth, err := Evaluate(holdout.trueScore, holdout.bad)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.EvaluateDataset(holdout.dataset(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train: AUC %.4f KS %.4f; holdout: AUC %.4f KS %.4f Gini %.4f; generating model on holdout: AUC %.4f KS %.4f",
		rep.Train.AUC, rep.Train.KS, got.AUC, got.KS, got.Gini, truth.AUC, truth.KS)
	if math.Abs(got.AUC-truth.AUC) > 0.02 {
		t.Errorf("holdout AUC %.4f, generating model %.4f: further apart than 0.02", got.AUC, truth.AUC)
	}

	kept := map[string]FeatureReport{}
	for _, f := range rep.Kept {
		kept[f.Name] = f
		if f.Coefficient >= 0 {
			t.Errorf("%s: coefficient %v, want negative (y = bad, WOE = ln good/bad)", f.Name, f.Coefficient)
		}
	}
	for _, name := range []string{"monthly_income", "credit_history_months", "late_payments_12m", "channel"} {
		if _, ok := kept[name]; !ok {
			t.Errorf("informative feature %s dropped; report %+v", name, rep.Dropped)
		}
	}
	if kept["channel"].Type != TypeCategorical || kept["monthly_income"].Type != TypeNumeric {
		t.Errorf("type detection: %+v", kept)
	}
	if _, ok := kept["noise"]; ok {
		t.Errorf("noise feature kept with IV %v", kept["noise"].IV)
	}
	if _, ok := kept["id"]; ok {
		t.Error("excluded column id was fitted")
	}
}

// TestFitScaling checks the points add up to offset + factor·ln(odds good:bad) of the
// regression, i.e. BadProbability(raw) is the model's predicted probability.
func TestFitScaling(t *testing.T) {
	s, rep, train, _ := fitSynthetic(t)
	d := train.dataset(t)
	for i := 0; i < d.Rows(); i += 997 {
		r := d.Record(i)
		logit := rep.Intercept
		for _, f := range s.Characteristics {
			b, _ := f.Lookup(r[f.Name])
			logit += *f.Coefficient * *b.WOE
		}
		want := 1 / (1 + math.Exp(-logit))
		got := s.BadProbability(s.Score(r).Raw)
		// Points are rounded to 0.01 each and WOE to 1e-6, so allow a little.
		if math.Abs(got-want) > 1e-3 {
			t.Errorf("row %d: P(bad) from score %.6f, from regression %.6f", i, got, want)
		}
	}
}

func TestFitRoundTripAndRobustness(t *testing.T) {
	s, _, _, holdout := fitSynthetic(t)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("fitted card does not parse: %v", err)
	}
	d := holdout.dataset(t)
	for i := range d.Rows() {
		r := d.Record(i)
		if a, b := s.Score(r), back.Score(r); a.Raw != b.Raw || a.Score != b.Score {
			t.Fatalf("row %d: score %v before round trip, %v after", i, a, b)
		}
	}
	odd := []Record{
		{},
		{"monthly_income": "", "credit_history_months": "", "late_payments_12m": "", "channel": ""},
		{"monthly_income": "not a number", "credit_history_months": "-5", "late_payments_12m": "1e12", "channel": "carrier pigeon"},
		{"channel": "fax"},
	}
	for _, r := range odd {
		res := back.Score(r)
		if res.Score < MinScore || res.Score > MaxScore {
			t.Errorf("%v: score %d", r, res.Score)
		}
	}
	// An unseen channel scores like the rare ones grouped in "other".
	if a, b := back.Score(Record{"channel": "carrier pigeon"}).Raw, back.Score(Record{"channel": "fax"}).Raw; a != b {
		t.Errorf("unseen category raw %v, rare category %v", a, b)
	}
}

func TestBinNumericMonotonicAndMinShare(t *testing.T) {
	train := makeSynthetic(20000, 42)
	d := train.dataset(t)
	minCount := 1000 // 5% of 20000
	for _, c := range d.Columns {
		if c.Name == "channel" {
			continue
		}
		f := binNumeric(c.Name, c.Values, d.Bad, 20, minCount, -1)
		for i, b := range f.bins {
			if b.rows() < minCount && len(f.bins) > 1 {
				t.Errorf("%s bin %d has %d rows, want >= %d", c.Name, i, b.rows(), minCount)
			}
		}
		dir := 0.0
		for i := 1; i < len(f.woes); i++ {
			step := f.woes[i] - f.woes[i-1]
			if dir == 0 {
				dir = math.Copysign(1, step)
			}
			if step*dir < 0 {
				t.Errorf("%s: WOE not monotonic: %v", c.Name, f.woes)
				break
			}
		}
		if c.Name == "monthly_income" && (len(f.bins) < 4 || f.woes[len(f.woes)-1] <= f.woes[0]) {
			t.Errorf("income: %d bins, WOE %v; want several bins, rising", len(f.bins), f.woes)
		}
	}
}

// TestWOEByHand checks WOE and IV against numbers worked out by hand for a tiny table with
// totals G = 100 good and B = 40 bad, smoothing 0.5:
//
//	bin  good bad  %good=(g+.5)/G  %bad=(b+.5)/B  WOE=ln(%g/%b)   (%g−%b)·WOE
//	1    40   10   0.405           0.2625         0.4336360       0.0617931
//	2    50    0   0.505           0.0125         3.6988298       1.8216737
//	3    10   20   0.105           0.5125        −1.5853404       0.6460262
//	4     0   10   0.005           0.2625        −3.9608132       1.0199094
//	5     0    0   (empty: no evidence)           0               0
//	IV = 3.5494024
func TestWOEByHand(t *testing.T) {
	goods := []int{40, 50, 10, 0, 0}
	bads := []int{10, 0, 20, 10, 0}
	wantWOE := []float64{0.4336360, 3.6988298, -1.5853404, -3.9608132, 0}
	woes, iv := InformationValue(goods, bads)
	for i := range wantWOE {
		if math.Abs(woes[i]-wantWOE[i]) > 1e-6 {
			t.Errorf("bin %d WOE %.7f, want %.7f", i+1, woes[i], wantWOE[i])
		}
		if got := WOE(goods[i], bads[i], 100, 40); math.Abs(got-wantWOE[i]) > 1e-6 {
			t.Errorf("WOE(%d, %d) = %.7f, want %.7f", goods[i], bads[i], got, wantWOE[i])
		}
	}
	if math.Abs(iv-3.5494024) > 1e-6 {
		t.Errorf("IV %.7f, want 3.5494024", iv)
	}
}

func TestBinCategoricalGroupsRare(t *testing.T) {
	values := strings.Split("a a a a a a b b b b c d  ", " ") // 6 a, 4 b, 1 c, 1 d, 2 missing
	bad := []bool{false, false, false, false, true, true, false, true, true, true, false, true, false, true}
	f := binCategorical("x", values, bad, 3)
	if len(f.bins) != 3 || strings.Join(f.bins[2].values, ",") != "c,d" || f.hasOther != 2 {
		t.Fatalf("bins %+v, want a, b, other{c,d}", f.bins)
	}
	if f.missing.rows() != 2 || f.elseWOE != f.woes[2] {
		t.Errorf("missing rows %d, else WOE %v vs other %v", f.missing.rows(), f.elseWOE, f.woes[2])
	}
	// G = 7, B = 7: a has 4 good 2 bad -> ln((4.5/7)/(2.5/7)) = ln(1.8)
	if math.Abs(f.woes[0]-math.Log(1.8)) > 1e-12 {
		t.Errorf("WOE(a) = %v, want ln 1.8", f.woes[0])
	}
}

func TestEvaluateByHand(t *testing.T) {
	tests := []struct {
		name          string
		scores        []float64
		bad           []bool
		auc, ks, gini float64
	}{
		// goods {2,3} vs bads {1,2}: 3 wins + 1 tie of 4 pairs = 0.875; CDFs after 1: bad ½, good 0.
		{"ties averaged", []float64{1, 2, 2, 3}, []bool{true, true, false, false}, 0.875, 0.5, 0.75},
		{"perfect", []float64{300, 400, 700, 800}, []bool{true, true, false, false}, 1, 1, 1},
		{"reversed", []float64{800, 700, 400, 300}, []bool{true, true, false, false}, 0, 1, -1},
		{"all tied", []float64{5, 5, 5, 5}, []bool{true, false, true, false}, 0.5, 0, 0},
		// goods {3,4,6} vs bads {1,2,5}: pairs won 2+2+3 = 7 of 9; KS max at score 2: bad 2/3, good 0.
		{"interleaved", []float64{1, 2, 3, 4, 5, 6}, []bool{true, true, false, false, true, false}, 7.0 / 9, 2.0 / 3, 2*7.0/9 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Evaluate(tt.scores, tt.bad)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(m.AUC-tt.auc) > 1e-12 || math.Abs(m.KS-tt.ks) > 1e-12 || math.Abs(m.Gini-tt.gini) > 1e-12 {
				t.Errorf("got AUC %v KS %v Gini %v, want %v %v %v", m.AUC, m.KS, m.Gini, tt.auc, tt.ks, tt.gini)
			}
		})
	}
	if _, err := Evaluate([]float64{1, 2}, []bool{false, false}); err != ErrOneClass {
		t.Errorf("one class: err %v, want ErrOneClass", err)
	}
}

func TestScoreBands(t *testing.T) {
	bands := ScoreBands([]int{350, 399, 400, 949, 950, 700}, []bool{true, false, true, false, false, true}, 50)
	if len(bands) != 12 {
		t.Fatalf("%d bands, want 12", len(bands))
	}
	if bands[0].Count != 2 || bands[0].Bads != 1 || bands[1].Count != 1 || bands[7].Count != 1 || bands[11].Count != 2 {
		t.Errorf("bands %+v", bands)
	}
	if bands[0].BadRate() != 0.5 {
		t.Errorf("bad rate %v", bands[0].BadRate())
	}
}

func TestReadDatasetErrors(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"no target", "a,b\n1,2\n", `target column "y" not in header`},
		{"empty target", "a,y\n1,1\n2,\n", "line 3: empty target"},
		{"duplicate header", "a,a,y\n1,2,0\n", `"a" appears twice`},
		{"no rows", "a,y\n", "no data rows"},
		{"empty", "", "empty file"},
		{"ragged", "a,y\n1,0\n1,2,3\n", "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadDataset(strings.NewReader(tt.csv), "y", "1")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	d, err := ReadDataset(strings.NewReader("a,y\n1,0\n2,0\n"), "y", "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Fit(d, FitOptions{}); err != ErrOneClass {
		t.Errorf("one class: %v", err)
	}
	d, _ = ReadDataset(strings.NewReader("a,y\n1,0\n2,1\n"), "y", "1")
	if _, _, err := Fit(d, FitOptions{Exclude: []string{"zzz"}}); err == nil || !strings.Contains(err.Error(), `"zzz" not in data`) {
		t.Errorf("unknown column: %v", err)
	}
}
