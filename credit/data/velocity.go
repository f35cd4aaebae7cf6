package data

import (
	"context"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/credit/biz"
)

const (
	hourMs = int64(time.Hour / time.Millisecond)
	dayMs  = 24 * hourMs
)

// LocalVelocity keeps the sliding windows in process (embedded mode, and the fallback
// while Redis is down). Users are spread over shards so payments of different users do
// not contend on one mutex.
type LocalVelocity struct {
	seed   maphash.Seed
	shards [64]velocityShard
}

type velocityShard struct {
	mu    sync.Mutex
	users map[string][]velocityItem
}

type velocityItem struct {
	at        int64
	paymentID int64
	amount    int64
	merchant  string
	round     bool
}

var _ biz.VelocityStore = (*LocalVelocity)(nil)

// NewLocalVelocity returns an empty in-process store.
func NewLocalVelocity() *LocalVelocity {
	v := &LocalVelocity{seed: maphash.MakeSeed()}
	for i := range v.shards {
		v.shards[i].users = map[string][]velocityItem{}
	}
	return v
}

func (v *LocalVelocity) shard(user string) *velocityShard {
	return &v.shards[maphash.String(v.seed, user)%uint64(len(v.shards))]
}

// Admit implements biz.VelocityStore.
func (v *LocalVelocity) Admit(_ context.Context, e biz.VelocityEntry, lim biz.VelocityLimits) (string, error) {
	now := e.At.UnixMilli()
	s := v.shard(e.UserID)
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.users[e.UserID]
	// drop what left the 24-hour window (kept in time order, oldest first)
	cut := 0
	for cut < len(items) && items[cut].at <= now-dayMs {
		cut++
	}
	items = items[cut:]
	var hourN, dayN, roundN int
	var hourAmt, dayAmt int64
	for _, it := range items {
		if it.paymentID == e.PaymentID {
			s.users[e.UserID] = items
			return "", nil // already counted (retried transaction)
		}
		dayN++
		dayAmt += it.amount
		if it.at > now-hourMs {
			hourN++
			hourAmt += it.amount
		}
		if it.round && it.merchant == e.MerchantID {
			roundN++
		}
	}
	s.users[e.UserID] = items
	if reason := velocityVerdict(lim, e, hourN, dayN, roundN, hourAmt, dayAmt); reason != "" {
		if len(items) == 0 {
			delete(s.users, e.UserID)
		}
		return reason, nil
	}
	it := velocityItem{at: now, paymentID: e.PaymentID, amount: e.Amount.Fen(), merchant: e.MerchantID, round: e.NearLimitRound}
	// insert in time order (a test clock may move backwards)
	i := len(items)
	for i > 0 && items[i-1].at > now {
		i--
	}
	items = append(items, velocityItem{})
	copy(items[i+1:], items[i:])
	items[i] = it
	s.users[e.UserID] = items
	return "", nil
}

func velocityVerdict(lim biz.VelocityLimits, e biz.VelocityEntry, hourN, dayN, roundN int, hourAmt, dayAmt int64) string {
	amt := e.Amount.Fen()
	switch {
	case lim.MaxPerHour > 0 && hourN+1 > lim.MaxPerHour,
		lim.MaxPerDay > 0 && dayN+1 > lim.MaxPerDay,
		lim.MaxAmountHour > 0 && hourAmt+amt > lim.MaxAmountHour.Fen(),
		lim.MaxAmountDay > 0 && dayAmt+amt > lim.MaxAmountDay.Fen():
		return biz.DeclineVelocityLimit
	case e.NearLimitRound && lim.RoundRepeats > 0 && roundN+1 >= lim.RoundRepeats:
		return biz.DeclineCashOutRisk
	}
	return ""
}

// Forget implements biz.VelocityStore.
func (v *LocalVelocity) Forget(_ context.Context, e biz.VelocityEntry) {
	s := v.shard(e.UserID)
	s.mu.Lock()
	defer s.mu.Unlock()
	items := s.users[e.UserID]
	for i, it := range items {
		if it.paymentID == e.PaymentID {
			s.users[e.UserID] = append(items[:i:i], items[i+1:]...)
			return
		}
	}
}

