package biz

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// Config is the credit section of configs/config.yaml as written there (amounts and
// rates as strings). DefaultConfig fills every field; Policy and Risk parse it.
type Config struct {
	// ScorecardPath is a scorecard JSON file; empty means the copy embedded in the binary.
	ScorecardPath string `json:"scorecard_path"`
	CutoffScore   int    `json:"cutoff_score"`
	MinLimit      string `json:"min_limit"`
	MaxLimit      string `json:"max_limit"`
	// Capital is what the default funding source lends out in total (until the asset
	// center provides funding).
	Capital string `json:"capital"`
	// Bands map a minimum score to a base limit.
	Bands []BandConfig `json:"bands"`
	// IncomeFactors map a minimum monthly income to a multiplier of the base limit.
	IncomeFactors []IncomeFactorConfig `json:"income_factors"`
	// MissingIncomeFactor applies when the profile has no monthly income.
	MissingIncomeFactor string     `json:"missing_income_factor"`
	Risk                RiskConfig `json:"risk"`
}

// BandConfig is one score band.
type BandConfig struct {
	MinScore  int    `json:"min_score"`
	BaseLimit string `json:"base_limit"`
}

// IncomeFactorConfig is one income step.
type IncomeFactorConfig struct {
	MinIncome string `json:"min_income"`
	Factor    string `json:"factor"`
}

// RiskConfig holds the authorization rule thresholds (0 or "" disables a count or
// amount rule).
type RiskConfig struct {
	MaxPaymentsPerHour   int      `json:"max_payments_per_hour"`
	MaxPaymentsPerDay    int      `json:"max_payments_per_day"`
	MaxAmountPerPayment  string   `json:"max_amount_per_payment"`
	MaxAmountPerHour     string   `json:"max_amount_per_hour"`
	MaxAmountPerDay      string   `json:"max_amount_per_day"`
	BlockedCategories    []string `json:"blocked_merchant_categories"`
	CashOutRoundRepeats  int      `json:"cash_out_round_repeats"`
	CashOutRoundUnit     string   `json:"cash_out_round_unit"`
	CashOutRoundShare    string   `json:"cash_out_round_share"`
	CashOutOpeningShare  string   `json:"cash_out_opening_share"`
	CashOutOpeningWindow string   `json:"cash_out_opening_window"`
}

// DefaultConfig returns the product defaults of DESIGN §5–§6.
func DefaultConfig() Config {
	return Config{
		CutoffScore: 550,
		MinLimit:    "500.00",
		MaxLimit:    "50000.00",
		Capital:     "100000000.00",
		Bands: []BandConfig{
			{550, "2000.00"}, {600, "5000.00"}, {650, "8000.00"}, {700, "12000.00"},
			{750, "20000.00"}, {800, "30000.00"}, {850, "40000.00"},
		},
		IncomeFactors: []IncomeFactorConfig{
			{"0.00", "0.5"}, {"3000.00", "0.8"}, {"5000.00", "1.0"}, {"10000.00", "1.3"}, {"20000.00", "1.6"},
		},
		MissingIncomeFactor: "0.5",
		Risk: RiskConfig{
			MaxPaymentsPerHour:   30,
			MaxPaymentsPerDay:    100,
			MaxAmountPerPayment:  "20000.00",
			BlockedCategories:    []string{"gambling", "crypto"},
			CashOutRoundRepeats:  3,
			CashOutRoundUnit:     "100.00",
			CashOutRoundShare:    "0.90",
			CashOutOpeningShare:  "0.95",
			CashOutOpeningWindow: "1h",
		},
	}
}

// Band is a parsed score band.
type Band struct {
	MinScore  int
	BaseLimit money.Amount
}

// IncomeFactor is a parsed income step.
type IncomeFactor struct {
	MinIncome money.Amount
	Factor    decimal.Decimal
}

// LimitPolicy turns a score and a profile into a decision.
type LimitPolicy struct {
	CutoffScore         int
	MinLimit, MaxLimit  money.Amount
	Bands               []Band         // ascending MinScore
	IncomeFactors       []IncomeFactor // ascending MinIncome
	MissingIncomeFactor decimal.Decimal
}

// RiskRules are the parsed authorization thresholds.
type RiskRules struct {
	MaxPaymentsPerHour, MaxPaymentsPerDay int
	MaxAmountPerPayment                   money.Amount // 0 = no cap
	MaxAmountPerHour, MaxAmountPerDay     money.Amount // 0 = no cap
	BlockedCategories                     map[string]bool
	CashOutRoundRepeats                   int // 0 disables the round-amount rule
	CashOutRoundUnit                      money.Amount
	CashOutRoundShare                     decimal.Decimal
	CashOutOpeningShare                   decimal.Decimal // 0 disables the opening rule
	CashOutOpeningWindow                  time.Duration
}

