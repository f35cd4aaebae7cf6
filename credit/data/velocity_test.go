package data_test

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/biz"
	creditdata "github.com/huabei/huabei/credit/data"
)

func velocityStores(t testing.TB) map[string]biz.VelocityStore {
	d := datatest.Open(t, "sqlite", true)
	return map[string]biz.VelocityStore{
		"local": creditdata.NewLocalVelocity(),
		"redis": creditdata.NewRedisVelocity(d.Redis, creditdata.NewLocalVelocity()),
	}
}

// TestVelocityStores pins the window semantics on both implementations.
func TestVelocityStores(t *testing.T) {
	for name, v := range velocityStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			user := "vel-" + ids.String(ids.New())
			lim := biz.VelocityLimits{MaxPerHour: 2, MaxPerDay: 3, MaxAmountDay: money.Yuan(1000), RoundRepeats: 2}
			entry := func(at time.Time, amount money.Amount, merchant string, round bool) biz.VelocityEntry {
				return biz.VelocityEntry{UserID: user, MerchantID: merchant, PaymentID: ids.New(), Amount: amount, NearLimitRound: round, At: at}
			}
			admit := func(e biz.VelocityEntry, want string) {
				t.Helper()
				got, err := v.Admit(ctx, e, lim)
				if err != nil || got != want {
					t.Fatalf("Admit(%+v) = %q, %v; want %q", e, got, err, want)
				}
			}
			e1 := entry(t0, money.Yuan(100), "m1", true)
			admit(e1, "")
			admit(e1, "") // a retried transaction does not count twice
			admit(entry(t0.Add(time.Minute), money.Yuan(100), "m1", false), "")
			admit(entry(t0.Add(2*time.Minute), money.Yuan(100), "m1", false), biz.DeclineVelocityLimit)  // 3rd in the hour
			admit(entry(t0.Add(61*time.Minute), money.Yuan(100), "m2", true), "")                        // other merchant: 1st round
			admit(entry(t0.Add(62*time.Minute), money.Yuan(100), "m1", false), biz.DeclineVelocityLimit) // 4th in the day
			// after e1 leaves the day window: the round at m1 is forgotten, day count is 2
			later := t0.Add(24*time.Hour + time.Second)
			admit(entry(later, money.Yuan(900), "m1", false), biz.DeclineVelocityLimit) // 300 + 900 > 1000 in 24h
			e := entry(later, money.Yuan(100), "m2", true)
			admit(e, biz.DeclineCashOutRisk) // 2nd near-limit round at m2
			e.NearLimitRound = false
			admit(e, "")
			v.Forget(ctx, e)
			admit(entry(later, money.Yuan(100), "m2", false), "") // forgotten entry freed its slot
		})
	}
}

// TestRedisVelocityFallback: with Redis unreachable the store answers from process
// memory and counts the fallback.
func TestRedisVelocityFallback(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	v := creditdata.NewRedisVelocity(rdb, creditdata.NewLocalVelocity())
	before := fallbacks()
	lim := biz.VelocityLimits{MaxPerHour: 1}
	e := biz.VelocityEntry{UserID: "u-down", MerchantID: "m", PaymentID: 1, Amount: money.Yuan(1), At: t0}
	if r, err := v.Admit(context.Background(), e, lim); r != "" || err != nil {
		t.Fatalf("first: %q %v", r, err)
	}
	e.PaymentID = 2
	if r, err := v.Admit(context.Background(), e, lim); r != biz.DeclineVelocityLimit || err != nil {
		t.Fatalf("second: %q %v", r, err)
	}
	if got := fallbacks() - before; got != 2 {
		t.Fatalf("fallbacks counted %v, want 2", got)
	}
}

func fallbacks() float64 {
	var m dto.Metric
	_ = data.RedisFallbacks.WithLabelValues("velocity").Write(&m)
	return m.GetCounter().GetValue()
}
