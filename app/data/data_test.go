package data_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
)

func TestTransactionsAndDialect(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		exec := func(ctx context.Context, q string, args ...any) {
			t.Helper()
			if _, err := d.DB(ctx).ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(ctx, "CREATE TABLE t_counter (k VARCHAR(16) NOT NULL PRIMARY KEY, n BIGINT NOT NULL)")

		// commit
		if err := d.InTx(ctx, func(ctx context.Context) error {
			exec(ctx, "INSERT INTO t_counter (k, n) VALUES (?, ?)", "a", 1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// rollback, including a nested InTx that joins the outer one
		boom := errors.New("boom")
		err := d.InTx(ctx, func(ctx context.Context) error {
			exec(ctx, "INSERT INTO t_counter (k, n) VALUES (?, ?)", "b", 1)
			return d.InTx(ctx, func(ctx context.Context) error {
				if !data.InTransaction(ctx) {
					t.Error("nested call lost the transaction")
				}
				exec(ctx, "UPDATE t_counter SET n = 99 WHERE k = ?", "a")
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx err = %v", err)
		}
		var n int
		if err := d.DB(ctx).QueryRowContext(ctx, "SELECT COUNT(*) FROM t_counter").Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows after rollback = %d, %v", n, err)
		}
		if err := d.DB(ctx).QueryRowContext(ctx, "SELECT n FROM t_counter WHERE k = 'a'").Scan(&n); err != nil || n != 1 {
			t.Fatalf("a after rollback = %d, %v", n, err)
		}

		// duplicate detection and insert-ignore
		_, err = d.DB(ctx).ExecContext(ctx, "INSERT INTO t_counter (k, n) VALUES ('a', 5)")
		if !d.Dialect.IsDuplicate(err) {
			t.Fatalf("IsDuplicate(%v) = false", err)
		}
		res, err := d.DB(ctx).ExecContext(ctx, d.Dialect.InsertIgnore()+" t_counter (k, n) VALUES ('a', 5)")
		if err != nil {
			t.Fatal(err)
		}
		if ra, _ := res.RowsAffected(); ra != 0 {
			t.Fatalf("insert ignore affected %d rows", ra)
		}

		// additive upsert under concurrency: no lost update
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					err := d.InTx(ctx, func(ctx context.Context) error {
						_, err := d.DB(ctx).ExecContext(ctx, "INSERT INTO t_counter (k, n) VALUES ('c', 1)"+d.Dialect.Upsert([]string{"k"}, true, "n"))
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := d.DB(ctx).QueryRowContext(ctx, "SELECT n FROM t_counter WHERE k = 'c'").Scan(&n); err != nil || n != 200 {
			t.Fatalf("counter = %d, %v; want 200", n, err)
		}
		// replacing upsert
		exec(ctx, "INSERT INTO t_counter (k, n) VALUES ('c', 7)"+d.Dialect.Upsert([]string{"k"}, false, "n"))
		if err := d.DB(ctx).QueryRowContext(ctx, "SELECT n FROM t_counter WHERE k = 'c'").Scan(&n); err != nil || n != 7 {
			t.Fatalf("counter = %d, %v; want 7", n, err)
		}
		if dbErr, _ := d.Ping(ctx); dbErr != nil {
			t.Fatal(dbErr)
		}
	})
}

func TestLocksAndCounters(t *testing.T) {
	for _, redis := range []bool{false, true} {
		name := "local"
		if redis {
			name = "redis"
		}
		t.Run(name, func(t *testing.T) {
			d := datatest.Open(t, "sqlite", redis)
			ctx := context.Background()
			key := "test-" + time.Now().Format("150405.000000000")
			release, ok := d.Locks.Acquire(ctx, key, time.Minute)
			if !ok {
				t.Fatal("first acquire failed")
			}
			if _, ok := d.Locks.Acquire(ctx, key, time.Minute); ok {
				t.Fatal("second acquire succeeded while held")
			}
			release()
			release2, ok := d.Locks.Acquire(ctx, key, time.Minute)
			if !ok {
				t.Fatal("acquire after release failed")
			}
			release2()
			for i := 1; i <= 3; i++ {
				n, err := d.Counters.Incr(ctx, key, 2, time.Minute)
				if err != nil || n != int64(2*i) {
					t.Fatalf("Incr = %d, %v", n, err)
				}
			}
		})
	}
}

func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := t.TempDir() + "/a#b?c%d"
	d, cleanup, err := data.Open(context.Background(), data.Options{DataDir: dir, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if _, err := os.Stat(dir + "/huabei.db"); err != nil {
		t.Fatalf("database not created where asked: %v", err)
	}
	_ = d
}

func TestMySQLReadCommitted(t *testing.T) {
	d := datatest.Open(t, "mysql", false)
	var v string
	if err := d.SQL().QueryRow("SELECT @@tx_isolation").Scan(&v); err != nil {
		if err := d.SQL().QueryRow("SELECT @@transaction_isolation").Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	if v != "READ-COMMITTED" {
		t.Fatalf("isolation = %s, want READ-COMMITTED", v)
	}
}
