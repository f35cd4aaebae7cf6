package scorecard

import (
	"errors"
	"math/rand/v2"
)

// CVReport is what cross-validation chose and how well the choice did on held-out folds.
type CVReport struct {
	Folds       int
	AUC         float64 // mean held-out AUC over the folds of the chosen hyper-parameters
	Encoding    string
	MinIV       float64 // −1: every feature kept
	InitialBins int
	MinBinShare float64
	L2          float64
	Tried       []CVResult // every grid point, in search order
}

// CVResult is one grid point's mean held-out AUC.
type CVResult struct {
	Encoding    string
	MinIV       float64
	InitialBins int
	MinBinShare float64
	L2          float64
	AUC         float64
}

// crossValidate picks InitialBins, MinBinShare and L2 (those FitOptions leaves zero) by
// stratified k-fold cross-validation: each grid point is fitted on k−1 folds and scored on the
// held-out one, binning included, so no bin edge or WOE sees its own validation rows. The
// point with the highest mean AUC wins; Grid lists the simpler models first and a later point
// must beat an earlier one by more than cvTieAUC, so near-ties keep the simpler model. With
// every value given it still reports that choice's cross-validated AUC.
func crossValidate(d *Dataset, opt FitOptions) (CVReport, error) {
	ivs, bins, shares, l2s := Grid.MinIV, Grid.InitialBins, Grid.MinBinShare, Grid.L2
	if opt.MinIV != 0 {
		ivs = []float64{opt.MinIV}
	}
	encs := Grid.Encoding
	if opt.Encoding != "" {
		encs = []string{opt.Encoding}
	}
	if opt.InitialBins > 0 {
		bins = []int{opt.InitialBins}
	}
	if opt.MinBinShare > 0 {
		shares = []float64{opt.MinBinShare}
	}
	if opt.L2 > 0 {
		l2s = []float64{opt.L2}
	}
	// Small data sets repeat the k-fold split with other seeds: one split of a few hundred
	// rows ranks the grid points mostly by noise.
	repeats := min(max(1, cvRepeatRows/max(d.Rows(), 1)), 5)
	var trains, tests []*Dataset
	for r := range repeats {
		folds := stratifiedFolds(d.Bad, opt.Folds, opt.Seed+uint64(r))
		for k := range opt.Folds {
			var in, out []int
			for i := range folds {
				if folds[i] == k {
					out = append(out, i)
				} else {
					in = append(in, i)
				}
			}
			train, test := d.subset(in), d.subset(out)
			if b := test.Bads(); b == 0 || b == test.Rows() {
				return CVReport{}, errors.New("cross-validation: too few bad or good rows for the folds (lower --folds)")
			}
			trains, tests = append(trains, train), append(tests, test)
		}
	}
	rep := CVReport{Folds: opt.Folds, AUC: -1}
	for _, b := range bins {
		for _, s := range shares {
			o := opt
			o.InitialBins, o.MinBinShare = b, s
			type point struct {
				enc string
				iv  float64
				l2  float64
			}
			var points []point
			for _, e := range encs {
				for _, iv := range ivs {
					for _, l2 := range l2s {
						points = append(points, point{e, iv, l2})
					}
				}
			}
			sums := make([]float64, len(points))
			for k := range trains {
				set, err := binFeatures(trains[k], o)
				for i, p := range points {
					o.Encoding, o.MinIV, o.L2 = p.enc, p.iv, p.l2
					sums[i] += heldOutAUC(trains[k], tests[k], set, err, o)
				}
			}
			for i, p := range points {
				auc := sums[i] / float64(len(trains))
				rep.Tried = append(rep.Tried, CVResult{Encoding: p.enc, MinIV: p.iv, InitialBins: b, MinBinShare: s, L2: p.l2, AUC: auc})
				if auc > rep.AUC+cvTieAUC {
					rep.AUC, rep.Encoding, rep.MinIV, rep.InitialBins, rep.MinBinShare, rep.L2 = auc, p.enc, p.iv, b, s, p.l2
				}
			}
		}
	}
	return rep, nil
}

// cvTieAUC is how much better a richer grid point must do to replace a simpler one: fold
// AUCs on small data differ by more than this from noise alone.
const cvTieAUC = 0.0005

// cvRepeatRows: data sets under this many rows repeat cross-validation cvRepeatRows/rows
// times (at most 5), so every grid point is judged on about this many held-out predictions.
const cvRepeatRows = 3000

// heldOutAUC fits on train and returns the AUC on test; a fit that fails (every feature
// dropped, say) ranks nothing and counts as 0.5.
func heldOutAUC(train, test *Dataset, set binnedSet, binErr error, opt FitOptions) float64 {
	if binErr != nil {
		return 0.5
	}
	s, _, err := fitBinned(train, set, opt)
	if err != nil {
		return 0.5
	}
	m, err := Evaluate(s.rawScores(test), test.Bad)
	if err != nil {
		return 0.5
	}
	return m.AUC
}

// rawScores is every row's unclamped score, without the reasons Score formats.
func (s *Scorecard) rawScores(d *Dataset) []float64 {
	scores := make([]float64, d.Rows())
	for i := range scores {
		scores[i] = s.InterceptPoints
	}
	for fi := range s.Characteristics {
		f := &s.Characteristics[fi]
		var col []string
		for _, c := range d.Columns {
			if c.Name == f.Name {
				col = c.Values
			}
		}
		for i := range scores {
			v := ""
			if col != nil {
				v = col[i]
			}
			if b, _ := f.lookup(v); b != nil {
				scores[i] += b.Points
			}
		}
	}
	return scores
}

// stratifiedFolds assigns every row a fold 0..k−1 so each fold has the same share of bad
// rows (±1): bads and goods are shuffled separately with the seed and dealt round-robin.
func stratifiedFolds(bad []bool, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x5c0e))
	var bads, goods []int
	for i, b := range bad {
		if b {
			bads = append(bads, i)
		} else {
			goods = append(goods, i)
		}
	}
	fold := make([]int, len(bad))
	next := 0
	for _, group := range [][]int{bads, goods} {
		rng.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		for _, i := range group {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// subset is the data set restricted to rows idx, in that order.
func (d *Dataset) subset(idx []int) *Dataset {
	out := &Dataset{Columns: make([]Column, len(d.Columns)), Bad: make([]bool, len(idx))}
	for j, c := range d.Columns {
		out.Columns[j] = Column{Name: c.Name, Values: make([]string, len(idx))}
		for n, i := range idx {
			out.Columns[j].Values[n] = c.Values[i]
		}
	}
	for n, i := range idx {
		out.Bad[n] = d.Bad[i]
	}
	return out
}
