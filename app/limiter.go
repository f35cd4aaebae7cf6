package app

import (
	"context"
	"strconv"
	"time"

	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/server"
)

// limitsConfig is the "limits" section: requests per caller per second (0 disables).
type limitsConfig struct {
	RequestsPerSecond int64 `json:"requests_per_second"`
}

// limiter is a fixed one-second window per caller on the shared counters (Redis when
// configured, so the limit holds across replicas).
type limiter struct {
	counters data.Counters
	perSec   int64
}

func newLimiter(cfg *conf.Config, d *data.Data) server.Limiter {
	lc := limitsConfig{}
	if err := cfg.Scan("limits", &lc); err != nil || lc.RequestsPerSecond <= 0 {
		return nil
	}
	return &limiter{counters: d.Counters, perSec: lc.RequestsPerSecond}
}

func (l *limiter) Allow(ctx context.Context, key string) bool {
	sec := time.Now().Unix()
	n, err := l.counters.Incr(ctx, "rl:"+key+":"+strconv.FormatInt(sec, 10), 1, 2*time.Second)
	return err != nil || n <= l.perSec
}
