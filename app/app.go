package app

import (
	"context"
	"fmt"
	"os"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/ops"
	"github.com/huabei/huabei/app/outbox"
	"github.com/huabei/huabei/app/server"
)

// Version is set at build time with -ldflags "-X github.com/huabei/huabei/app.Version=...".
var Version = "dev"

// App is the wired service.
type App struct {
	Config  *conf.Config
	Data    *data.Data
	Clock   clock.Clock
	Test    *clock.Test // nil in production mode
	Logger  log.Logger
	Servers *server.Servers
	Idem    *idem.Store

	ledger       ledgerModule
	credit       creditModule
	payments     paymentsModule
	billing      billingModule
	installments installmentsModule
	abs          absModule
	jobs         jobsModule
	events       eventsModule
	outbox       *outbox.Store
}

// NewLogger returns the process logger (JSON-ish key/value lines on stdout).
func NewLogger(nodeID string) log.Logger {
	l := log.With(log.NewStdLogger(os.Stdout), "ts", log.DefaultTimestamp, "node", nodeID)
	return log.NewFilter(l, log.FilterLevel(log.LevelInfo))
}

// New opens the data layer, runs migrations, builds the servers and wires every domain.
func New(ctx context.Context, cfg *conf.Config, logger log.Logger) (*App, func(), error) {
	ids.SetNode(ids.NodeFromString(cfg.Server.NodeID))
	d, cleanup, err := data.Open(ctx, data.Options{
		MySQLDSN: cfg.Data.MySQLDSN, DataDir: cfg.Data.DataDir, RedisAddr: cfg.Data.RedisAddr,
		MaxOpenConns: cfg.Data.MaxOpenConns, Migrate: true,
	})
	if err != nil {
		return nil, nil, err
	}
	a := &App{Config: cfg, Data: d, Logger: logger, Idem: idem.NewStore(d)}
	if cfg.Production() {
		a.Clock = clock.Real{}
	} else {
		a.Test = &clock.Test{}
		a.Clock = a.Test
	}
	a.Servers = server.New(server.Options{Config: cfg, Data: d, Logger: logger, Limiter: newLimiter(cfg, d)})

	clk, err := ops.NewClockService(ctx, d, a.Clock, a.Test, cfg.Server.Mode)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	clk.Register(a.Servers.Routes)
	opsRegisterGRPC(a, clk)

	for _, w := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"ledger", a.wireLedger},
		{"credit", a.wireCredit},
		{"payments", a.wirePayments},
		{"billing", a.wireBilling},
		{"installments", a.wireInstallments},
		{"abs", a.wireABS},
		{"events", a.wireEvents},
		{"settlement", a.wireSettlement},
		{"jobs", a.wireJobs},
	} {
		if err := w.fn(ctx); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("app: wire %s: %w", w.name, err)
		}
	}
	return a, cleanup, nil
}

// Kratos returns the Kratos application running both transports (and the job
// scheduler, when wired), stopping gracefully on SIGINT/SIGTERM.
func (a *App) Kratos() *kratos.App {
	// kratos.Server replaces the server list, so every server goes into one call.
	servers := []transport.Server{a.Servers.HTTP, a.Servers.GRPC}
	if a.jobs.Scheduler != nil {
		servers = append(servers, a.jobs.Scheduler)
	}
	if a.events.runner != nil {
		servers = append(servers, a.events.runner)
	}
	return kratos.New(
		kratos.Name("huabei"),
		kratos.Version(Version),
		kratos.Logger(a.Logger),
		kratos.Server(servers...),
	)
}

// Outbox returns the transactional outbox every domain records its events in (built on
// first use, like Jobs, so domains wired in any order share it).
func (a *App) Outbox() *outbox.Store {
	if a.outbox == nil {
		a.outbox = outbox.NewStore(a.Data, a.Clock)
	}
	return a.outbox
}
