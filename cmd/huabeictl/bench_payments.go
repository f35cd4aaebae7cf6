package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

func init() { addCommand(newBenchCmd) }

// benchSubcommands are the `huabeictl bench X` commands other files add with
// addBenchCommand from their init functions (bench statements, bench abs, ...).
var benchSubcommands []func() *cobra.Command

// addBenchCommand registers a `bench` subcommand constructor.
func addBenchCommand(f func() *cobra.Command) { benchSubcommands = append(benchSubcommands, f) }

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "load benchmarks against a running server (payments, ...)"}
	cmd.AddCommand(newBenchPaymentsCmd())
	for _, f := range benchSubcommands {
		cmd.AddCommand(f())
	}
	return cmd
}

type benchPaymentsOptions struct {
	server      string
	duration    time.Duration
	concurrency int
	users       int
	merchants   int
	amount      string
	mysqlDSN    string
	secret      string
	noBaseline  bool
}

func newBenchPaymentsCmd() *cobra.Command {
	var o benchPaymentsOptions
	cmd := &cobra.Command{
		Use:   "payments --server URL --duration 30s --concurrency N --users U [--mysql-dsn DSN]",
		Short: "drive authorize+capture over HTTP, then a bare-SQL baseline on the same MySQL; print throughput, latency and the ratio",
		Long: `Seeds U shoppers (profile + approved line) through the API with an ops token, mints
merchant tokens (JWT secret from HUABEI_JWT_SECRET / the configuration), then N workers
authorize and capture payments over HTTP for the duration. Afterwards the same number of
workers run, for the same duration, a minimal SQL transaction pair doing the same row work
(conditional line update + payment insert; payment lock, line update, payment update,
purchase insert, journal entry with three postings and three balance upserts) directly
against the database (scratch bench_* tables, dropped afterwards), and the ratio of the
two throughputs is printed. Velocity rules (default 30 payments per user and hour) decline
payments of a user beyond that: use enough users for the run (see the printed declines).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchPayments(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "http://127.0.0.1:8000", "server base URL")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "length of each phase (service, baseline)")
	f.IntVar(&o.concurrency, "concurrency", 16, "concurrent workers")
	f.IntVar(&o.users, "users", 1000, "shoppers to seed and spread payments over")
	f.IntVar(&o.merchants, "merchants", 10, "merchants (tokens) to spread payments over")
	f.StringVar(&o.amount, "amount", "1.00", "amount of each payment")
	f.StringVar(&o.mysqlDSN, "mysql-dsn", "", "MySQL DSN of the server's database for the baseline (default HUABEI_MYSQL_DSN)")
	f.StringVar(&o.secret, "jwt-secret", "", "JWT secret of the server (default HUABEI_JWT_SECRET or the configuration)")
	f.BoolVar(&o.noBaseline, "no-baseline", false, "skip the bare-SQL baseline")
	return cmd
}

// latencies collects durations from many workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, ds...)
	l.mu.Unlock()
}

func (l *latencies) percentiles() string {
	if len(l.d) == 0 {
		return "n/a"
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	p := func(q float64) time.Duration { return l.d[min(len(l.d)-1, int(q*float64(len(l.d))))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d)", ms(p(.50)), ms(p(.95)), ms(p(.99)), ms(l.d[len(l.d)-1]), len(l.d))
}

// counters is a concurrent map of outcome counts.
type counters struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counters) inc(k string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
	c.mu.Unlock()
}

func (c *counters) String() string {
	if len(c.m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, c.m[k])
	}
	return strings.Join(parts, " ")
}

type benchClient struct {
	base string
	http *http.Client
}

// call posts/puts body and decodes a JSON object reply.
func (c *benchClient) call(ctx context.Context, method, path, token string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

func runBenchPayments(ctx context.Context, w io.Writer, o benchPaymentsOptions) error {
	if o.concurrency < 1 || o.users < 1 || o.merchants < 1 || o.duration <= 0 {
		return errors.New("--concurrency, --users, --merchants and --duration must be positive")
	}
	cfg, err := conf.Load()
	if err != nil {
		return err
	}
	if o.secret == "" {
		o.secret = cfg.Server.JWTSecret
	}
	if o.mysqlDSN == "" {
		o.mysqlDSN = cfg.Data.MySQLDSN
	}
	mint := func(sub string, role auth.Role) (string, error) {
		// the server refuses tokens living longer than auth.max_token_ttl (default 24h)
		return auth.Mint(o.secret, sub, role, min(2*time.Hour+o.duration, auth.DefaultMaxTokenTTL), time.Now())
	}
	run := fmt.Sprintf("b%d", time.Now().Unix())
	opsToken, err := mint("bench-ops", auth.RoleOps)
	if err != nil {
		return err
	}
	merchantTokens := make([]string, o.merchants)
	for i := range merchantTokens {
		if merchantTokens[i], err = mint(fmt.Sprintf("%s-m%d", run, i), auth.RoleMerchant); err != nil {
			return err
		}
	}
	c := &benchClient{base: strings.TrimRight(o.server, "/"), http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: o.concurrency * 2, MaxIdleConnsPerHost: o.concurrency * 2, IdleConnTimeout: time.Minute},
	}}
	users := make([]string, o.users)
	for i := range users {
		users[i] = fmt.Sprintf("%s-u%d", run, i)
	}

	// Seed shoppers through the API.
	fmt.Fprintf(w, "seeding %d users on %s ...\n", o.users, c.base)
	start := time.Now()
	if err := parallel(ctx, o.concurrency, len(users), func(ctx context.Context, i int) error {
		u := users[i]
		st, body, err := c.call(ctx, "PUT", "/v1/credit/profiles/"+u, opsToken, benchProfile)
		if err != nil || st != 200 {
			return fmt.Errorf("seed profile %s: %d %v %v", u, st, body, err)
		}
		st, body, err = c.call(ctx, "POST", "/v1/credit/applications", opsToken, map[string]string{"user_id": u})
		if err != nil || st != 200 || body["decision"] != "approved" {
			return fmt.Errorf("seed application %s: %d %v %v", u, st, body, err)
		}
		return nil
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded in %s\n", time.Since(start).Round(time.Millisecond))

	// Service phase.
	var authLat, capLat latencies
	var outcomes, errs counters
	var pairs, auths atomic.Int64
	fmt.Fprintf(w, "service: %d workers for %s ...\n", o.concurrency, o.duration)
	phaseCtx, cancel := context.WithTimeout(ctx, o.duration)
	var wg sync.WaitGroup
	for wi := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(wi), 42))
			var al, cl []time.Duration
			defer func() { authLat.add(al); capLat.add(cl) }()
			for seq := 0; phaseCtx.Err() == nil; seq++ {
				u := users[rng.IntN(len(users))]
				tok := merchantTokens[rng.IntN(len(merchantTokens))]
				t0 := time.Now()
				st, body, err := c.call(phaseCtx, "POST", "/v1/payments", tok, map[string]any{
					"user_id": u, "merchant_order_id": fmt.Sprintf("%s-w%d-%d", run, wi, seq), "amount": o.amount,
				})
				if phaseCtx.Err() != nil {
					return
				}
				if err != nil || st != 200 {
					errs.inc(fmt.Sprintf("authorize:%d", st))
					continue
				}
				al = append(al, time.Since(t0))
				auths.Add(1)
				status, _ := body["status"].(string)
				if status != "authorized" {
					reason, _ := body["decline_reason"].(string)
					outcomes.inc("declined:" + reason)
					continue
				}
				outcomes.inc("authorized")
				id, _ := body["payment_id"].(string)
				t1 := time.Now()
				st, _, err = c.call(phaseCtx, "POST", "/v1/payments/"+id+"/capture", tok, map[string]any{})
				if phaseCtx.Err() != nil {
					return
				}
				if err != nil || st != 200 {
					errs.inc(fmt.Sprintf("capture:%d", st))
					continue
				}
				cl = append(cl, time.Since(t1))
				pairs.Add(1)
			}
		}()
	}
	wg.Wait()
	cancel()
	svcRate := float64(pairs.Load()) / o.duration.Seconds()
	fmt.Fprintf(w, "service:  %.1f authorize+capture/s (%d pairs, %.1f authorizations/s)\n", svcRate, pairs.Load(), float64(auths.Load())/o.duration.Seconds())
	fmt.Fprintf(w, "  authorize %s\n", authLat.percentiles())
	fmt.Fprintf(w, "  capture   %s\n", capLat.percentiles())
	fmt.Fprintf(w, "  outcomes  %s\n", outcomes.String())
	fmt.Fprintf(w, "  errors    %s\n", errs.String())

	if o.noBaseline {
		return nil
	}
	if o.mysqlDSN == "" {
		fmt.Fprintln(w, "baseline: skipped (no --mysql-dsn and no HUABEI_MYSQL_DSN)")
		return nil
	}
	base, err := runBaseline(ctx, w, o)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if base > 0 {
		fmt.Fprintf(w, "ratio service/baseline: %.2f\n", svcRate/base)
	}
	return nil
}

// benchProfile is approved with a 50,000.00 line by the shipped policy.
var benchProfile = map[string]any{
	"kyc_verified": true, "age": 35, "education": "master", "employment": "employed", "employment_months": 96,
	"monthly_income": "30000.00", "assets": "2000000.00", "housing": "own", "credit_history_months": 120,
	"late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0,
}

// parallel runs fn(0..n-1) on `workers` goroutines and returns the first error.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

var baselineSchema = []string{
	`CREATE TABLE bench_line (user_id VARCHAR(64) NOT NULL PRIMARY KEY, limit_amount BIGINT NOT NULL, held BIGINT NOT NULL, outstanding BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
	`CREATE TABLE bench_payment (id BIGINT NOT NULL, user_id VARCHAR(64) NOT NULL, merchant_id VARCHAR(64) NOT NULL, merchant_order_id VARCHAR(64) NOT NULL,
	  amount BIGINT NOT NULL, captured_amount BIGINT NOT NULL, status VARCHAR(16) NOT NULL, authorized_at BIGINT NOT NULL, captured_at BIGINT NOT NULL,
	  PRIMARY KEY (user_id, id), UNIQUE KEY ux_bench_payment_id (id), UNIQUE KEY ux_bench_payment_order (merchant_id, merchant_order_id))`,
	`CREATE TABLE bench_purchase (id BIGINT NOT NULL, user_id VARCHAR(64) NOT NULL, payment_id BIGINT NOT NULL, amount BIGINT NOT NULL, capture_date INT NOT NULL,
	  PRIMARY KEY (user_id, id), UNIQUE KEY ux_bench_purchase_payment (payment_id))`,
	`CREATE TABLE bench_entry (id BIGINT NOT NULL PRIMARY KEY, idempotency_id VARCHAR(191) NOT NULL, business_date INT NOT NULL, created_at BIGINT NOT NULL,
	  UNIQUE KEY ux_bench_entry_idem (idempotency_id))`,
	`CREATE TABLE bench_posting (entry_id BIGINT NOT NULL, seq INT NOT NULL, account VARCHAR(64) NOT NULL, owner VARCHAR(64) NOT NULL, debit BIGINT NOT NULL, credit BIGINT NOT NULL,
	  PRIMARY KEY (entry_id, seq))`,
	`CREATE TABLE bench_balance (account VARCHAR(64) NOT NULL, owner VARCHAR(64) NOT NULL, shard INT NOT NULL, debits BIGINT NOT NULL, credits BIGINT NOT NULL,
	  PRIMARY KEY (account, owner, shard))`,
}

var baselineTables = []string{"bench_line", "bench_payment", "bench_purchase", "bench_entry", "bench_posting", "bench_balance"}

// runBaseline measures the bare-SQL authorize+capture pair rate on the same database.
func runBaseline(ctx context.Context, w io.Writer, o benchPaymentsOptions) (float64, error) {
	d, cleanup, err := data.Open(ctx, data.Options{MySQLDSN: o.mysqlDSN})
	if err != nil {
		return 0, err
	}
	defer cleanup()
	db := d.SQL()
	drop := func() {
		for _, t := range baselineTables {
			_, _ = db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+t)
		}
	}
	drop()
	defer drop()
	for _, s := range baselineSchema {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return 0, err
		}
	}
	const limit = 5_000_000 // 50,000.00
	users := make([]string, o.users)
	for i := range users {
		users[i] = fmt.Sprintf("bu%d", i)
	}
	for lo := 0; lo < len(users); lo += 500 {
		hi := min(lo+500, len(users))
		var sb strings.Builder
		args := make([]any, 0, (hi-lo)*2)
		sb.WriteString("INSERT INTO bench_line (user_id, limit_amount, held, outstanding, updated_at) VALUES ")
		for i := lo; i < hi; i++ {
			if i > lo {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, 0, 0, 0)")
			args = append(args, users[i], limit)
		}
		if _, err := db.ExecContext(ctx, sb.String(), args...); err != nil {
			return 0, err
		}
	}
	a, err := money.ParsePositive(o.amount)
	if err != nil {
		return 0, fmt.Errorf("--amount: %w", err)
	}
	amount := int64(a)
	discount := int64(a.MulRate(decimal.RequireFromString("0.006"), money.HalfUp))

	var authLat, capLat latencies
	var errs counters
	var pairs atomic.Int64
	fmt.Fprintf(w, "baseline: %d workers for %s ...\n", o.concurrency, o.duration)
	phaseCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for wi := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(wi), 7))
			var al, cl []time.Duration
			defer func() { authLat.add(al); capLat.add(cl) }()
			for seq := 0; phaseCtx.Err() == nil; seq++ {
				u := users[rng.IntN(len(users))]
				merchant := fmt.Sprintf("bm%d", rng.IntN(o.merchants))
				id := ids.New()
				now := time.Now().UnixMilli()
				t0 := time.Now()
				ok, err := sqlTx(phaseCtx, db, func(tx *sql.Tx) (bool, error) {
					res, err := tx.ExecContext(phaseCtx, "UPDATE bench_line SET held = held + ?, updated_at = ? WHERE user_id = ? AND limit_amount - held - outstanding >= ?", amount, now, u, amount)
					if err != nil {
						return false, err
					}
					if n, _ := res.RowsAffected(); n == 0 {
						return false, nil
					}
					_, err = tx.ExecContext(phaseCtx, "INSERT INTO bench_payment (id, user_id, merchant_id, merchant_order_id, amount, captured_amount, status, authorized_at, captured_at) VALUES (?, ?, ?, ?, ?, 0, 'authorized', ?, 0)",
						id, u, merchant, fmt.Sprintf("w%d-%d", wi, seq), amount, now)
					return err == nil, err
				})
				if phaseCtx.Err() != nil {
					return
				}
				if err != nil || !ok {
					errs.inc(fmt.Sprintf("authorize:%v", errKind(err, ok)))
					continue
				}
				al = append(al, time.Since(t0))
				t1 := time.Now()
				_, err = sqlTx(phaseCtx, db, func(tx *sql.Tx) (bool, error) {
					var amt int64
					var status string
					if err := tx.QueryRowContext(phaseCtx, "SELECT amount, status FROM bench_payment WHERE id = ? FOR UPDATE", id).Scan(&amt, &status); err != nil {
						return false, err
					}
					if _, err := tx.ExecContext(phaseCtx, "UPDATE bench_line SET held = held - ?, outstanding = outstanding + ?, updated_at = ? WHERE user_id = ?", amt, amt, now, u); err != nil {
						return false, err
					}
					if _, err := tx.ExecContext(phaseCtx, "UPDATE bench_payment SET status = 'captured', captured_amount = ?, captured_at = ? WHERE user_id = ? AND id = ?", amt, now, u, id); err != nil {
						return false, err
					}
					if _, err := tx.ExecContext(phaseCtx, "INSERT INTO bench_purchase (id, user_id, payment_id, amount, capture_date) VALUES (?, ?, ?, ?, 20260101)", ids.New(), u, id, amt); err != nil {
						return false, err
					}
					entry := ids.New()
					if _, err := tx.ExecContext(phaseCtx, "INSERT INTO bench_entry (id, idempotency_id, business_date, created_at) VALUES (?, ?, 20260101, ?)", entry, fmt.Sprintf("payment:%d:capture", id), now); err != nil {
						return false, err
					}
					if _, err := tx.ExecContext(phaseCtx, "INSERT INTO bench_posting (entry_id, seq, account, owner, debit, credit) VALUES (?, 0, 'receivable.principal', ?, ?, 0), (?, 1, 'merchant.payable', ?, 0, ?), (?, 2, 'income.merchant_discount', '', 0, ?)",
						entry, u, amt, entry, merchant, amt-discount, entry, discount); err != nil {
						return false, err
					}
					shard := int(id % 16)
					_, err := tx.ExecContext(phaseCtx, "INSERT INTO bench_balance (account, owner, shard, debits, credits) VALUES ('income.merchant_discount', '', ?, 0, ?), ('merchant.payable', ?, ?, 0, ?), ('receivable.principal', ?, 0, ?, 0) ON DUPLICATE KEY UPDATE debits = debits + VALUES(debits), credits = credits + VALUES(credits)",
						shard, discount, merchant, shard, amt-discount, u, amt)
					return err == nil, err
				})
				if phaseCtx.Err() != nil {
					return
				}
				if err != nil {
					errs.inc("capture:" + errKind(err, true))
					continue
				}
				cl = append(cl, time.Since(t1))
				pairs.Add(1)
			}
		}()
	}
	wg.Wait()
	rate := float64(pairs.Load()) / o.duration.Seconds()
	fmt.Fprintf(w, "baseline: %.1f authorize+capture/s (%d pairs)\n", rate, pairs.Load())
	fmt.Fprintf(w, "  authorize tx %s\n", authLat.percentiles())
	fmt.Fprintf(w, "  capture tx   %s\n", capLat.percentiles())
	fmt.Fprintf(w, "  errors       %s\n", errs.String())
	return rate, nil
}

func errKind(err error, ok bool) string {
	switch {
	case err == nil && !ok:
		return "no_credit"
	case err == nil:
		return "ok"
	}
	s := err.Error()
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ReplaceAll(s, " ", "_")
}

// sqlTx runs fn in a transaction, retrying deadlocks a few times like the service does.
func sqlTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) (bool, error)) (bool, error) {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var tx *sql.Tx
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			return false, err
		}
		var ok bool
		ok, err = fn(tx)
		if err != nil || !ok {
			_ = tx.Rollback()
			if err != nil && data.MySQL.IsRetryable(err) {
				continue
			}
			return ok, err
		}
		if err = tx.Commit(); err == nil {
			return true, nil
		}
		if !data.MySQL.IsRetryable(err) {
			return false, err
		}
	}
	return false, err
}
