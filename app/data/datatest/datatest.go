package datatest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/huabei/huabei/app/data"
)

// MySQLServerDSN is the server the MariaDB tests create their databases on:
// HUABEI_TEST_MYSQL_DSN, default root over loopback.
func MySQLServerDSN() string {
	if s := os.Getenv("HUABEI_TEST_MYSQL_DSN"); s != "" {
		return s
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// RedisAddr is the Redis the tests use: HUABEI_TEST_REDIS_ADDR, default 127.0.0.1:6379.
func RedisAddr() string {
	if s := os.Getenv("HUABEI_TEST_REDIS_ADDR"); s != "" {
		return s
	}
	return "127.0.0.1:6379"
}

// NewMySQLDatabase creates an empty throwaway database and returns its DSN; the database
// is dropped when the test ends.
func NewMySQLDatabase(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLServerDSN())
	if err != nil {
		t.Fatalf("HUABEI_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("MariaDB is required for this test (run `make test`, which starts it): %v", err)
	}
	name := fmt.Sprintf("huabei_t_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			_, _ = a.Exec("DROP DATABASE IF EXISTS " + name)
			_ = a.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Open returns a migrated Data on the named engine ("sqlite" or "mysql"), closed at the
// end of the test. withRedis connects Redis too (a fresh key prefix is not needed: keys
// carry ids made by app/ids).
func Open(t testing.TB, engine string, withRedis bool) *data.Data {
	t.Helper()
	o := data.Options{Migrate: true}
	switch engine {
	case "sqlite":
		o.SQLitePath = filepath.Join(t.TempDir(), "test.db")
	case "mysql":
		o.MySQLDSN = NewMySQLDatabase(t)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	if withRedis {
		o.RedisAddr = RedisAddr()
	}
	d, cleanup, err := data.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(cleanup)
	if withRedis {
		if _, rerr := d.Ping(context.Background()); rerr != nil {
			t.Fatalf("Redis is required for this test (run `make test`, which starts it): %v", rerr)
		}
	}
	return d
}

// Engines lists the engines data tests run on. HUABEI_TEST_ENGINES ("sqlite,mysql" by
// default) narrows it for quick local runs; make test always runs both.
func Engines() []string {
	if s := os.Getenv("HUABEI_TEST_ENGINES"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{"sqlite", "mysql"}
}

// ForEachEngine runs fn as a subtest per engine with a fresh migrated database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, d *data.Data)) {
	for _, e := range Engines() {
		t.Run(e, func(t *testing.T) {
			fn(t, Open(t, e, false))
		})
	}
}
