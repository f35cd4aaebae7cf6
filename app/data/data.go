package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // embedded default driver "sqlite"
)

// Options says which database and Redis to open.
type Options struct {
	// MySQLDSN selects MySQL/MariaDB when set; otherwise SQLite in DataDir.
	MySQLDSN string
	// DataDir is the folder of the SQLite file (created if missing).
	DataDir string
	// SQLitePath overrides the SQLite file path (tests use a temp file).
	SQLitePath string
	// RedisAddr enables Redis when set.
	RedisAddr string
	// RedisPassword and RedisDB configure the Redis connection.
	RedisPassword string
	RedisDB       int
	// MaxOpenConns bounds the SQL pool (defaults: 64 MySQL, 8 SQLite).
	MaxOpenConns int
	// Migrate runs the embedded migrations after connecting.
	Migrate bool
}

// Data holds the shared connections.
type Data struct {
	db      *sql.DB
	Dialect Dialect
	// Redis is nil when no Redis is configured.
	Redis *redis.Client
	// Locks are short-lived named locks: Redis when configured (with an in-process
	// fallback while Redis is down), in process otherwise.
	Locks Locker
	// Counters are expiring counters: Redis when configured, in process otherwise.
	Counters Counters
}

// Open connects to the database (and Redis) described by o and returns a cleanup func.
func Open(ctx context.Context, o Options) (*Data, func(), error) {
	d := &Data{}
	var err error
	if o.MySQLDSN != "" {
		d.db, err = openMySQL(o)
		d.Dialect = MySQL
	} else {
		d.db, err = openSQLite(o)
		d.Dialect = SQLite
	}
	if err != nil {
		return nil, nil, err
	}
	local := newLocalLocker()
	d.Locks = local
	d.Counters = newLocalCounters()
	if o.RedisAddr != "" {
		d.Redis = redis.NewClient(&redis.Options{
			Addr: o.RedisAddr, Password: o.RedisPassword, DB: o.RedisDB,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
			PoolSize: 64, MaxRetries: 1,
		})
		d.Locks = &redisLocker{rdb: d.Redis, fallback: local}
		d.Counters = &redisCounters{rdb: d.Redis, fallback: d.Counters.(*localCounters)}
	}
	cleanup := func() {
		if d.Redis != nil {
			_ = d.Redis.Close()
		}
		_ = d.db.Close()
	}
	if o.Migrate {
		if err := Migrate(ctx, d.db, d.Dialect); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	if err := CheckIDCollation(ctx, d.db, d.Dialect); err != nil {
		cleanup()
		return nil, nil, err
	}
	return d, cleanup, nil
}

func openMySQL(o Options) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(o.MySQLDSN)
	if err != nil {
		return nil, errors.New("data: HUABEI_MYSQL_DSN is not a valid MySQL DSN")
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// One round trip per statement: the driver interpolates arguments client-side.
	cfg.InterpolateParams = true
	cfg.ParseTime = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	// READ COMMITTED: every money write is a conditional update or runs under a row lock,
	// so repeatable-read snapshots buy nothing, while their gap locks turn concurrent
	// inserts of new users' rows into deadlocks. MariaDB < 11.1 and MySQL 5.7 call the
	// variable tx_isolation, newer servers transaction_isolation.
	if _, set := cfg.Params["transaction_isolation"]; !set {
		if _, set := cfg.Params["tx_isolation"]; !set {
			cfg.Params[isolationVariable(cfg)] = "'READ-COMMITTED'"
		}
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("data: mysql connector: %w", err)
	}
	db := sql.OpenDB(connector)
	n := o.MaxOpenConns
	if n == 0 {
		n = 64
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, nil
}

// isolationVariable asks the server which name its isolation variable has; on any error
// it guesses the older name, which every MariaDB still accepts.
func isolationVariable(cfg *mysql.Config) string {
	probe := cfg.Clone()
	probe.Params = nil
	c, err := mysql.NewConnector(probe)
	if err != nil {
		return "tx_isolation"
	}
	db := sql.OpenDB(c)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, "SELECT @@transaction_isolation").Scan(&v); err == nil {
		return "transaction_isolation"
	}
	return "tx_isolation"
}

func openSQLite(o Options) (*sql.DB, error) {
	path := o.SQLitePath
	if path == "" {
		dir := o.DataDir
		if dir == "" {
			dir = "./var"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("data: create data dir: %w", err)
		}
		path = filepath.Join(dir, "huabei.db")
	}
	// WAL lets readers run beside the writer; immediate transactions take the write lock
	// at BEGIN so two writers never deadlock upgrading read locks; the busy timeout makes
	// writers queue instead of failing.
	// The path is part of a URI: escape the characters that would end it early.
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	dsn := "file:" + escaped + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("data: open sqlite: %w", err)
	}
	n := o.MaxOpenConns
	if n == 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, nil
}

// SQL returns the connection pool (for migrations, health checks and benchmarks).
func (d *Data) SQL() *sql.DB { return d.db }

// Ping checks the database and, when configured, Redis.
func (d *Data) Ping(ctx context.Context) (dbErr, redisErr error) {
	dbErr = d.db.PingContext(ctx)
	if dbErr == nil {
		var one int
		dbErr = d.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}
	if d.Redis != nil {
		redisErr = d.Redis.Ping(ctx).Err()
	}
	return dbErr, redisErr
}

// IsUnavailable reports whether err means the database cannot be reached (so callers
// answer 503 rather than 500).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	s := err.Error()
	for _, p := range []string{"connection refused", "bad connection", "broken pipe", "i/o timeout", "connection reset", "invalid connection", "driver: bad connection", "Too many connections", "server has gone away"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
