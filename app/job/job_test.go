package job

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
)

var day = clock.NewDate(2026, 12, 1)

// chunked is a job over items 0..n-1 in chunks of 10 that records each processed item
// in counts and fails once after failAfter chunks (when failAfter > 0).
type chunked struct {
	n         int
	counts    []atomic.Int32
	failAfter int
	failed    atomic.Bool
	gate      chan struct{} // when set, each chunk waits on it
}

func newChunked(n int) *chunked { return &chunked{n: n, counts: make([]atomic.Int32, n)} }

func (c *chunked) fn(d *data.Data) JobFunc {
	return func(ctx context.Context, run *Run) error {
		start := 0
		if cp := run.Checkpoint(); cp != "" {
			start, _ = strconv.Atoi(cp)
		}
		chunks := 0
		for i := start; i < c.n; i += 10 {
			if c.gate != nil {
				select {
				case <-c.gate:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if c.failAfter > 0 && chunks == c.failAfter && !c.failed.Load() {
				c.failed.Store(true)
				return errors.New("boom")
			}
			end := min(i+10, c.n)
			err := d.InTx(ctx, func(ctx context.Context) error {
				return run.SaveCheckpoint(ctx, strconv.Itoa(end), end-i)
			})
			if err != nil {
				return err
			}
			for k := i; k < end; k++ {
				c.counts[k].Add(1)
			}
			chunks++
		}
		return nil
	}
}

func (c *chunked) assertOnce(t *testing.T) {
	t.Helper()
	for i := range c.counts {
		if n := c.counts[i].Load(); n != 1 {
			t.Fatalf("item %d processed %d times", i, n)
		}
	}
}

func TestRunner(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		t.Run("not repeated", func(t *testing.T) {
			r := NewRunner(d, log.DefaultLogger, Options{})
			c := newChunked(35)
			r.Register("a", c.fn(d))
			info, err := r.Run(ctx, "a", day)
			if err != nil || info.Status != StatusSucceeded || info.Processed != 35 {
				t.Fatalf("run = %+v, %v", info, err)
			}
			again, err := r.Run(ctx, "a", day)
			if err != nil || again.Status != StatusSucceeded || again.Attempts != 1 {
				t.Fatalf("repeat = %+v, %v", again, err)
			}
			c.assertOnce(t)
			if _, err := r.Run(ctx, "nope", day); !errors.Is(err, ErrJobNotFound) {
				t.Fatalf("unknown job err = %v", err)
			}
		})
		t.Run("failed run resumes from checkpoint", func(t *testing.T) {
			r := NewRunner(d, log.DefaultLogger, Options{})
			c := newChunked(50)
			c.failAfter = 2
			r.Register("b", c.fn(d))
			info, err := r.Run(ctx, "b", day)
			if err != nil || info.Status != StatusFailed || info.Checkpoint != "20" || info.Processed != 20 {
				t.Fatalf("first = %+v, %v", info, err)
			}
			info, err = r.Run(ctx, "b", day)
			if err != nil || info.Status != StatusSucceeded || info.Processed != 50 || info.Attempts != 2 {
				t.Fatalf("second = %+v, %v", info, err)
			}
			c.assertOnce(t)
		})
		t.Run("concurrent callers run once", func(t *testing.T) {
			r1 := NewRunner(d, log.DefaultLogger, Options{PollInterval: 10 * time.Millisecond})
			r2 := NewRunner(d, log.DefaultLogger, Options{PollInterval: 10 * time.Millisecond})
			c := newChunked(40)
			r1.Register("c", c.fn(d))
			r2.Register("c", c.fn(d))
			var wg sync.WaitGroup
			infos := make([]Info, 4)
			for i := range infos {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := r1
					if i%2 == 1 {
						r = r2
					}
					info, err := r.Run(ctx, "c", day)
					if err != nil {
						t.Error(err)
					}
					infos[i] = info
				}()
			}
			wg.Wait()
			for _, info := range infos {
				if info.Status != StatusSucceeded || info.Processed != 40 || info.Attempts != 1 {
					t.Fatalf("info = %+v", info)
				}
			}
			c.assertOnce(t)
		})
		t.Run("expired lease is taken over", func(t *testing.T) {
			var offset atomic.Int64
			now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
			dead := NewRunner(d, log.DefaultLogger, Options{LeaseTTL: time.Hour, Now: now})
			c := newChunked(30)
			c.gate = make(chan struct{})
			dead.Register("d", c.fn(d))
			// The first runner takes the run, does one chunk and then hangs (a crash
			// that leaves the lease in place).
			info, err := dead.RunWith(ctx, "d", day, RunOptions{Async: true})
			if err != nil || info.Status != StatusRunning {
				t.Fatalf("async = %+v, %v", info, err)
			}
			c.gate <- struct{}{}
			waitFor(t, func() bool { i, _ := dead.Get(ctx, "d", day); return i.Processed == 10 })
			live := NewRunner(d, log.DefaultLogger, Options{LeaseTTL: time.Hour, Now: now, PollInterval: 10 * time.Millisecond})
			c2 := &chunked{n: 30, counts: c.counts}
			live.Register("d", c2.fn(d))
			// Lease still valid: an async caller sees it running and does not start it.
			if info, _ := live.RunWith(ctx, "d", day, RunOptions{Async: true}); info.Owner != dead.Owner() {
				t.Fatalf("taken over before expiry: %+v", info)
			}
			offset.Store(int64(2 * time.Hour))
			info, err = live.Run(ctx, "d", day)
			if err != nil || info.Status != StatusSucceeded || info.Processed != 30 || info.Owner != live.Owner() || info.Attempts != 2 {
				t.Fatalf("takeover = %+v, %v", info, err)
			}
			// The old runner wakes up: its checkpoint write fails, nothing is double-processed.
			close(c.gate)
			dead.Close()
			c.assertOnce(t)
			if i, _ := live.Get(ctx, "d", day); i.Status != StatusSucceeded || i.Processed != 30 {
				t.Fatalf("after old runner woke: %+v", i)
			}
		})
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached")
}
