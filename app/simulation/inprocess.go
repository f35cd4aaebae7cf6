package simulation

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/configs"
)

// ServerOptions configure an in-process server.
type ServerOptions struct {
	// DataDir holds the SQLite database (ignored with MySQLDSN).
	DataDir string
	// MySQLDSN selects MariaDB/MySQL instead of SQLite.
	MySQLDSN string
	// RedisAddr connects Redis ("" = in-process replacements).
	RedisAddr string
	// OpeningCapital replaces abs.opening_capital (yuan, e.g. "5000000.00") so funding
	// is scarce enough for pool sales to matter; "" keeps the configured amount.
	OpeningCapital string
	// Log receives the server's log lines (warnings and errors); nil discards them.
	Log io.Writer
}

// Server is an in-process Huabei server in simulation mode.
type Server struct {
	URL    string
	Secret string
	Engine string
	stop   func()
}

// Close stops the server and closes its database.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// StartServer wires the real app (app.New) on a free loopback port in simulation mode,
// with the cron scheduler off (the simulator runs the jobs itself for each business date).
func StartServer(ctx context.Context, o ServerOptions) (*Server, error) {
	w := o.Log
	if w == nil {
		w = io.Discard
	}
	logger := log.NewFilter(log.With(log.NewStdLogger(w), "ts", log.DefaultTimestamp), log.FilterLevel(log.LevelWarn))
	// Kratos' config loader and transports log through the global logger.
	log.SetLogger(logger)
	var cfg *conf.Config
	var err error
	if o.OpeningCapital != "" && os.Getenv("HUABEI_CONFIG") == "" {
		re := regexp.MustCompile(`(?m)^(\s*opening_capital:\s*)"[0-9.]+"`)
		cfg, err = conf.LoadBytes(re.ReplaceAll(configs.Default, []byte(`${1}"`+o.OpeningCapital+`"`)))
	} else {
		cfg, err = conf.Load()
	}
	if err != nil {
		return nil, err
	}
	cfg.Server.Mode = conf.ModeSimulation
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	grpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg.Server.HTTPAddr, cfg.Server.GRPCAddr = httpAddr, grpcAddr
	cfg.Server.RequestTimeout.Duration = 5 * time.Minute // long job runs answer synchronously
	cfg.Data.DataDir = o.DataDir
	cfg.Data.MySQLDSN = o.MySQLDSN
	cfg.Data.RedisAddr = o.RedisAddr
	engine := "sqlite"
	if o.MySQLDSN != "" {
		engine = "mysql"
	} else if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	// The simulator drives every job for its business dates; cron would run them on
	// its own schedule from the test clock.
	_ = os.Setenv("HUABEI_JOBS_CRON", "off")

	a, cleanup, err := app.New(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	hs := a.Servers.HTTP
	srvCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hs.Start(srvCtx) }()
	url := "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			cancel()
			cleanup()
			return nil, fmt.Errorf("simulation: server did not start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			cleanup()
			return nil, fmt.Errorf("simulation: server did not answer /healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Server{URL: url, Secret: cfg.Server.JWTSecret, Engine: engine, stop: func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = hs.Stop(sctx)
		cancel()
		cleanup()
	}}, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// DefaultCapital is the in-process server's opening capital for a simulation of n users:
// 10,000.00 yuan each, about three times the peak outstanding principal, so funding is
// visibly used up and replenished by pool sales.
func DefaultCapital(users int) string {
	return money.Amount(int64(max(users, 1)) * 10_000_00).String()
}
