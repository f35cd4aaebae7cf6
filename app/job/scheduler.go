package job

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/robfig/cron/v3"

	"github.com/huabei/huabei/app/clock"
)

// Schedule says when a job runs and for which business date.
type Schedule struct {
	// Cron is a 5-field cron expression evaluated in Asia/Shanghai ("5 0 1 * *").
	Cron string `json:"cron"`
	// Date picks the business date of the run relative to the business clock when the
	// schedule fires: "today" (default) or "yesterday".
	Date string `json:"date"`
}

// Config is the jobs section of the configuration.
type Config struct {
	// CronEnabled starts the in-process scheduler (HUABEI_JOBS_CRON=off disables it).
	CronEnabled bool `json:"cron_enabled"`
	// LeaseTTL is how long a run stays owned by a runner that stopped renewing it.
	LeaseTTL  string              `json:"lease_ttl"`
	Schedules map[string]Schedule `json:"schedules"`
}

// Scheduler starts registered jobs from cron schedules. It implements the Kratos
// transport.Server interface (Start/Stop) so the app lifecycle runs it.
type Scheduler struct {
	r     *Runner
	clk   clock.Clock
	log   *log.Helper
	cron  *cron.Cron
	count int
}

// NewScheduler validates the schedules (every job must be registered) and returns the
// scheduler; with enabled false it starts nothing.
func NewScheduler(r *Runner, clk clock.Clock, logger log.Logger, schedules map[string]Schedule, enabled bool) (*Scheduler, error) {
	s := &Scheduler{r: r, clk: clk, log: log.NewHelper(log.With(logger, "module", "job/scheduler")),
		cron: cron.New(cron.WithLocation(clock.Location), cron.WithChain(cron.Recover(cron.DefaultLogger)))}
	if !enabled {
		return s, nil
	}
	names := make([]string, 0, len(schedules))
	for n := range schedules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		sc := schedules[name]
		if sc.Cron == "" {
			continue
		}
		if _, err := r.job(name); err != nil {
			// A schedule for a job nobody built (e.g. limit_review) is skipped, loudly.
			s.log.Warnw("msg", "schedule for an unregistered job ignored", "job", name)
			continue
		}
		offset := 0
		switch sc.Date {
		case "", "today":
		case "yesterday":
			offset = -1
		default:
			return nil, fmt.Errorf("job: schedule %s: date must be today or yesterday", name)
		}
		name := name
		if _, err := s.cron.AddFunc(sc.Cron, func() { s.fire(name, offset) }); err != nil {
			return nil, fmt.Errorf("job: schedule %s: %w", name, err)
		}
		s.count++
	}
	return s, nil
}

func (s *Scheduler) fire(name string, offset int) {
	date := clock.Today(s.clk).AddDays(offset)
	info, err := s.r.Run(s.r.bgCtx, name, date)
	if err != nil {
		s.log.Errorw("msg", "scheduled job could not run", "job", name, "business_date", date.String(), "error", err)
		return
	}
	s.log.Infow("msg", "scheduled job finished", "job", name, "business_date", date.String(), "status", info.Status, "processed", info.Processed)
}

// Start implements transport.Server.
func (s *Scheduler) Start(context.Context) error {
	if s.count > 0 {
		s.cron.Start()
	}
	return nil
}

// Stop implements transport.Server: no new runs start; background runs are cancelled
// (their leases expire and they resume elsewhere from their checkpoints).
func (s *Scheduler) Stop(ctx context.Context) error {
	c := s.cron.Stop()
	s.r.Close()
	select {
	case <-c.Done():
	case <-ctx.Done():
	}
	return nil
}
