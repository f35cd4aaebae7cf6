package scorecard

import (
	"errors"
	"math"
	"sort"
)

// Metrics measure how well a score separates good from bad; a higher score must mean less risk.
type Metrics struct {
	AUC  float64 // P(a random good scores above a random bad), ties count half
	KS   float64 // max over thresholds of |CDF_bad − CDF_good|
	Gini float64 // 2·AUC − 1
	Rows int
	Bads int
}

// ErrOneClass is returned by Evaluate when the rows are all good or all bad, where AUC and
// KS are undefined.
var ErrOneClass = errors.New("scorecard: need both good and bad rows to evaluate")

// Evaluate computes AUC (rank statistic, ties averaged), KS and Gini of scores against labels.
func Evaluate(scores []float64, bad []bool) (Metrics, error) {
	if len(scores) != len(bad) {
		return Metrics{}, errors.New("scorecard: scores and labels differ in length")
	}
	m := Metrics{Rows: len(scores)}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
		if bad[i] {
			m.Bads++
		}
	}
	goods := m.Rows - m.Bads
	if m.Bads == 0 || goods == 0 {
		return m, ErrOneClass
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })

	// Walk tie groups in ascending score: average rank for AUC, CDFs after each group for KS.
	rankSumGood := 0.0
	cumGood, cumBad := 0, 0
	for start := 0; start < len(idx); {
		end := start
		g, b := 0, 0
		for end < len(idx) && scores[idx[end]] == scores[idx[start]] {
			if bad[idx[end]] {
				b++
			} else {
				g++
			}
			end++
		}
		avgRank := float64(start+1+end) / 2 // ranks start+1 .. end
		rankSumGood += avgRank * float64(g)
		cumGood += g
		cumBad += b
		m.KS = math.Max(m.KS, math.Abs(float64(cumBad)/float64(m.Bads)-float64(cumGood)/float64(goods)))
		start = end
	}
	ng, nb := float64(goods), float64(m.Bads)
	m.AUC = (rankSumGood - ng*(ng+1)/2) / (ng * nb)
	m.Gini = 2*m.AUC - 1
	return m, nil
}

// EvaluateDataset scores every row of d and evaluates the unclamped scores, so clamping at
// 350/950 does not create ties that hide the ranking.
func (s *Scorecard) EvaluateDataset(d *Dataset) (Metrics, []Result, error) {
	results := make([]Result, d.Rows())
	raw := make([]float64, d.Rows())
	for i := range results {
		results[i] = s.Score(d.Record(i))
		raw[i] = results[i].Raw
	}
	m, err := Evaluate(raw, d.Bad)
	return m, results, err
}

// Band is a score range [Lo, Hi) (the last band includes MaxScore) with its rows and bads.
type Band struct {
	Lo, Hi int
	Count  int
	Bads   int
}

// BadRate is Bads/Count, 0 for an empty band.
func (b Band) BadRate() float64 {
	if b.Count == 0 {
		return 0
	}
	return float64(b.Bads) / float64(b.Count)
}

// ScoreBands counts clamped scores in bands of width points from MinScore to MaxScore.
func ScoreBands(scores []int, bad []bool, width int) []Band {
	if width <= 0 {
		width = 50
	}
	var bands []Band
	for lo := MinScore; lo < MaxScore; lo += width {
		bands = append(bands, Band{Lo: lo, Hi: min(lo+width, MaxScore)})
	}
	for i, s := range scores {
		k := (min(max(s, MinScore), MaxScore-1) - MinScore) / width
		bands[k].Count++
		if bad[i] {
			bands[k].Bads++
		}
	}
	return bands
}
