// Command huabei is the Huabei server: HTTP and gRPC APIs plus the job scheduler, on the
// embedded SQLite default or on MySQL/MariaDB and Redis (see README).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/conf"
)

func main() {
	cfg, err := conf.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "huabei:", err)
		os.Exit(2)
	}
	logger := app.NewLogger(cfg.Server.NodeID)
	a, cleanup, err := app.New(context.Background(), cfg, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "huabei:", err)
		os.Exit(1)
	}
	defer cleanup()
	engine := "sqlite (" + cfg.Data.DataDir + ")"
	if cfg.Data.MySQLDSN != "" {
		engine = "mysql"
	}
	log.NewHelper(logger).Infow("msg", "huabei starting", "http", cfg.Server.HTTPAddr, "grpc", cfg.Server.GRPCAddr, "mode", cfg.Server.Mode, "database", engine, "redis", cfg.Data.RedisAddr != "")
	if err := a.Kratos().Run(); err != nil {
		fmt.Fprintln(os.Stderr, "huabei:", err)
		os.Exit(1)
	}
}
