package scorecard

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Smoothing is added to the good and bad count of every non-empty bin before taking the WOE,
// so a bin with no goods or no bads gets a large but finite WOE instead of ±Inf.
const Smoothing = 0.5

// WOE is the weight of evidence of a bin with good and bad rows out of totalGood and
// totalBad: ln(%good / %bad) with Smoothing added to both counts. Positive = safer than
// average. An empty bin carries no evidence and has WOE 0.
func WOE(good, bad, totalGood, totalBad int) float64 {
	if good+bad == 0 || totalGood == 0 || totalBad == 0 {
		return 0
	}
	pg := (float64(good) + Smoothing) / float64(totalGood)
	pb := (float64(bad) + Smoothing) / float64(totalBad)
	return math.Log(pg / pb)
}

// InformationValue returns each bin's WOE and the feature's IV, Σ (%good − %bad)·WOE over the
// bins (with the same smoothing as WOE; empty bins contribute nothing).
func InformationValue(goods, bads []int) (woes []float64, iv float64) {
	totalGood, totalBad := 0, 0
	for i := range goods {
		totalGood += goods[i]
		totalBad += bads[i]
	}
	woes = make([]float64, len(goods))
	for i := range goods {
		if goods[i]+bads[i] == 0 || totalGood == 0 || totalBad == 0 {
			continue
		}
		woes[i] = WOE(goods[i], bads[i], totalGood, totalBad)
		pg := (float64(goods[i]) + Smoothing) / float64(totalGood)
		pb := (float64(bads[i]) + Smoothing) / float64(totalBad)
		iv += (pg - pb) * woes[i]
	}
	return woes, iv
}

// binCount is a bin under construction: a numeric range [lo, hi) or a category set.
type binCount struct {
	lo, hi    *float64
	values    []string
	good, bad int
}

func (b binCount) rows() int { return b.good + b.bad }

func merge(a, b binCount) binCount {
	return binCount{lo: a.lo, hi: b.hi, values: append(append([]string(nil), a.values...), b.values...),
		good: a.good + b.good, bad: a.bad + b.bad}
}

// binnedFeature is a feature after binning: bins, the missing bin and each row's bin.
type binnedFeature struct {
	name, typ string
	bins      []binCount
	missing   binCount
	hasOther  int  // index of the rare-category bin, -1 if none
	monotonic bool // numeric: WOE moves one way with the value
	woes      []float64
	missWOE   float64
	elseWOE   float64
	iv        float64
	row       []int // bin index per row, -1 = missing, -2 = else
}

// rowWOE is the WOE of the bin row i falls in.
func (f *binnedFeature) rowWOE(i int) float64 {
	switch j := f.row[i]; j {
	case -1:
		return f.missWOE
	case -2:
		return f.elseWOE
	default:
		return f.woes[j]
	}
}

func (f *binnedFeature) computeWOE() {
	goods := make([]int, 0, len(f.bins)+1)
	bads := make([]int, 0, len(f.bins)+1)
	for _, b := range f.bins {
		goods, bads = append(goods, b.good), append(bads, b.bad)
	}
	goods, bads = append(goods, f.missing.good), append(bads, f.missing.bad)
	// The missing bin is included, so the sums InformationValue takes are the data set totals.
	woes, iv := InformationValue(goods, bads)
	f.woes, f.missWOE, f.iv = woes[:len(f.bins)], woes[len(f.bins)], iv
	f.elseWOE = 0
	if f.hasOther >= 0 {
		f.elseWOE = f.woes[f.hasOther]
	}
}

// binNumeric cuts the non-missing values at quantiles into initialBins bins, merges bins below
// minCount rows into their smaller neighbour, then merges adjacent bins until WOE is monotonic
// in whichever direction keeps the most information value. Monotonicity is a prior, not a
// rule: when a likelihood-ratio test rejects it at level alpha (the free bins explain the bad
// rate significantly better), the free bins stay. A negative alpha always merges.
func binNumeric(name string, values []string, bad []bool, initialBins, minCount int, alpha float64) *binnedFeature {
	f := &binnedFeature{name: name, typ: TypeNumeric, hasOther: -1, row: make([]int, len(values))}
	type point struct {
		x   float64
		bad bool
	}
	var pts []point
	totalGood, totalBad := 0, 0
	for i, v := range values {
		if bad[i] {
			totalBad++
		} else {
			totalGood++
		}
		x, ok := parseNumber(v)
		if !ok {
			f.row[i] = -1
			if bad[i] {
				f.missing.bad++
			} else {
				f.missing.good++
			}
			continue
		}
		pts = append(pts, point{x, bad[i]})
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].x < pts[j].x })

	// Quantile cut points, each a data value strictly above the smallest.
	var cuts []float64
	for k := 1; k < initialBins && len(pts) > 0; k++ {
		c := pts[k*len(pts)/initialBins].x
		if c > pts[0].x && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
			cuts = append(cuts, c)
		}
	}
	bins := make([]binCount, len(cuts)+1)
	for i := range bins {
		if i > 0 {
			bins[i].lo = &cuts[i-1]
		}
		if i < len(cuts) {
			bins[i].hi = &cuts[i]
		}
	}
	j := 0
	for _, p := range pts {
		for j < len(cuts) && p.x >= cuts[j] {
			j++
		}
		if p.bad {
			bins[j].bad++
		} else {
			bins[j].good++
		}
	}

	bins = mergeSmall(bins, minCount)
	best, bestIV := bins, math.Inf(-1)
	for _, dir := range []float64{1, -1} {
		cand := mergeMonotonic(append([]binCount(nil), bins...), dir, totalGood, totalBad)
		f.bins = cand
		f.computeWOE()
		if f.iv > bestIV+1e-12 {
			best, bestIV = cand, f.iv
		}
	}
	f.bins, f.monotonic = best, true
	if alpha > 0 && len(bins) > len(best) && monotonicRejected(bins, best, alpha) {
		f.bins, f.monotonic = bins, false
	}
	f.computeWOE()
	for i, v := range values {
		if f.row[i] == -1 {
			continue
		}
		x, _ := parseNumber(v)
		f.row[i] = sort.Search(len(f.bins), func(k int) bool { return f.bins[k].hi == nil || x < *f.bins[k].hi })
	}
	return f
}