// RedisVelocity keeps the windows in one sorted set per user (score = time in ms, member
// = "payment|amount fen|merchant|round flag"), checked and updated by one Lua script: one
// round trip per authorization, atomic across server replicas. On a Redis error it falls
// back to the in-process store and counts the fallback in huabei_redis_fallback_total
// {op="velocity"}: a Redis outage never fails a payment.
type RedisVelocity struct {
	rdb      *redis.Client
	fallback *LocalVelocity
	prefix   string
}

var _ biz.VelocityStore = (*RedisVelocity)(nil)

// NewRedisVelocity returns the Redis store with its in-process fallback.
func NewRedisVelocity(rdb *redis.Client, fallback *LocalVelocity) *RedisVelocity {
	return &RedisVelocity{rdb: rdb, fallback: fallback, prefix: "huabei:velocity:"}
}

// Client returns the Redis client (benchmarks compare against a bare PING).
func (r *RedisVelocity) Client() *redis.Client { return r.rdb }

var admitScript = redis.NewScript(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
local member = ARGV[2]
if redis.call('ZSCORE', key, member) then return '' end
local dayStart = now - 86400000
local hourStart = now - 3600000
redis.call('ZREMRANGEBYSCORE', key, '-inf', dayStart)
local items = redis.call('ZRANGEBYSCORE', key, '(' .. dayStart, '+inf', 'WITHSCORES')
local amount = tonumber(ARGV[3])
local merchant = ARGV[4]
local round = ARGV[5]
local hourN, dayN, hourAmt, dayAmt, roundN = 0, 0, 0, 0, 0
for i = 1, #items, 2 do
  local a, mer, r = string.match(items[i], '^[^|]*|(%d+)|(.*)|([01])$')
  a = tonumber(a) or 0
  dayN = dayN + 1
  dayAmt = dayAmt + a
  if tonumber(items[i + 1]) > hourStart then
    hourN = hourN + 1
    hourAmt = hourAmt + a
  end
  if r == '1' and mer == merchant then roundN = roundN + 1 end
end
local maxHour, maxDay = tonumber(ARGV[6]), tonumber(ARGV[7])
local maxAmtHour, maxAmtDay = tonumber(ARGV[8]), tonumber(ARGV[9])
local repeats = tonumber(ARGV[10])
if (maxHour > 0 and hourN + 1 > maxHour) or (maxDay > 0 and dayN + 1 > maxDay)
  or (maxAmtHour > 0 and hourAmt + amount > maxAmtHour) or (maxAmtDay > 0 and dayAmt + amount > maxAmtDay) then
  return 'VELOCITY_LIMIT'
end
if round == '1' and repeats > 0 and roundN + 1 >= repeats then return 'CASH_OUT_RISK' end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, 86400000 + 60000)
return ''
`)

func velocityMember(e biz.VelocityEntry) string {
	var b strings.Builder
	b.Grow(48 + len(e.MerchantID))
	b.WriteString(strconv.FormatInt(e.PaymentID, 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(e.Amount.Fen(), 10))
	b.WriteByte('|')
	b.WriteString(e.MerchantID)
	if e.NearLimitRound {
		b.WriteString("|1")
	} else {
		b.WriteString("|0")
	}
	return b.String()
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Admit implements biz.VelocityStore.
func (r *RedisVelocity) Admit(ctx context.Context, e biz.VelocityEntry, lim biz.VelocityLimits) (string, error) {
	res, err := admitScript.Run(ctx, r.rdb, []string{r.prefix + e.UserID},
		e.At.UnixMilli(), velocityMember(e), e.Amount.Fen(), e.MerchantID, boolArg(e.NearLimitRound),
		lim.MaxPerHour, lim.MaxPerDay, lim.MaxAmountHour.Fen(), lim.MaxAmountDay.Fen(), lim.RoundRepeats).Text()
	if err != nil && err != redis.Nil {
		data.RedisFallbacks.WithLabelValues("velocity").Inc()
		return r.fallback.Admit(ctx, e, lim)
	}
	return res, nil
}

// Forget implements biz.VelocityStore.
func (r *RedisVelocity) Forget(ctx context.Context, e biz.VelocityEntry) {
	if err := r.rdb.ZRem(ctx, r.prefix+e.UserID, velocityMember(e)).Err(); err != nil {
		data.RedisFallbacks.WithLabelValues("velocity").Inc()
	}
	r.fallback.Forget(ctx, e)
}
