package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/job"
	billingdata "github.com/huabei/huabei/billing/data"
	creditbiz "github.com/huabei/huabei/credit/biz"
)

// jobsModule holds the job runner and its cron scheduler.
type jobsModule struct {
	Runner    *job.Runner
	Scheduler *job.Scheduler
}

// defaultJobsConfig: cron on; statements at 00:05 on the 1st for that day (the statement
// date); accrue at 00:10 daily for yesterday (the day just ended); autopay at 06:00 for
// today (the due date); dayend at 00:30 for yesterday; auto_capture at 00:20 for today.
// Statements also catch up accrual to the day before the statement date themselves, so
// the order of the first-of-month runs does not matter.
func defaultJobsConfig() job.Config {
	return job.Config{
		CronEnabled: true,
		LeaseTTL:    "30s",
		Schedules: map[string]job.Schedule{
			"statements":    {Cron: "5 0 1 * *", Date: "today"},
			"accrue":        {Cron: "10 0 * * *", Date: "yesterday"},
			"auto_capture":  {Cron: "20 0 * * *", Date: "today"},
			"dayend":        {Cron: "30 0 * * *", Date: "yesterday"},
			"autopay":       {Cron: "0 6 * * *", Date: "today"},
			"abs_servicing": {Cron: "0 2 * * *", Date: "yesterday"},
			"limit_review":  {Cron: "0 3 2 * *", Date: "today"},
			// T+1: at 01:00 merchants are paid for the day that ended
			"merchant_settlement": {Cron: "0 1 * * *", Date: "yesterday"},
		},
	}
}

// wireJobs builds the runner first (wireJobsRunner, called before the domains register
// their jobs) and here the scheduler and the ops routes.
func (a *App) wireJobs(ctx context.Context) error {
	r := a.Jobs()
	cfg := defaultJobsConfig()
	if err := a.Config.Scan("jobs", &cfg); err != nil {
		return err
	}
	if v := strings.ToLower(os.Getenv("HUABEI_JOBS_CRON")); v == "off" || v == "false" || v == "0" {
		cfg.CronEnabled = false
	}
	a.registerDomainJobs(r)
	sched, err := job.NewScheduler(r, a.Clock, a.Logger, cfg.Schedules, cfg.CronEnabled)
	if err != nil {
		return err
	}
	a.jobs.Scheduler = sched
	svc := job.NewService(r, a.Clock)
	svc.Register(a.Servers.Routes)
	v1.RegisterJobServiceServer(a.Servers.GRPC, svc)
	return nil
}

// Jobs returns the job runner (built on first use, so domains wired before jobs can
// register theirs through it).
func (a *App) Jobs() *job.Runner {
	if a.jobs.Runner == nil {
		ttl := 30 * time.Second
		cfg := defaultJobsConfig()
		_ = a.Config.Scan("jobs", &cfg)
		if v := os.Getenv("HUABEI_JOBS_LEASE_TTL"); v != "" {
			cfg.LeaseTTL = v
		}
		if d, err := time.ParseDuration(cfg.LeaseTTL); err == nil && d > 0 {
			ttl = d
		} else if cfg.LeaseTTL != "" {
			_ = a.Logger.Log(log.LevelWarn, "msg", fmt.Sprintf("jobs.lease_ttl %q is not a duration; using 30s", cfg.LeaseTTL))
		}
		a.jobs.Runner = job.NewRunner(a.Data, a.Logger, job.Options{Node: a.Config.Server.NodeID, LeaseTTL: ttl, Clock: a.Clock})
	}
	return a.jobs.Runner
}

// registerDomainJobs registers jobs whose code lives in domains that do not register
// themselves (billing registers statements, accrue, autopay and dayend in wire_billing.go).
func (a *App) registerDomainJobs(r *job.Runner) {
	// limit_review needs credit and billing together: monthly rescoring of every line
	// from the last six months of statements (credit.review in config).
	if a.credit.Lines != nil && a.billing.Repo != nil {
		policy := creditbiz.DefaultReviewPolicy()
		if err := a.Config.Scan("credit.review", &policy); err != nil {
			_ = a.Logger.Log(log.LevelWarn, "msg", "credit.review config ignored", "error", err.Error())
		}
		repo := a.billing.Repo
		r.Register("limit_review", func(ctx context.Context, run *job.Run) error {
			return a.credit.Lines.ReviewLimits(ctx, run, billingStanding{repo: repo, today: run.Date}, policy)
		})
	}
}

// billingStanding reads a user's repayment standing for the limit review: days past due
// now, and the statements due in the six months before the review date.
type billingStanding struct {
	repo  *billingdata.StatementRepo
	today clock.Date
}

func (b billingStanding) Standing(ctx context.Context, userID string) (creditbiz.Standing, error) {
	dpd, due, onTime, err := b.repo.RepaymentStanding(ctx, userID, b.today.AddMonths(-6), b.today)
	return creditbiz.Standing{DaysPastDue: dpd, StatementsDue: due, PaidOnTime: onTime}, err
}

// serverOptions adds the scheduler to the Kratos app.
func (j jobsModule) serverOptions() []kratos.Option {
	if j.Scheduler == nil {
		return nil
	}
	return []kratos.Option{kratos.Server(j.Scheduler)}
}
