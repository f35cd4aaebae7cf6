package scorecard

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// FitOptions control Fit. Zero values take the defaults noted on each field.
type FitOptions struct {
	Exclude     []string // columns that are not features (ids, dates)
	Categorical []string // force these columns categorical
	Numeric     []string // force these columns numeric (unparseable values count as missing)

	BasePoints float64 // score at BaseOdds; default 600
	BaseOdds   float64 // odds good:bad at BasePoints; default 50
	PDO        float64 // points to double the odds; default 20

	// The four hyper-parameters below are chosen by k-fold cross-validation on the training
	// rows when left zero (see Grid); a value given is used as it is.
	MinIV       float64 // features with a lower IV are dropped; negative = keep all
	InitialBins int     // quantile bins before merging
	MinBinShare float64 // minimum share of all rows per bin (and per category)
	L2          float64 // ridge penalty λ on the coefficients

	Folds int    // k of the k-fold cross-validation; default 5
	Seed  uint64 // seeds the fold assignment (same seed, same folds, same model); default 1

	// MonotonicAlpha is the significance level at which a numeric feature keeps bins whose
	// WOE is not monotonic: the free binning replaces the monotonic one only when a likelihood
	// ratio test rejects monotonicity at this level. Default 0.01; negative forces monotonic.
	MonotonicAlpha float64

	// Encoding is how bins enter the regression: EncodingWOE (one coefficient per feature on
	// its bins' WOE, the classic card) or EncodingBins (one ridge coefficient per bin, a plain
	// logistic regression on the bins' indicators). Empty: chosen by cross-validation.
	Encoding string

	Name string // model name written to the JSON
}

// Encodings of the bins in the regression.
const (
	EncodingWOE  = "woe"
	EncodingBins = "bins"
)

// Grid is the hyper-parameter grid cross-validation searches when FitOptions leaves a value
// zero. Listed from the simplest model to the richest, so a tie keeps the simpler one.
var Grid = struct {
	Encoding    []string
	MinIV       []float64 // −1 keeps every feature
	InitialBins []int
	MinBinShare []float64
	L2          []float64
}{
	Encoding:    []string{EncodingWOE, EncodingBins},
	MinIV:       []float64{0.02, -1},
	InitialBins: []int{5, 10, 20},
	MinBinShare: []float64{0.05, 0.02, 0.01},
	L2:          []float64{10, 1, 0.1},
}

