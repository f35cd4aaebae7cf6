package app

import (
	"context"

	"github.com/go-kratos/kratos/v2"
)

// jobsModule holds the job runner (built by the billing engineers in app/job).
type jobsModule struct{}

// wireJobs registers every domain's jobs with the runner and its cron schedule.
func (a *App) wireJobs(ctx context.Context) error {
	return nil
}

// serverOptions adds the scheduler to the Kratos app when one is wired.
func (j jobsModule) serverOptions() []kratos.Option { return nil }
