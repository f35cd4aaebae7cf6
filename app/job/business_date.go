package job

import (
	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
)

// ErrBusinessDateInFuture is returned when a run is asked for a business date after
// today's business date (the business clock): a December statement run in March would
// bill purchases not made yet and accrue interest not owed yet (422). Nothing is written.
var ErrBusinessDateInFuture = kerrors.New(422, "BUSINESS_DATE_IN_FUTURE", "the business date is after today's business date")

// DateRule refuses a business date a job cannot run for (for example statements on a day
// that is not a statement day) with a client error; it is checked before the run is
// recorded, so a refused date leaves no job_run row.
type DateRule func(date clock.Date) error

// RegisterOption tunes a job at registration.
type RegisterOption func(*registration)

// registration is a job as registered.
type registration struct {
	fn    JobFunc
	rules []DateRule
}

// OnlyFor adds a rule every business date of the job must pass.
func OnlyFor(rule DateRule) RegisterOption {
	return func(r *registration) { r.rules = append(r.rules, rule) }
}

// checkDate refuses a date after the business clock's today and a date the job's rules
// refuse.
func (r *Runner) checkDate(reg registration, date clock.Date) error {
	if today := clock.Today(r.clk); date.After(today) {
		return ErrBusinessDateInFuture.WithMetadata(map[string]string{"business_date": date.String(), "today": today.String()})
	}
	for _, rule := range reg.rules {
		if err := rule(date); err != nil {
			return err
		}
	}
	return nil
}
