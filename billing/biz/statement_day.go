package biz

import (
	"strconv"

	"github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
)

// ErrNotStatementDay is returned when the statements job is asked for a business date that
// is not the configured statement day: a statement dated the 17th would cut a cycle no
// statement date ends and bill half a month twice (422). Nothing is written.
var ErrNotStatementDay = errors.New(422, "NOT_STATEMENT_DAY", "statements are issued only on the statement day of a month")

// CheckStatementDay refuses a statement date that is not cfg's statement day.
func CheckStatementDay(cfg BillingConfig, date clock.Date) error {
	day := cfg.StatementDay
	if day <= 0 {
		day = 1
	}
	if date.Day() != day {
		return ErrNotStatementDay.WithMetadata(map[string]string{"business_date": date.String(), "statement_day": strconv.Itoa(day)})
	}
	return nil
}