func (o *FitOptions) defaults() {
	if o.BasePoints == 0 {
		o.BasePoints = 600
	}
	if o.BaseOdds == 0 {
		o.BaseOdds = 50
	}
	if o.PDO == 0 {
		o.PDO = 20
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.MonotonicAlpha == 0 {
		o.MonotonicAlpha = 0.01
	}
}

// FitReport describes a fit for the summary table.
type FitReport struct {
	Rows, Bads int
	Intercept  float64
	Iterations int
	Kept       []FeatureReport // in model order
	Dropped    []FeatureReport // with Why
	Train      Metrics         // the fitted card on its own training rows
	CV         CVReport        // cross-validation: the chosen hyper-parameters and held-out AUC
}

// FeatureReport is one feature's line in the summary.
type FeatureReport struct {
	Name        string
	Type        string
	IV          float64
	Coefficient float64
	Bins        int // regular bins, not counting missing/else
	MinPoints   float64
	MaxPoints   float64
	Monotonic   bool        // numeric: WOE is monotonic in the value
	BinDetails  []BinReport // kept features: each bin, then the missing bin
	Why         string      // why it was dropped
}

// BinReport is one bin of a kept feature in the --report output.
type BinReport struct {
	Label  string
	Rows   int
	Bads   int
	WOE    float64
	Points float64
}

// Fit learns a scorecard from a labelled data set: bin every feature (quantiles merged to
// monotonic WOE for numeric, rare categories grouped for categorical, missing values in their
// own bin), drop features below MinIV, regress bad on the bins' WOE, and scale to points:
//
//	factor = PDO/ln2, offset = BasePoints − factor·ln(BaseOdds)
//	points_ij = −(β_j·WOE_ij + α/n)·factor + offset/n
//
// so the points add up to offset + factor·ln(odds good:bad). A feature whose coefficient
// comes out with the wrong sign (its WOE predicting the wrong way once the others are
// accounted for, a symptom of collinearity) is dropped and the regression refitted.
func Fit(d *Dataset, opt FitOptions) (*Scorecard, *FitReport, error) {
	opt.defaults()
	if err := opt.check(d); err != nil {
		return nil, nil, err
	}
	if d.Bads() == 0 || d.Bads() == d.Rows() {
		return nil, nil, ErrOneClass
	}
	cv, err := crossValidate(d, opt)
	if err != nil {
		return nil, nil, err
	}
	opt.Encoding, opt.MinIV, opt.InitialBins, opt.MinBinShare, opt.L2 = cv.Encoding, cv.MinIV, cv.InitialBins, cv.MinBinShare, cv.L2
	s, rep, err := fitOnce(d, opt)
	if err != nil {
		return s, rep, err
	}
	rep.CV = cv
	if rep.Train, _, err = s.EvaluateDataset(d); err != nil {
		return nil, rep, err
	}
	return s, rep, nil
}

// check validates the options against the data before any fitting.
func (opt FitOptions) check(d *Dataset) error {
	switch {
	case !(opt.PDO > 0):
		return fmt.Errorf("pdo must be positive, got %v", opt.PDO)
	case !(opt.BaseOdds > 0):
		return fmt.Errorf("base odds must be positive, got %v", opt.BaseOdds)
	case opt.MinBinShare < 0 || opt.MinBinShare >= 1:
		return fmt.Errorf("min bin share must be in [0, 1), got %v", opt.MinBinShare)
	case opt.InitialBins < 0:
		return fmt.Errorf("bins must be positive, got %d", opt.InitialBins)
	case opt.L2 < 0:
		return fmt.Errorf("l2 must not be negative, got %v", opt.L2)
	case opt.Encoding != "" && opt.Encoding != EncodingWOE && opt.Encoding != EncodingBins:
		return fmt.Errorf("encoding must be %q or %q, got %q", EncodingWOE, EncodingBins, opt.Encoding)
	case opt.Folds < 2:
		return fmt.Errorf("folds must be at least 2, got %d", opt.Folds)
	}
	forceCat, forceNum := set(opt.Categorical), set(opt.Numeric)
	known := map[string]bool{}
	for _, c := range d.Columns {
		known[c.Name] = true
	}
	for _, names := range [][]string{opt.Exclude, opt.Categorical, opt.Numeric} {
		for _, n := range names {
			if !known[n] {
				return fmt.Errorf("column %q not in data", n)
			}
			if forceCat[n] && forceNum[n] {
				return fmt.Errorf("column %q forced both numeric and categorical", n)
			}
		}
	}
	return nil
}

// fitOnce fits with every hyper-parameter fixed.
func fitOnce(d *Dataset, opt FitOptions) (*Scorecard, *FitReport, error) {
	b, err := binFeatures(d, opt)
	if err != nil {
		return nil, nil, err
	}
	return fitBinned(d, b, opt)
}

// binnedSet is the binning stage of a fit: the candidate features and those already dropped.
// It does not depend on L2, so cross-validation bins once per fold for every L2 it tries.
type binnedSet struct {
	candidates []*binnedFeature
	dropped    []FeatureReport
}

func binFeatures(d *Dataset, opt FitOptions) (binnedSet, error) {
	if b := d.Bads(); b == 0 || b == d.Rows() {
		return binnedSet{}, ErrOneClass
	}
	var out binnedSet
	exclude, forceCat, forceNum := set(opt.Exclude), set(opt.Categorical), set(opt.Numeric)
	minCount := max(1, int(math.Ceil(opt.MinBinShare*float64(d.Rows()))))

	for _, c := range d.Columns {
		if exclude[c.Name] {
			continue
		}
		numeric := forceNum[c.Name] || !forceCat[c.Name] && looksNumeric(c.Values)
		var f *binnedFeature
		if numeric {
			f = binNumeric(c.Name, c.Values, d.Bad, opt.InitialBins, minCount, opt.MonotonicAlpha)
		} else {
			f = binCategorical(c.Name, c.Values, d.Bad, minCount)
		}
		switch {
		case len(f.bins) == 0:
			out.dropped = append(out.dropped, FeatureReport{Name: c.Name, Type: f.typ, Why: "all values missing"})
		default:
			out.candidates = append(out.candidates, f)
		}
	}
	return out, nil
}

// fitBinned regresses on the binned features and scales the points (it does not modify b).
func fitBinned(d *Dataset, b binnedSet, opt FitOptions) (*Scorecard, *FitReport, error) {
	rep := &FitReport{Rows: d.Rows(), Bads: d.Bads(), Dropped: append([]FeatureReport(nil), b.dropped...)}
	var candidates []*binnedFeature
	for _, f := range b.candidates {
		if opt.MinIV > 0 && f.iv < opt.MinIV {
			rep.Dropped = append(rep.Dropped, FeatureReport{Name: f.name, Type: f.typ, IV: f.iv, Bins: len(f.bins),
				Why: fmt.Sprintf("IV %.4f below %.4g", f.iv, opt.MinIV)})
			continue
		}
		candidates = append(candidates, f)
	}
	if len(candidates) == 0 {
		return nil, rep, errors.New("no feature left to fit (all dropped, see report)")
	}

	var contrib [][]float64 // per candidate: log-odds of bad per bin, then missing, then else
	var coef []float64      // WOE encoding: the coefficient per candidate
	var intercept float64
	if opt.Encoding == EncodingBins {
		lr, err := fitBinIndicators(d, candidates, opt.L2)
		if err != nil {
			return nil, rep, err
		}
		intercept, rep.Iterations = lr.Intercept, lr.Iterations
		col := 0
		for _, f := range candidates {
			c := make([]float64, len(f.bins)+2)
			for k := range f.bins {
				c[k] = lr.Coef[col]
				col++
			}
			c[len(f.bins)] = lr.Coef[col] // missing
			col++
			if f.hasOther >= 0 {
				c[len(f.bins)+1] = c[f.hasOther]
			}
			contrib = append(contrib, c)
		}
	} else {
		var lr *logisticFit
		for {
			x := make([][]float64, d.Rows())
			for i := range x {
				x[i] = make([]float64, len(candidates))
				for j, f := range candidates {
					x[i][j] = f.rowWOE(i)
				}
			}
			var err error
			if lr, err = fitLogistic(x, d.Bad, opt.L2); err != nil {
				return nil, rep, err
			}
			// With y = bad and WOE = ln(%good/%bad), a useful feature has β < 0.
			worst := -1
			for j, b := range lr.Coef {
				if b >= 0 && (worst < 0 || b > lr.Coef[worst]) {
					worst = j
				}
			}
			if worst < 0 {
				break
			}
			f := candidates[worst]
			rep.Dropped = append(rep.Dropped, FeatureReport{Name: f.name, Type: f.typ, IV: f.iv, Coefficient: lr.Coef[worst], Bins: len(f.bins),
				Why: "coefficient has the wrong sign (collinear with other features)"})
			candidates = append(candidates[:worst], candidates[worst+1:]...)
			if len(candidates) == 0 {
				return nil, rep, errors.New("no feature left to fit (all dropped, see report)")
			}
		}
		intercept, rep.Iterations, coef = lr.Intercept, lr.Iterations, lr.Coef
		for j, f := range candidates {
			c := make([]float64, len(f.bins)+2)
			for k := range f.bins {
				c[k] = coef[j] * f.woes[k]
			}
			c[len(f.bins)] = coef[j] * f.missWOE
			c[len(f.bins)+1] = coef[j] * f.elseWOE
			contrib = append(contrib, c)
		}
	}
	rep.Intercept = intercept

	factor := opt.PDO / math.Ln2
	offset := opt.BasePoints - factor*math.Log(opt.BaseOdds)
	n := float64(len(candidates))
	points := func(c float64) float64 {
		return round(-(c+intercept/n)*factor+offset/n, 2)
	}
	method := "WOE logistic regression"
	if opt.Encoding == EncodingBins {
		method = "logistic regression on bin indicators"
	}
	s := &Scorecard{
		Name: opt.Name,
		Description: fmt.Sprintf("Fitted on %d rows (%d bad): %s (L2 %g), intercept %.6f; points = -(contribution + intercept/n)*factor + offset/n.",
			rep.Rows, rep.Bads, method, opt.L2, intercept),
		BasePoints: opt.BasePoints, BaseOdds: opt.BaseOdds, PDO: opt.PDO,
	}
	for j, f := range candidates {
		c := contrib[j]
		feat := Feature{Name: f.name, Type: f.typ, IV: ptr(round(f.iv, 6))}
		beta := math.NaN()
		if coef != nil {
			beta = coef[j]
			feat.Coefficient = ptr(round(beta, 6))
		}
		fr := FeatureReport{Name: f.name, Type: f.typ, IV: f.iv, Coefficient: beta, Bins: len(f.bins),
			MinPoints: math.Inf(1), MaxPoints: math.Inf(-1), Monotonic: f.monotonic}
		for k, b := range f.bins {
			bin := Bin{Points: points(c[k]), WOE: ptr(round(f.woes[k], 6)), Count: b.rows(), BadRate: badRate(b)}
			if f.typ == TypeNumeric {
				bin.Min, bin.Max = b.lo, b.hi
			} else {
				bin.Values = b.values
				if k == f.hasOther {
					bin.Label = "other"
				}
			}
			feat.Bins = append(feat.Bins, bin)
			fr.BinDetails = append(fr.BinDetails, BinReport{Label: bin.label(f.typ), Rows: b.rows(), Bads: b.bad, WOE: f.woes[k], Points: bin.Points})
			fr.MinPoints, fr.MaxPoints = math.Min(fr.MinPoints, bin.Points), math.Max(fr.MaxPoints, bin.Points)
		}
		feat.Missing = Bin{Points: points(c[len(f.bins)]), WOE: ptr(round(f.missWOE, 6)), Count: f.missing.rows(), BadRate: badRate(f.missing)}
		fr.BinDetails = append(fr.BinDetails, BinReport{Label: "missing", Rows: f.missing.rows(), Bads: f.missing.bad, WOE: f.missWOE, Points: feat.Missing.Points})
		if f.typ == TypeCategorical {
			// Unseen categories score like the rare ones, or neutrally if there were none.
			feat.Else = &Bin{Points: points(c[len(f.bins)+1]), WOE: ptr(round(f.elseWOE, 6))}
		}
		s.Characteristics = append(s.Characteristics, feat)
		rep.Kept = append(rep.Kept, fr)
	}
	if err := s.Validate(); err != nil {
		return nil, rep, fmt.Errorf("fitted scorecard does not validate (bug): %w", err)
	}
	sort.SliceStable(rep.Dropped, func(i, j int) bool { return rep.Dropped[i].Name < rep.Dropped[j].Name })
	return s, rep, nil
}

// looksNumeric reports whether every non-empty value is a finite number (and there is one).
func looksNumeric(values []string) bool {
	any := false
	for _, v := range values {
		if v == "" {
			continue
		}
		x, ok := parseNumber(v)
		if !ok || math.IsInf(x, 0) {
			return false
		}
		any = true
	}
	return any
}

func badRate(b binCount) *float64 {
	if b.rows() == 0 {
		return nil
	}
	return ptr(round(float64(b.bad)/float64(b.rows()), 6))
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func ptr(x float64) *float64 { return &x }

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// fitBinIndicators regresses bad on one indicator per bin of every feature (its regular bins,
// then its missing bin), all under the ridge penalty, so no level needs a reference and rare
// bins shrink toward the average.
func fitBinIndicators(d *Dataset, candidates []*binnedFeature, l2 float64) (*logisticFit, error) {
	width := 0
	for _, f := range candidates {
		width += len(f.bins) + 1
	}
	x := make([][]float64, d.Rows())
	for i := range x {
		x[i] = make([]float64, width)
		col := 0
		for _, f := range candidates {
			switch k := f.row[i]; {
			case k >= 0:
				x[i][col+k] = 1
			case k == -1:
				x[i][col+len(f.bins)] = 1
			case f.hasOther >= 0: // -2: a category the training rows grouped as rare
				x[i][col+f.hasOther] = 1
			}
			col += len(f.bins) + 1
		}
	}
	return fitLogistic(x, d.Bad, l2)
}