func amountKey(key, s string, optional bool) (money.Amount, error) {
	if s == "" && optional {
		return 0, nil
	}
	a, err := money.ParseNonNegative(s)
	if err != nil {
		return 0, fmt.Errorf("credit.%s: %q is not an amount in yuan", key, s)
	}
	return a, nil
}

func rateKey(key, s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.IsNegative() {
		return decimal.Zero, fmt.Errorf("credit.%s: %q is not a non-negative decimal", key, s)
	}
	return d, nil
}

// Funding returns the configured capital of the default funding source.
func (c Config) Funding() (money.Amount, error) { return amountKey("capital", c.Capital, false) }

// Policy parses the limit policy.
func (c Config) Policy() (LimitPolicy, error) {
	var p LimitPolicy
	var err error
	p.CutoffScore = c.CutoffScore
	if p.MinLimit, err = amountKey("min_limit", c.MinLimit, false); err != nil {
		return p, err
	}
	if p.MaxLimit, err = amountKey("max_limit", c.MaxLimit, false); err != nil {
		return p, err
	}
	if p.MinLimit <= 0 || p.MaxLimit < p.MinLimit {
		return p, fmt.Errorf("credit: need 0 < min_limit ≤ max_limit, got %s and %s", p.MinLimit, p.MaxLimit)
	}
	if len(c.Bands) == 0 {
		return p, fmt.Errorf("credit.bands: at least one band is required")
	}
	for i, b := range c.Bands {
		base, err := amountKey(fmt.Sprintf("bands[%d].base_limit", i), b.BaseLimit, false)
		if err != nil {
			return p, err
		}
		p.Bands = append(p.Bands, Band{MinScore: b.MinScore, BaseLimit: base})
	}
	sort.Slice(p.Bands, func(i, j int) bool { return p.Bands[i].MinScore < p.Bands[j].MinScore })
	for i, f := range c.IncomeFactors {
		inc, err := amountKey(fmt.Sprintf("income_factors[%d].min_income", i), f.MinIncome, false)
		if err != nil {
			return p, err
		}
		fac, err := rateKey(fmt.Sprintf("income_factors[%d].factor", i), f.Factor)
		if err != nil {
			return p, err
		}
		p.IncomeFactors = append(p.IncomeFactors, IncomeFactor{MinIncome: inc, Factor: fac})
	}
	sort.Slice(p.IncomeFactors, func(i, j int) bool { return p.IncomeFactors[i].MinIncome < p.IncomeFactors[j].MinIncome })
	if p.MissingIncomeFactor, err = rateKey("missing_income_factor", c.MissingIncomeFactor); err != nil {
		return p, err
	}
	return p, nil
}

// Rules parses the risk thresholds.
func (c RiskConfig) Rules() (RiskRules, error) {
	r := RiskRules{
		MaxPaymentsPerHour: c.MaxPaymentsPerHour, MaxPaymentsPerDay: c.MaxPaymentsPerDay,
		CashOutRoundRepeats: c.CashOutRoundRepeats, BlockedCategories: map[string]bool{},
	}
	var err error
	if r.MaxAmountPerPayment, err = amountKey("risk.max_amount_per_payment", c.MaxAmountPerPayment, true); err != nil {
		return r, err
	}
	if r.MaxAmountPerHour, err = amountKey("risk.max_amount_per_hour", c.MaxAmountPerHour, true); err != nil {
		return r, err
	}
	if r.MaxAmountPerDay, err = amountKey("risk.max_amount_per_day", c.MaxAmountPerDay, true); err != nil {
		return r, err
	}
	for _, cat := range c.BlockedCategories {
		r.BlockedCategories[cat] = true
	}
	if r.CashOutRoundUnit, err = amountKey("risk.cash_out_round_unit", c.CashOutRoundUnit, true); err != nil {
		return r, err
	}
	if r.CashOutRoundUnit == 0 {
		r.CashOutRoundUnit = money.Yuan(100)
	}
	if r.CashOutRoundShare, err = rateKey("risk.cash_out_round_share", c.CashOutRoundShare); err != nil {
		return r, err
	}
	if r.CashOutOpeningShare, err = rateKey("risk.cash_out_opening_share", c.CashOutOpeningShare); err != nil {
		return r, err
	}
	if c.CashOutOpeningWindow != "" {
		if r.CashOutOpeningWindow, err = time.ParseDuration(c.CashOutOpeningWindow); err != nil {
			return r, fmt.Errorf("credit.risk.cash_out_opening_window: %q is not a duration", c.CashOutOpeningWindow)
		}
	}
	return r, nil
}
