package field

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

func amountError(name string, err error) error {
	switch {
	case errors.Is(err, money.ErrPrecision):
		return apierr.Invalid(name, "at most 2 decimal places")
	case errors.Is(err, money.ErrNegative):
		return apierr.Invalid(name, "must not be negative")
	case errors.Is(err, money.ErrZero):
		return apierr.Invalid(name, "must be greater than 0")
	case errors.Is(err, money.ErrOverflow):
		return apierr.Invalid(name, "too large")
	}
	return apierr.Invalid(name, `must be a decimal amount in yuan such as "199.00"`)
}

// Amount parses a required positive amount.
func Amount(name, s string) (money.Amount, error) {
	if s == "" {
		return 0, apierr.Invalid(name, "is required")
	}
	a, err := money.ParsePositive(s)
	if err != nil {
		return 0, amountError(name, err)
	}
	return a, nil
}

// OptionalAmount parses a positive amount; "" gives 0, ok=false.
func OptionalAmount(name, s string) (a money.Amount, ok bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	a, err = Amount(name, s)
	return a, err == nil, err
}

// NonNegativeAmount parses a required amount ≥ 0.
func NonNegativeAmount(name, s string) (money.Amount, error) {
	if s == "" {
		return 0, apierr.Invalid(name, "is required")
	}
	a, err := money.ParseNonNegative(s)
	if err != nil {
		return 0, amountError(name, err)
	}
	return a, nil
}

// ID parses a required numeric id.
func ID(name, s string) (int64, error) {
	if s == "" {
		return 0, apierr.Invalid(name, "is required")
	}
	id, ok := ids.Parse(s)
	if !ok {
		return 0, apierr.Invalid(name, "must be a positive integer id")
	}
	return id, nil
}

// UserID checks a user id: 1–64 characters of letters, digits, '-', '_' or '.'.
func UserID(name, s string) (string, error) {
	return Token(name, s, 64)
}

// Token checks a required identifier-like string of at most max characters made of
// letters, digits and -_.: (merchant ids, order ids, channel references).
func Token(name, s string, max int) (string, error) {
	if s == "" {
		return "", apierr.Invalid(name, "is required")
	}
	if len(s) > max {
		return "", apierr.Invalid(name, fmt.Sprintf("at most %d characters", max))
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return "", apierr.Invalid(name, "may contain only letters, digits and - _ . :")
		}
	}
	return s, nil
}

// Text checks free text: valid UTF-8, at most max characters.
func Text(name, s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", apierr.Invalid(name, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(s) > max {
		return "", apierr.Invalid(name, fmt.Sprintf("at most %d characters", max))
	}
	return s, nil
}

// Date parses a required YYYY-MM-DD business date.
func Date(name, s string) (clock.Date, error) {
	if s == "" {
		return clock.Date{}, apierr.Invalid(name, "is required")
	}
	d, err := clock.ParseDate(s)
	if err != nil {
		return clock.Date{}, apierr.Invalid(name, "must be a date YYYY-MM-DD")
	}
	return d, nil
}

// Period parses a required YYYY-MM statement period and returns its first day.
func Period(name, s string) (clock.Date, error) {
	d, err := clock.ParseDate(s + "-01")
	if err != nil || len(s) != 7 {
		return clock.Date{}, apierr.Invalid(name, "must be a period YYYY-MM")
	}
	return d, nil
}

// Enum checks s is one of allowed.
func Enum(name, s string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", apierr.Invalid(name, "must be one of "+strings.Join(allowed, ", "))
}

// Range checks lo ≤ n ≤ hi.
func Range(name string, n, lo, hi int64) error {
	if n < lo || n > hi {
		return apierr.Invalid(name, fmt.Sprintf("must be between %d and %d", lo, hi))
	}
	return nil
}