// mergeSmall merges the smallest bin under minCount rows into its smaller neighbour until
// every bin has minCount rows or one bin is left.
func mergeSmall(bins []binCount, minCount int) []binCount {
	for len(bins) > 1 {
		small := -1
		for i, b := range bins {
			if b.rows() < minCount && (small < 0 || b.rows() < bins[small].rows()) {
				small = i
			}
		}
		if small < 0 {
			break
		}
		left := small - 1
		if left < 0 || small+1 < len(bins) && bins[small+1].rows() < bins[left].rows() {
			left = small
		}
		bins = mergeAt(bins, left)
	}
	return bins
}

// mergeMonotonic merges adjacent bins until WOE moves only in direction dir (+1 rising with the
// value, -1 falling). Of the violating pairs it merges the one with the smallest WOE step, which
// loses the least separation.
func mergeMonotonic(bins []binCount, dir float64, totalGood, totalBad int) []binCount {
	for len(bins) > 1 {
		worst, worstStep := -1, 0.0
		for i := 0; i+1 < len(bins); i++ {
			step := dir * (WOE(bins[i+1].good, bins[i+1].bad, totalGood, totalBad) - WOE(bins[i].good, bins[i].bad, totalGood, totalBad))
			if step < 0 && (worst < 0 || -step < worstStep) {
				worst, worstStep = i, -step
			}
		}
		if worst < 0 {
			break
		}
		bins = mergeAt(bins, worst)
	}
	return bins
}

// mergeAt merges bins i and i+1.
func mergeAt(bins []binCount, i int) []binCount {
	bins[i] = merge(bins[i], bins[i+1])
	return append(bins[:i+1], bins[i+2:]...)
}

// binCategorical gives every category with at least minCount rows its own bin and groups the
// rest into one "other" bin, which also scores categories unseen in training.
func binCategorical(name string, values []string, bad []bool, minCount int) *binnedFeature {
	f := &binnedFeature{name: name, typ: TypeCategorical, hasOther: -1, row: make([]int, len(values))}
	counts := map[string]*binCount{}
	totalGood, totalBad := 0, 0
	for i, v := range values {
		if bad[i] {
			totalBad++
		} else {
			totalGood++
		}
		b := &f.missing
		if v != "" {
			if counts[v] == nil {
				counts[v] = &binCount{values: []string{v}}
			}
			b = counts[v]
		}
		if bad[i] {
			b.bad++
		} else {
			b.good++
		}
	}
	cats := make([]string, 0, len(counts))
	for c := range counts {
		cats = append(cats, c)
	}
	// Most frequent first; name breaks ties so the output is deterministic.
	sort.Slice(cats, func(i, j int) bool {
		ri, rj := counts[cats[i]].rows(), counts[cats[j]].rows()
		if ri != rj {
			return ri > rj
		}
		return cats[i] < cats[j]
	})
	var other binCount
	for _, c := range cats {
		if counts[c].rows() >= minCount {
			f.bins = append(f.bins, *counts[c])
		} else {
			other = merge(other, *counts[c])
		}
	}
	if len(other.values) > 0 {
		sort.Strings(other.values)
		f.hasOther = len(f.bins)
		f.bins = append(f.bins, other)
	}
	index := map[string]int{}
	for i, b := range f.bins {
		for _, v := range b.values {
			index[v] = i
		}
	}
	for i, v := range values {
		if v == "" {
			f.row[i] = -1
		} else {
			f.row[i] = index[v]
		}
	}
	f.computeWOE()
	return f
}

// monotonicRejected tests the monotonic bins (merges of the free ones, so nested) against the
// free bins: twice the log-likelihood gain of the free bins' bad rates is χ² with one degree
// of freedom per merged-away bin under the monotonic hypothesis.
func monotonicRejected(free, mono []binCount, alpha float64) bool {
	stat := 2 * (binLogLik(free) - binLogLik(mono))
	df := float64(len(free) - len(mono))
	return stat > 0 && 1-distuv.ChiSquared{K: df}.CDF(stat) < alpha
}

// binLogLik is the Bernoulli log-likelihood of the rows when each bin predicts its own bad rate.
func binLogLik(bins []binCount) float64 {
	ll := 0.0
	for _, b := range bins {
		n := float64(b.rows())
		if b.bad > 0 {
			ll += float64(b.bad) * math.Log(float64(b.bad)/n)
		}
		if b.good > 0 {
			ll += float64(b.good) * math.Log(float64(b.good)/n)
		}
	}
	return ll
}
