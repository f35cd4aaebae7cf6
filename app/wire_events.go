package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/job"
	"github.com/huabei/huabei/app/outbox"
)

// relayJob is the continuous job that delivers outbox events; its one job_run row (dated
// relayDate) carries the lease that keeps one relay across replicas.
const relayJob = "event_relay"

var relayDate = clock.NewDate(2000, 1, 1)

// eventsConfig is the events section of configs/config.yaml.
type eventsConfig struct {
	Relay          *bool         `json:"relay"`
	PollInterval   conf.Duration `json:"poll_interval"`
	Batch          int           `json:"batch"`
	WebhookTimeout conf.Duration `json:"webhook_timeout"`
	RetryBase      conf.Duration `json:"retry_base"`
	RetryMax       conf.Duration `json:"retry_max"`
	RetryWindow    conf.Duration `json:"retry_window"`
}

// eventsModule holds the relay and its webhook sender.
type eventsModule struct {
	Relay    *outbox.Relay
	Webhooks *outbox.Webhooks
	runner   *relayRunner // nil when the relay is off in this process
}

// wireEvents builds the relay, the webhook API and the event_relay job. HUABEI_EVENT_RELAY=off
// (or events.relay: false) keeps this process from running the relay.
func (a *App) wireEvents(ctx context.Context) error {
	var raw eventsConfig
	if err := a.Config.Scan("events", &raw); err != nil {
		return err
	}
	cfg := outbox.DefaultConfig()
	for _, d := range []struct {
		name string
		in   conf.Duration
		out  *time.Duration
	}{
		{"poll_interval", raw.PollInterval, &cfg.PollInterval}, {"webhook_timeout", raw.WebhookTimeout, &cfg.WebhookTimeout},
		{"retry_base", raw.RetryBase, &cfg.RetryBase}, {"retry_max", raw.RetryMax, &cfg.RetryMax}, {"retry_window", raw.RetryWindow, &cfg.RetryWindow},
	} {
		if d.in.Duration < 0 {
			return fmt.Errorf("events.%s must not be negative", d.name)
		}
		if d.in.Duration > 0 {
			*d.out = d.in.Duration
		}
	}
	if raw.Batch < 0 {
		return fmt.Errorf("events.batch must not be negative")
	}
	if raw.Batch > 0 {
		cfg.Batch = raw.Batch
	}
	cfg.AllowPrivateTargets = !a.Config.Production()
	on := raw.Relay == nil || *raw.Relay
	if v := strings.ToLower(os.Getenv("HUABEI_EVENT_RELAY")); v == "off" || v == "false" || v == "0" {
		on = false
	}

	hooks := outbox.NewWebhooks(a.Data, cfg, a.Logger)
	relay := outbox.NewRelay(a.Data, a.Outbox(), a.Data.Redis, hooks, cfg, a.Logger)
	svc := outbox.NewService(a.Outbox(), hooks)
	svc.Register(a.Servers.Routes)
	v1.RegisterEventServiceServer(a.Servers.GRPC, svc)
	a.Jobs().Register(relayJob, func(ctx context.Context, run *job.Run) error {
		if !run.Date.Equal(relayDate) {
			return errors.New("event_relay is continuous: it runs only for " + relayDate.String())
		}
		return relay.Run(ctx, run)
	})
	a.events = eventsModule{Relay: relay, Webhooks: hooks}
	if on {
		a.events.runner = &relayRunner{jobs: a.Jobs(), log: log.NewHelper(log.With(a.Logger, "module", "outbox/relay"))}
	}
	return nil
}

// relayRunner keeps trying to hold the event_relay run: while another replica holds its
// lease the job runner waits, and takes over once that lease expires (a crashed relay).
// It is a Kratos transport.Server.
type relayRunner struct {
	jobs   *job.Runner
	log    *log.Helper
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements transport.Server.
func (r *relayRunner) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			info, err := r.jobs.Run(ctx, relayJob, relayDate)
			if err != nil && ctx.Err() == nil {
				r.log.Warnw("msg", "event relay could not run", "error", err)
			} else if info.Status == job.StatusFailed {
				r.log.Warnw("msg", "event relay stopped; restarting", "error", info.Error)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return nil
}

// Stop implements transport.Server (the run itself stops with the job runner).
func (r *relayRunner) Stop(context.Context) error {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	return nil
}
