package biz

import (
	"context"
	"sync"

	"github.com/huabei/huabei/app/clock"
)

// JobRun is what billing's jobs need from the job runner's run (app/job.Run satisfies it).
type JobRun interface {
	Checkpoint() string
	SaveCheckpoint(ctx context.Context, cp string, processedDelta int) error
}

// lister returns up to limit user ids after the given one, in order.
type lister func(ctx context.Context, after string, limit int) ([]string, error)

// runChunksBatch lists users after the run's checkpoint chunk by chunk and processes each
// chunk in one short transaction, up to cfg.Parallel chunks at once. The checkpoint
// moves to the end of the longest prefix of finished chunks, so a resumed run repeats
// at most the chunks in flight, which the per-(user, date) unique keys make no-ops.
func (uc *BillingUseCase) runChunksBatch(ctx context.Context, run JobRun, list lister, perChunk func(ctx context.Context, users []string) error) error {
	after := run.Checkpoint()
	type chunk struct {
		users []string
		done  bool
	}
	var (
		mu       sync.Mutex
		queue    []*chunk
		firstErr error
		wg       sync.WaitGroup
		// checkpointed counts chunks behind the saved checkpoint in this process; the
		// crash hook fires on it, so every crashed process has made progress.
		checkpointed int
	)
	sem := make(chan struct{}, uc.cfg.Parallel)
	advance := func() error {
		mu.Lock()
		defer mu.Unlock()
		n, last := 0, ""
		for len(queue) > 0 && queue[0].done {
			checkpointed++
			n += len(queue[0].users)
			last = queue[0].users[len(queue[0].users)-1]
			queue = queue[1:]
		}
		if n == 0 {
			return nil
		}
		return run.SaveCheckpoint(ctx, last, n)
	}
	for {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		users, err := list(ctx, after, uc.cfg.ChunkSize)
		if err != nil {
			mu.Lock()
			firstErr = err
			mu.Unlock()
			break
		}
		if len(users) == 0 {
			break
		}
		after = users[len(users)-1]
		c := &chunk{users: users}
		mu.Lock()
		queue = append(queue, c)
		mu.Unlock()
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := uc.tx.InTx(ctx, func(ctx context.Context) error { return perChunk(ctx, c.users) })
			if err == nil {
				mu.Lock()
				c.done = true
				mu.Unlock()
				err = advance()
			}
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			n := checkpointed
			mu.Unlock()
			if err == nil && uc.cfg.CrashAfterChunks > 0 && n >= uc.cfg.CrashAfterChunks && uc.crash != nil {
				uc.crash()
			}
		}()
		if len(users) < uc.cfg.ChunkSize {
			break
		}
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// SetCrashHook installs what runs after cfg.CrashAfterChunks chunks (crash tests only).
func (uc *BillingUseCase) SetCrashHook(f func()) { uc.crash = f }

// StatementsJob issues the statements dated date for every user with activity or a balance.
func (uc *BillingUseCase) StatementsJob(ctx context.Context, date clock.Date, run JobRun) error {
	if t, ok := run.(interface {
		SetTotal(ctx context.Context, n int64) error
	}); ok {
		if c, ok := uc.repo.(interface {
			CountUsers(ctx context.Context) (int64, error)
		}); ok {
			if n, err := c.CountUsers(ctx); err == nil {
				_ = t.SetTotal(ctx, n) // progress display only
			}
		}
	}
	return uc.runChunksBatch(ctx, run, uc.repo.UsersAfter, func(ctx context.Context, users []string) error {
		return uc.generateChunk(ctx, users, date)
	})
}

// AccrueJob accrues interest and penalties for date and updates delinquency for every
// user with an unpaid statement due before date (nobody else can accrue or be past due;
// an account it skips catches up, at zero, the next time it is accrued), chunk by chunk
// with set-based reads and writes.
func (uc *BillingUseCase) AccrueJob(ctx context.Context, date clock.Date, run JobRun) error {
	list := func(ctx context.Context, after string, limit int) ([]string, error) {
		return uc.repo.UsersToAccrueAfter(ctx, date, after, limit)
	}
	return uc.runChunksBatch(ctx, run, list, func(ctx context.Context, users []string) error {
		return uc.accrueChunk(ctx, users, date)
	})
}

// AutopayJob collects statements due on date from users with autopay on. Each collection
// runs in its own transactions (the channel call is outside any transaction).
func (uc *BillingUseCase) AutopayJob(ctx context.Context, date clock.Date, run JobRun) error {
	after := run.Checkpoint()
	for {
		items, err := uc.repo.AutopayDue(ctx, date, after, uc.cfg.ChunkSize)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		for _, it := range items {
			if err := uc.collectAutopay(ctx, it); err != nil {
				return err
			}
		}
		after = items[len(items)-1].UserID
		if err := run.SaveCheckpoint(ctx, after, len(items)); err != nil {
			return err
		}
		if len(items) < uc.cfg.ChunkSize {
			return nil
		}
	}
}
