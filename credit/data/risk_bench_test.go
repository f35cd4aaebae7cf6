package data_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/biz"
	creditdata "github.com/huabei/huabei/credit/data"
)

// BenchmarkRiskDecision times one whole authorization decision (status, caps, category,
// available, both cash-out patterns, funding, and the velocity windows with their update)
// with the velocity windows in process and in Redis over loopback, and reports p50/p99
// per decision. 10,000 users take turns and the clock advances one second per decision,
// so every decision passes every rule and writes its entry, as an approved payment does.
func BenchmarkRiskDecision(b *testing.B) {
	cfg := biz.DefaultConfig()
	rules, err := cfg.Risk.Rules()
	if err != nil {
		b.Fatal(err)
	}
	stores := velocityStores(b)
	// Baseline: a bare PING over the same connection pool, the floor any Redis decision
	// pays on this machine (on a shared, loaded host its p99 is scheduling noise).
	b.Run("redis-ping-baseline", func(b *testing.B) {
		rdb := stores["redis"].(*creditdata.RedisVelocity).Client()
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if err := rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		reportPercentiles(b, lat)
	})
	for _, name := range []string{"local", "redis"} {
		store := stores[name]
		b.Run(name, func(b *testing.B) {
			engine := biz.NewRiskEngine(rules, store)
			const users = 10000
			prefix := "bench-" + ids.String(ids.New()) + "-"
			lines := make([]*biz.Line, users)
			for i := range lines {
				lines[i] = &biz.Line{UserID: fmt.Sprintf("%s%d", prefix, i), AccountStatus: biz.StatusActive,
					Limit: money.Yuan(20000), Outstanding: money.Yuan(1500), OpenedAt: t0.Add(-48 * time.Hour)}
				lines[i].Compute(t0)
			}
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := biz.RiskInput{Line: lines[i%users], Amount: money.MustParse("123.45"), MerchantID: "m-42",
					MerchantCategory: "apparel", PaymentID: int64(i + 1), Now: t0.Add(time.Duration(i) * time.Second), Funding: money.Yuan(1_000_000)}
				start := time.Now()
				reason, err := engine.Decide(ctx, &in)
				lat = append(lat, time.Since(start))
				if err != nil || reason != "" {
					b.Fatalf("decision %d: %q %v", i, reason, err)
				}
			}
			b.StopTimer()
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Nanoseconds())/1e3, "p99-µs")
}
