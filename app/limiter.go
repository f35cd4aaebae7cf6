package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/server"
)

// limitsConfig is the "limits" section: requests per caller per second (0 disables),
// with per-role overrides (shopper: per user, merchant: per merchant).
type limitsConfig struct {
	RequestsPerSecond int64            `json:"requests_per_second"`
	PerRole           map[string]int64 `json:"per_role"`
}

// limiter is a fixed one-second window per caller on the shared counters (Redis when
// configured, so the limit holds across replicas).
type limiter struct {
	counters data.Counters
	perSec   int64
	perRole  map[string]int64
}

func newLimiter(cfg *conf.Config, d *data.Data) server.Limiter {
	lc := limitsConfig{}
	if err := cfg.Scan("limits", &lc); err != nil {
		return nil
	}
	l := &limiter{counters: d.Counters, perSec: lc.RequestsPerSecond, perRole: lc.PerRole}
	if l.perSec <= 0 {
		l.perSec = 0
		on := false
		for _, n := range lc.PerRole {
			on = on || n > 0
		}
		if !on {
			return nil
		}
	}
	return l
}

// Allow counts the caller's request in the current second; key is "role:subject".
func (l *limiter) Allow(ctx context.Context, key string) bool {
	limit := l.perSec
	if role, _, ok := strings.Cut(key, ":"); ok {
		if n, ok := l.perRole[role]; ok {
			limit = n
		}
	}
	if limit <= 0 {
		return true
	}
	sec := time.Now().Unix()
	n, err := l.counters.Incr(ctx, "rl:"+key+":"+strconv.FormatInt(sec, 10), 1, 2*time.Second)
	return err != nil || n <= limit
}
