package scorecard

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
)

// MinScore and MaxScore bound every score (the Sesame-credit range).
const MinScore, MaxScore = 350, 950

// Feature types.
const (
	TypeNumeric     = "numeric"
	TypeCategorical = "categorical"
)

// ErrInvalid is wrapped by every error Validate (and so Load and Parse) returns for a
// well-formed JSON document that is not a usable scorecard.
var ErrInvalid = errors.New("scorecard: invalid")

// Scorecard is the JSON-serialisable model. A record's score is InterceptPoints plus the points
// of the bin each feature falls in. BasePoints, BaseOdds and PDO state the scaling: at score
// BasePoints the odds good:bad are BaseOdds, and every PDO points doubles them.
type Scorecard struct {
	Name            string  `json:"name,omitempty"`
	Description     string  `json:"description,omitempty"`
	BasePoints      float64 `json:"base_points"`
	BaseOdds        float64 `json:"base_odds"`
	PDO             float64 `json:"pdo"`
	InterceptPoints float64 `json:"intercept_points,omitempty"`
	// Characteristics are the scored features (JSON "features"); the field is not called
	// Features because that name is the method listing their names.
	Characteristics []Feature `json:"features"`
}

// Feature is one scored field with its bins.
type Feature struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	ReasonCode string `json:"reason_code,omitempty"`
	// Fitted statistics, informational only.
	IV          *float64 `json:"iv,omitempty"`
	Coefficient *float64 `json:"coefficient,omitempty"`

	Bins    []Bin `json:"bins"`
	Missing Bin   `json:"missing"`
	// Else scores categories no bin lists; absent means neutral (zero) points.
	Else *Bin `json:"else,omitempty"`
}

