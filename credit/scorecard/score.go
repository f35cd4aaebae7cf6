package scorecard

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Record is one applicant's features by name; a missing key or "" is a missing value.
// Numeric features are decimal strings ("12000.00", "36"); booleans "true"/"false";
// categories as is.
type Record map[string]string

// Result is a scored record.
type Result struct {
	Score   int     // sum of points, rounded and clamped to [MinScore, MaxScore]
	Raw     float64 // unclamped sum
	Reasons []Reason
}

// Reason is a feature that cost points against its best bin.
type Reason struct {
	Feature   string
	Bin       string  // label of the bin the record fell in
	Points    float64 // points earned
	Shortfall float64 // best bin's points minus Points, > 0
	Code      string  // stable UPPER_SNAKE code
}

// MaxReasons caps Result.Reasons.
const MaxReasons = 4

// Binning labels for the special bins.
const (
	MissingLabel = "missing"
	ElseLabel    = "else"
)

// Score adds up the points of every feature's bin. A value that is absent, empty, or (for a
// numeric feature) not a number falls in the missing bin; a category no bin lists falls in
// the else bin, or scores zero if there is none. Reasons are the features with the largest
// shortfall against their best bin, worst first (ties by feature order), at most MaxReasons.
func (s *Scorecard) Score(r Record) Result {
	raw := s.InterceptPoints
	// Keep the worst MaxReasons by insertion; labels are only formatted for those.
	type shortfall struct {
		feature *Feature
		bin     *Bin
		kind    binKind
		points  float64
		amount  float64
	}
	var top [MaxReasons]shortfall
	n := 0
	for i := range s.Characteristics {
		f := &s.Characteristics[i]
		b, kind := f.lookup(r[f.Name])
		points := 0.0
		if b != nil {
			points = b.Points
		}
		raw += points
		amount := f.BestPoints() - points
		if amount <= 0 || n == MaxReasons && amount <= top[n-1].amount {
			continue
		}
		j := min(n, MaxReasons-1)
		for j > 0 && top[j-1].amount < amount {
			top[j] = top[j-1]
			j--
		}
		top[j] = shortfall{f, b, kind, points, amount}
		n = min(n+1, MaxReasons)
	}
	res := Result{Score: Clamp(raw), Raw: raw}
	if n > 0 {
		res.Reasons = make([]Reason, n)
		for i, sf := range top[:n] {
			res.Reasons[i] = Reason{Feature: sf.feature.Name, Bin: sf.feature.binLabel(sf.bin, sf.kind),
				Points: sf.points, Shortfall: sf.amount, Code: sf.feature.Code()}
		}
	}
	return res
}

// Clamp rounds a raw score half away from zero and clamps it to [MinScore, MaxScore].
func Clamp(raw float64) int {
	switch {
	case math.IsNaN(raw) || raw <= MinScore:
		return MinScore
	case raw >= MaxScore:
		return MaxScore
	}
	return int(math.Round(raw))
}

// Points returns the points and bin label for one raw value of the feature.
func (f *Feature) Points(value string) (float64, string) {
	b, label := f.Lookup(value)
	if b == nil {
		return 0, label
	}
	return b.Points, label
}

// Lookup returns the bin a raw value falls in and its label; the bin is nil for an unlisted
// category when the feature has no else bin.
func (f *Feature) Lookup(value string) (*Bin, string) {
	b, kind := f.lookup(value)
	return b, f.binLabel(b, kind)
}

type binKind uint8

const (
	regularBin binKind = iota
	missingBin
	elseBin
)

func (f *Feature) lookup(value string) (*Bin, binKind) {
	value = strings.TrimSpace(value)
	if value == "" {
		return &f.Missing, missingBin
	}
	if f.Type == TypeNumeric {
		x, ok := parseNumber(value)
		if !ok {
			return &f.Missing, missingBin
		}
		// Bins are ascending and gap-free, so the first whose upper bound exceeds x holds it.
		i := sort.Search(len(f.Bins), func(i int) bool { return f.Bins[i].Max == nil || x < *f.Bins[i].Max })
		if i == len(f.Bins) {
			i = len(f.Bins) - 1 // only reachable for an unvalidated card
		}
		return &f.Bins[i], regularBin
	}
	for i := range f.Bins {
		for _, v := range f.Bins[i].Values {
			if v == value {
				return &f.Bins[i], regularBin
			}
		}
	}
	if f.Else != nil {
		return f.Else, elseBin
	}
	return nil, elseBin
}

func (f *Feature) binLabel(b *Bin, kind binKind) string {
	switch kind {
	case missingBin:
		return MissingLabel
	case elseBin:
		return ElseLabel
	}
	return b.label(f.Type)
}

// BestPoints is the most points any bin of the feature gives, including missing and else.
func (f *Feature) BestPoints() float64 {
	best := f.Missing.Points
	for _, b := range f.Bins {
		best = math.Max(best, b.Points)
	}
	if f.Type == TypeCategorical {
		elsePoints := 0.0
		if f.Else != nil {
			elsePoints = f.Else.Points
		}
		best = math.Max(best, elsePoints)
	}
	return best
}

// Code is the feature's reason code: ReasonCode if set, else the name in UPPER_SNAKE.
func (f *Feature) Code() string {
	if f.ReasonCode != "" {
		return f.ReasonCode
	}
	return UpperSnake(f.Name)
}

// UpperSnake turns a feature name into a reason code: "monthly_income" -> "MONTHLY_INCOME",
// "maxDPD 24m" -> "MAXDPD_24M". Runs of other characters become one underscore.
func UpperSnake(name string) string {
	var b strings.Builder
	pendingUnderscore := false
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if pendingUnderscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			pendingUnderscore = false
			b.WriteRune(r)
			continue
		}
		pendingUnderscore = true
	}
	code := b.String()
	if code == "" || code[0] >= '0' && code[0] <= '9' {
		code = "F_" + code
	}
	return code
}

// Odds converts a (raw) score back to the odds good:bad implied by the scaling.
func (s *Scorecard) Odds(score float64) float64 {
	return s.BaseOdds * math.Exp2((score-s.BasePoints)/s.PDO)
}

// BadProbability is the probability of a bad outcome implied by the scaling at a score.
func (s *Scorecard) BadProbability(score float64) float64 {
	return 1 / (1 + s.Odds(score))
}

// parseNumber accepts decimal strings; NaN counts as missing.
func parseNumber(s string) (float64, bool) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}

func (b *Bin) label(typ string) string {
	if b.Label != "" {
		return b.Label
	}
	if typ == TypeNumeric {
		return rangeLabel(b.Min, b.Max)
	}
	return strings.Join(b.Values, ",")
}

func rangeLabel(lo, hi *float64) string {
	l, h := "-inf", "+inf"
	if lo != nil {
		l = strconv.FormatFloat(*lo, 'g', -1, 64)
	}
	if hi != nil {
		h = strconv.FormatFloat(*hi, 'g', -1, 64)
	}
	return "[" + l + ", " + h + ")"
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
