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

	MinIV       float64 // features with a lower IV are dropped; default 0.02, negative = keep all
	InitialBins int     // quantile bins before merging; default 20
	MinBinShare float64 // minimum share of all rows per bin (and per category); default 0.05
	L2          float64 // ridge penalty λ on the coefficients; default 1
	Name        string  // model name written to the JSON
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
	if o.MinIV == 0 {
		o.MinIV = 0.02
	}
	if o.InitialBins == 0 {
		o.InitialBins = 20
	}
	if o.MinBinShare == 0 {
		o.MinBinShare = 0.05
	}
	if o.L2 == 0 {
		o.L2 = 1
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
	Why         string // why it was dropped
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
	switch {
	case !(opt.PDO > 0):
		return nil, nil, fmt.Errorf("pdo must be positive, got %v", opt.PDO)
	case !(opt.BaseOdds > 0):
		return nil, nil, fmt.Errorf("base odds must be positive, got %v", opt.BaseOdds)
	case opt.MinBinShare < 0 || opt.MinBinShare >= 1:
		return nil, nil, fmt.Errorf("min bin share must be in [0, 1), got %v", opt.MinBinShare)
	}
	rep := &FitReport{Rows: d.Rows(), Bads: d.Bads()}
	if rep.Bads == 0 || rep.Bads == rep.Rows {
		return nil, nil, ErrOneClass
	}
	exclude, forceCat, forceNum := set(opt.Exclude), set(opt.Categorical), set(opt.Numeric)
	known := map[string]bool{}
	for _, c := range d.Columns {
		known[c.Name] = true
	}
	for _, names := range [][]string{opt.Exclude, opt.Categorical, opt.Numeric} {
		for _, n := range names {
			if !known[n] {
				return nil, nil, fmt.Errorf("column %q not in data", n)
			}
			if forceCat[n] && forceNum[n] {
				return nil, nil, fmt.Errorf("column %q forced both numeric and categorical", n)
			}
		}
	}
	minCount := max(1, int(math.Ceil(opt.MinBinShare*float64(d.Rows()))))

	var candidates []*binnedFeature
	for _, c := range d.Columns {
		if exclude[c.Name] {
			continue
		}
		numeric := forceNum[c.Name] || !forceCat[c.Name] && looksNumeric(c.Values)
		var f *binnedFeature
		if numeric {
			f = binNumeric(c.Name, c.Values, d.Bad, opt.InitialBins, minCount)
		} else {
			f = binCategorical(c.Name, c.Values, d.Bad, minCount)
		}
		switch {
		case len(f.bins) == 0:
			rep.Dropped = append(rep.Dropped, FeatureReport{Name: c.Name, Type: f.typ, Why: "all values missing"})
		case opt.MinIV > 0 && f.iv < opt.MinIV:
			rep.Dropped = append(rep.Dropped, FeatureReport{Name: c.Name, Type: f.typ, IV: f.iv, Bins: len(f.bins),
				Why: fmt.Sprintf("IV %.4f below %.4g", f.iv, opt.MinIV)})
		default:
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 {
		return nil, rep, errors.New("no feature left to fit (all dropped, see report)")
	}

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
	rep.Intercept, rep.Iterations = lr.Intercept, lr.Iterations

	factor := opt.PDO / math.Ln2
	offset := opt.BasePoints - factor*math.Log(opt.BaseOdds)
	n := float64(len(candidates))
	points := func(beta, woe float64) float64 {
		return round(-(beta*woe+lr.Intercept/n)*factor+offset/n, 2)
	}
	s := &Scorecard{
		Name: opt.Name,
		Description: fmt.Sprintf("Fitted on %d rows (%d bad): WOE logistic regression (L2 %g), intercept %.6f; points = -(beta*woe + intercept/n)*factor + offset/n.",
			rep.Rows, rep.Bads, opt.L2, lr.Intercept),
		BasePoints: opt.BasePoints, BaseOdds: opt.BaseOdds, PDO: opt.PDO,
	}
	for j, f := range candidates {
		beta := lr.Coef[j]
		feat := Feature{Name: f.name, Type: f.typ, IV: ptr(round(f.iv, 6)), Coefficient: ptr(round(beta, 6))}
		fr := FeatureReport{Name: f.name, Type: f.typ, IV: f.iv, Coefficient: beta, Bins: len(f.bins),
			MinPoints: math.Inf(1), MaxPoints: math.Inf(-1)}
		for k, b := range f.bins {
			bin := Bin{Points: points(beta, f.woes[k]), WOE: ptr(round(f.woes[k], 6)), Count: b.rows(), BadRate: badRate(b)}
			if f.typ == TypeNumeric {
				bin.Min, bin.Max = b.lo, b.hi
			} else {
				bin.Values = b.values
				if k == f.hasOther {
					bin.Label = "other"
				}
			}
			feat.Bins = append(feat.Bins, bin)
			fr.MinPoints, fr.MaxPoints = math.Min(fr.MinPoints, bin.Points), math.Max(fr.MaxPoints, bin.Points)
		}
		feat.Missing = Bin{Points: points(beta, f.missWOE), WOE: ptr(round(f.missWOE, 6)), Count: f.missing.rows(), BadRate: badRate(f.missing)}
		if f.typ == TypeCategorical {
			// Unseen categories score like the rare ones, or neutrally if there were none.
			feat.Else = &Bin{Points: points(beta, f.elseWOE), WOE: ptr(round(f.elseWOE, 6))}
		}
		s.Characteristics = append(s.Characteristics, feat)
		rep.Kept = append(rep.Kept, fr)
	}
	if err := s.Validate(); err != nil {
		return nil, rep, fmt.Errorf("fitted scorecard does not validate (bug): %w", err)
	}
	m, _, err := s.EvaluateDataset(d)
	if err != nil {
		return nil, rep, err
	}
	rep.Train = m
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
