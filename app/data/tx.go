package data

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Querier is what a repository needs: satisfied by *sql.DB and *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type txKey struct{}

// txSeqKey carries the sequence number of the transaction in a context.
type txSeqKey struct{}

// txSeq numbers transactions (attempts included) in this process.
var txSeq atomic.Uint64

// TxSeq returns the sequence number of the transaction open in ctx: transactions begun
// one after another get consecutive numbers, and a retried transaction a new one. The
// ledger spreads long transactions over the shards of its hot accounts with it.
func TxSeq(ctx context.Context) (uint64, bool) {
	n, ok := ctx.Value(txSeqKey{}).(uint64)
	return n, ok
}

// Transactor runs functions in one database transaction (biz layers declare this
// interface themselves; *Data satisfies it).
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// maxTxAttempts bounds the retries of a transaction that lost a deadlock or lock wait.
const maxTxAttempts = 12

// InTx runs fn inside a transaction carried by the returned context. Nested calls join
// the outer transaction. The outermost call commits when fn returns nil and rolls back
// otherwise; when the database reports a deadlock, lock-wait timeout or busy database it
// rolls back and runs fn again from the start (so fn must touch nothing but the
// database), up to maxTxAttempts times, so such errors never reach callers.
func (d *Data) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx)
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = d.runTx(ctx, fn)
		if err == nil || !d.Dialect.IsRetryable(err) || attempt == maxTxAttempts || ctx.Err() != nil {
			return err
		}
		// jittered backoff: 1ms, 2ms, 4ms ... capped at 50ms
		backoff := time.Duration(1<<min(attempt-1, 6)) * time.Millisecond
		backoff = min(backoff, 50*time.Millisecond)
		time.Sleep(backoff/2 + time.Duration(rand.Int64N(int64(backoff))))
	}
}

func (d *Data) runTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("data: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	tctx := context.WithValue(context.WithValue(ctx, txKey{}, tx), txSeqKey{}, txSeq.Add(1))
	if err := fn(tctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("data: commit: %w", err)
	}
	return nil
}

// DB returns the transaction open in ctx, or the pool when there is none.
func (d *Data) DB(ctx context.Context) Querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return d.db
}

// InTransaction reports whether ctx carries an open transaction.
func InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*sql.Tx)
	return ok
}
