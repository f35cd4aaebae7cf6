package data

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/redis/go-redis/v9"
)

// RedisFallbacks counts operations that fell back to in-process state because Redis
// failed; readiness and dashboards watch it.
var RedisFallbacks = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "huabei_redis_fallback_total",
	Help: "Operations served in process because Redis was unavailable.",
}, []string{"op"})

// Locker takes short named locks with an expiry.
type Locker interface {
	// Acquire takes the lock name for ttl; ok is false when someone else holds it.
	// release gives it back only if it is still ours (compare-and-delete).
	Acquire(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool)
}

// Counters are expiring integer counters.
type Counters interface {
	// Incr adds by to key (creating it with ttl) and returns the new value.
	Incr(ctx context.Context, key string, by int64, ttl time.Duration) (int64, error)
}

type localLocker struct {
	mu    sync.Mutex
	locks map[string]localLock
}

type localLock struct {
	token   string
	expires time.Time
}

func newLocalLocker() *localLocker { return &localLocker{locks: map[string]localLock{}} }

func token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (l *localLocker) Acquire(_ context.Context, name string, ttl time.Duration) (func(), bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if cur, ok := l.locks[name]; ok && cur.expires.After(now) {
		return nil, false
	}
	if len(l.locks) > 100000 { // sweep expired entries now and then
		for k, v := range l.locks {
			if !v.expires.After(now) {
				delete(l.locks, k)
			}
		}
	}
	tok := token()
	l.locks[name] = localLock{token: tok, expires: now.Add(ttl)}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if cur, ok := l.locks[name]; ok && cur.token == tok {
			delete(l.locks, name)
		}
	}, true
}

type redisLocker struct {
	rdb      *redis.Client
	fallback *localLocker
}

var releaseScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)

func (r *redisLocker) Acquire(ctx context.Context, name string, ttl time.Duration) (func(), bool) {
	tok := token()
	ok, err := r.rdb.SetNX(ctx, "huabei:lock:"+name, tok, ttl).Result()
	if err != nil {
		// Redis down: lock in process. The database's unique keys still stop duplicates
		// across replicas; this only loses the early 409.
		RedisFallbacks.WithLabelValues("lock").Inc()
		return r.fallback.Acquire(ctx, name, ttl)
	}
	if !ok {
		return nil, false
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_ = releaseScript.Run(ctx, r.rdb, []string{"huabei:lock:" + name}, tok).Err()
	}, true
}

type localCounters struct {
	mu sync.Mutex
	m  map[string]localCounter
}

type localCounter struct {
	v       int64
	expires time.Time
}

func newLocalCounters() *localCounters { return &localCounters{m: map[string]localCounter{}} }

func (c *localCounters) Incr(_ context.Context, key string, by int64, ttl time.Duration) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	cur, ok := c.m[key]
	if !ok || !cur.expires.After(now) {
		cur = localCounter{expires: now.Add(ttl)}
	}
	cur.v += by
	c.m[key] = cur
	return cur.v, nil
}

type redisCounters struct {
	rdb      *redis.Client
	fallback *localCounters
}

func (r *redisCounters) Incr(ctx context.Context, key string, by int64, ttl time.Duration) (int64, error) {
	pipe := r.rdb.TxPipeline()
	incr := pipe.IncrBy(ctx, "huabei:ctr:"+key, by)
	pipe.ExpireNX(ctx, "huabei:ctr:"+key, ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		RedisFallbacks.WithLabelValues("counter").Inc()
		return r.fallback.Incr(ctx, key, by, ttl)
	}
	return incr.Val(), nil
}
