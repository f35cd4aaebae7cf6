package money

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is an amount of CNY in fen (1 yuan = 100 fen).
type Amount int64

// MaxAmount is the largest amount the service accepts from input: 10^11 yuan, above a
// lender's whole capital and absurd for any one request. Larger amounts are refused when
// parsed, before they reach a rule; the ledger bounds the sums (billing/ledger MaxVolume),
// and 10^5 maximal amounts still fit under that bound.
const MaxAmount Amount = 10_000_000_000_000

var (
	// ErrSyntax is returned by Parse when the text is not a plain decimal number.
	ErrSyntax = errors.New("money: not a decimal amount")
	// ErrPrecision is returned by Parse when the text has more than two decimals.
	ErrPrecision = errors.New("money: more than 2 decimal places")
	// ErrNegative is returned by ParsePositive/ParseNonNegative for amounts below zero.
	ErrNegative = errors.New("money: negative amount")
	// ErrZero is returned by ParsePositive for a zero amount.
	ErrZero = errors.New("money: amount must be greater than zero")
	// ErrOverflow is returned by Parse for amounts beyond MaxAmount and by arithmetic helpers that would overflow.
	ErrOverflow = errors.New("money: amount too large")
)

// Fen builds an Amount from a count of fen.
func Fen(n int64) Amount { return Amount(n) }

// Yuan builds an Amount from whole yuan.
func Yuan(n int64) Amount { return Amount(n * 100) }

// Parse reads a yuan amount such as "199", "199.5", "199.00" or "-3.20". It rejects
// exponents, spaces, signs other than a leading '-', more than two decimals and values
// beyond MaxAmount.
func Parse(s string) (Amount, error) {
	if s == "" || len(s) > 32 {
		return 0, ErrSyntax
	}
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, ErrSyntax
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, ErrSyntax
		}
	}
	if len(frac) > 2 {
		return 0, ErrPrecision
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 16 {
		return 0, ErrOverflow
	}
	var v int64
	for _, c := range intPart {
		v = v*10 + int64(c-'0')
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v = v*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if Amount(v) > MaxAmount {
		return 0, ErrOverflow
	}
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// ParsePositive is Parse for amounts that must be greater than zero.
func ParsePositive(s string) (Amount, error) {
	a, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if a < 0 {
		return 0, ErrNegative
	}
	if a == 0 {
		return 0, ErrZero
	}
	return a, nil
}

// ParseNonNegative is Parse for amounts that may be zero but not negative.
func ParseNonNegative(s string) (Amount, error) {
	a, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if a < 0 {
		return 0, ErrNegative
	}
	return a, nil
}

// MustParse is Parse for constants in code and tests; it panics on bad input.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("money.MustParse(%q): %v", s, err))
	}
	return a
}

// String formats the amount in yuan with exactly two decimals: "199.00", "-0.05".
func (a Amount) String() string {
	v := int64(a)
	sign := ""
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return "-92233720368547758.08"
		}
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Fen returns the amount as a count of fen.
func (a Amount) Fen() int64 { return int64(a) }

// Decimal returns the amount in yuan as a decimal.
func (a Amount) Decimal() decimal.Decimal { return decimal.New(int64(a), -2) }

// Add returns a+b, or ErrOverflow.
func Add(a, b Amount) (Amount, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Min returns the smaller amount.
func Min(a, b Amount) Amount {
	if a < b {
		return a
	}
	return b
}

// Max returns the larger amount.
func Max(a, b Amount) Amount {
	if a > b {
		return a
	}
	return b
}