// Bin is a numeric range [Min, Max) (nil = unbounded) or, for categorical features, a value set.
type Bin struct {
	Label  string   `json:"label,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Values []string `json:"values,omitempty"`
	Points float64  `json:"points"`
	WOE    *float64 `json:"woe,omitempty"`
	// Count of training rows and bad rate in the bin, informational only.
	Count   int      `json:"count,omitempty"`
	BadRate *float64 `json:"bad_rate,omitempty"`
}

// MarshalJSON writes numeric bins with explicit null bounds (null = unbounded), which reads
// better than an absent key; categorical, missing and else bins carry no bounds at all.
func (f Feature) MarshalJSON() ([]byte, error) {
	type plain Feature
	if f.Type != TypeNumeric {
		return json.Marshal(plain(f))
	}
	type numericBin struct {
		Label   string   `json:"label,omitempty"`
		Min     *float64 `json:"min"`
		Max     *float64 `json:"max"`
		Points  float64  `json:"points"`
		WOE     *float64 `json:"woe,omitempty"`
		Count   int      `json:"count,omitempty"`
		BadRate *float64 `json:"bad_rate,omitempty"`
	}
	bins := make([]numericBin, len(f.Bins))
	for i, b := range f.Bins {
		bins[i] = numericBin{Label: b.Label, Min: b.Min, Max: b.Max, Points: b.Points, WOE: b.WOE, Count: b.Count, BadRate: b.BadRate}
	}
	return json.Marshal(struct {
		plain
		Bins []numericBin `json:"bins"`
	}{plain(f), bins})
}

// Load reads and validates a scorecard file.
func Load(path string) (*Scorecard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates a scorecard. Unknown fields are rejected so a typo such as
// "point" is not silently read as zero points.
func Parse(data []byte) (*Scorecard, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var s Scorecard
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scorecard: decode: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("scorecard: decode: trailing data after the scorecard object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var reasonCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Validate checks the scaling parameters and every feature: a known type, numeric bins that
// are ascending, non-overlapping and gap-free from -inf to +inf, categorical bins with no
// duplicated value, finite points. The error names the offending feature and bin.
func (s *Scorecard) Validate() error {
	invalid := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	if !(s.PDO > 0) || math.IsInf(s.PDO, 0) {
		return invalid("pdo must be a positive number, got %v", s.PDO)
	}
	if !(s.BaseOdds > 0) || math.IsInf(s.BaseOdds, 0) {
		return invalid("base_odds must be a positive number, got %v", s.BaseOdds)
	}
	if !finite(s.BasePoints) {
		return invalid("base_points must be finite, got %v", s.BasePoints)
	}
	if !finite(s.InterceptPoints) {
		return invalid("intercept_points must be finite, got %v", s.InterceptPoints)
	}
	if len(s.Characteristics) == 0 {
		return invalid("no features")
	}
	seen := make(map[string]bool, len(s.Characteristics))
	for i := range s.Characteristics {
		f := &s.Characteristics[i]
		if strings.TrimSpace(f.Name) == "" {
			return invalid("feature #%d: empty name", i+1)
		}
		if seen[f.Name] {
			return invalid("feature %q: defined twice", f.Name)
		}
		seen[f.Name] = true
		if err := f.validate(); err != nil {
			return invalid("feature %q: %v", f.Name, err)
		}
	}
	return nil
}

func (f *Feature) validate() error {
	if f.ReasonCode != "" && !reasonCodePattern.MatchString(f.ReasonCode) {
		return fmt.Errorf("reason_code %q is not UPPER_SNAKE", f.ReasonCode)
	}
	if len(f.Bins) == 0 {
		return errors.New("no bins")
	}
	if !finite(f.Missing.Points) {
		return fmt.Errorf("missing bin: points must be finite, got %v", f.Missing.Points)
	}
	if f.Missing.Min != nil || f.Missing.Max != nil || len(f.Missing.Values) > 0 {
		return errors.New("missing bin: must not have min, max or values")
	}
	for i, b := range f.Bins {
		if !finite(b.Points) {
			return fmt.Errorf("bin %d (%s): points must be finite, got %v", i+1, b.label(f.Type), b.Points)
		}
	}
	switch f.Type {
	case TypeNumeric:
		return f.validateNumeric()
	case TypeCategorical:
		return f.validateCategorical()
	case "":
		return errors.New(`missing type (want "numeric" or "categorical")`)
	default:
		return fmt.Errorf(`unknown type %q (want "numeric" or "categorical")`, f.Type)
	}
}

func (f *Feature) validateNumeric() error {
	if f.Else != nil {
		return errors.New("else bin is only for categorical features")
	}
	for i, b := range f.Bins {
		name := fmt.Sprintf("bin %d (%s)", i+1, b.label(TypeNumeric))
		if len(b.Values) > 0 {
			return fmt.Errorf("%s: numeric bin must not have values", name)
		}
		if b.Min != nil && !finite(*b.Min) || b.Max != nil && !finite(*b.Max) {
			return fmt.Errorf("%s: bounds must be finite (use null for unbounded)", name)
		}
		if b.Min != nil && b.Max != nil && !(*b.Min < *b.Max) {
			return fmt.Errorf("%s: min must be below max", name)
		}
		if i == 0 && b.Min != nil {
			return fmt.Errorf("%s: first bin must start at -inf (min null) so the ranges cover the real line", name)
		}
		if i == len(f.Bins)-1 && b.Max != nil {
			return fmt.Errorf("%s: last bin must end at +inf (max null) so the ranges cover the real line", name)
		}
		if i > 0 && b.Min == nil {
			return fmt.Errorf("%s: only the first bin may start at -inf (bins overlap)", name)
		}
		if i < len(f.Bins)-1 && b.Max == nil {
			return fmt.Errorf("%s: only the last bin may end at +inf (bins overlap)", name)
		}
		if i > 0 {
			prev := *f.Bins[i-1].Max
			switch {
			case *b.Min > prev:
				return fmt.Errorf("%s: gap [%v, %v) after the previous bin", name, prev, *b.Min)
			case *b.Min < prev:
				return fmt.Errorf("%s: overlaps the previous bin, which ends at %v (bins must be ascending)", name, prev)
			}
		}
	}
	return nil
}

func (f *Feature) validateCategorical() error {
	seen := make(map[string]int)
	check := func(name string, b Bin) error {
		if b.Min != nil || b.Max != nil {
			return fmt.Errorf("%s: categorical bin must not have min or max", name)
		}
		return nil
	}
	for i, b := range f.Bins {
		name := fmt.Sprintf("bin %d (%s)", i+1, b.label(TypeCategorical))
		if err := check(name, b); err != nil {
			return err
		}
		if len(b.Values) == 0 {
			return fmt.Errorf("%s: no values", name)
		}
		for _, v := range b.Values {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf(`%s: empty value (missing values belong in the "missing" bin)`, name)
			}
			if j, dup := seen[v]; dup {
				return fmt.Errorf("%s: value %q already in bin %d", name, v, j)
			}
			seen[v] = i + 1
		}
	}
	if f.Else != nil {
		if err := check("else bin", *f.Else); err != nil {
			return err
		}
		if len(f.Else.Values) > 0 {
			return errors.New("else bin: must not have values")
		}
		if !finite(f.Else.Points) {
			return fmt.Errorf("else bin: points must be finite, got %v", f.Else.Points)
		}
	}
	return nil
}

// Features returns the names of the fields the scorecard reads, in model order.
func (s *Scorecard) Features() []string {
	names := make([]string, len(s.Characteristics))
	for i, f := range s.Characteristics {
		names[i] = f.Name
	}
	return names
}
