package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/ids"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

var (
	// ErrJobNotFound is returned for a job name nobody registered (404).
	ErrJobNotFound = kerrors.NotFound("JOB_NOT_FOUND", "no job with this name")
	// ErrLeaseLost is returned by SaveCheckpoint when another runner took the run over
	// (our lease expired); the job must stop without writing more.
	ErrLeaseLost = errors.New("job: lease lost to another runner")
)

// JobFunc processes the work of one run. It reads run.Checkpoint() to resume, works in
// chunks and calls run.SaveCheckpoint after each chunk (inside the chunk's transaction
// when ctx carries one, so work and checkpoint commit together).
type JobFunc func(ctx context.Context, run *Run) error

// Info is the stored state of a run.
type Info struct {
	Name         string
	BusinessDate clock.Date
	Status       string
	Checkpoint   string
	Processed    int64
	Total        int64
	Attempts     int
	Error        string
	StartedAt    time.Time
	FinishedAt   time.Time // zero while running
	Owner        string
}

// Run is handed to a JobFunc.
type Run struct {
	Name string
	Date clock.Date

	r          *Runner
	checkpoint string
	processed  atomic.Int64
	total      atomic.Int64
	progress   func(processed, total int64)
}

// Checkpoint is the last saved checkpoint ("" on a fresh run).
func (r *Run) Checkpoint() string { return r.checkpoint }

// Processed is the number of items processed so far (over all attempts).
func (r *Run) Processed() int64 { return r.processed.Load() }

// SetTotal records how many items the run expects (for progress bars).
func (r *Run) SetTotal(ctx context.Context, n int64) error {
	r.total.Store(n)
	_, err := r.r.d.DB(ctx).ExecContext(ctx, "UPDATE job_run SET total = ? WHERE name = ? AND business_date = ? AND owner = ?",
		n, r.Name, r.Date.Int(), r.r.owner)
	r.report()
	return err
}

// SaveCheckpoint persists cp and adds processedDelta to the processed count. Called in
// the chunk's transaction, it commits with the chunk. It fails with ErrLeaseLost when
// this runner no longer owns the run.
func (r *Run) SaveCheckpoint(ctx context.Context, cp string, processedDelta int) error {
	res, err := r.r.d.DB(ctx).ExecContext(ctx,
		"UPDATE job_run SET checkpoint = ?, processed = processed + ?, lease_expires_at = ? WHERE name = ? AND business_date = ? AND owner = ? AND status = ?",
		cp, processedDelta, r.r.now().Add(r.r.leaseTTL).UnixMilli(), r.Name, r.Date.Int(), r.r.owner, StatusRunning)
	if err != nil {
		return fmt.Errorf("job: save checkpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	r.checkpoint = cp
	r.processed.Add(int64(processedDelta))
	r.report()
	return nil
}

func (r *Run) report() {
	if r.progress != nil {
		r.progress(r.processed.Load(), r.total.Load())
	}
}

// Options configure a Runner.
type Options struct {
	// Node names this process in job_run.owner (a random suffix is added per Runner).
	Node string
	// LeaseTTL is how long a run stays owned without renewal (default 30s).
	LeaseTTL time.Duration
	// PollInterval is how often a caller waiting for another runner's run looks again
	// (default 200ms).
	PollInterval time.Duration
	// Now is the wall clock for leases (default time.Now; leases use real time, never
	// the business test clock).
	Now func() time.Time
	// Clock is the business clock: no run is started for a date after its today
	// (default the wall clock).
	Clock clock.Clock
}

// Runner runs registered jobs.
type Runner struct {
	d        *data.Data
	log      *log.Helper
	owner    string
	leaseTTL time.Duration
	poll     time.Duration
	now      func() time.Time
	clk      clock.Clock

	mu   sync.Mutex
	jobs map[string]registration
	// background runs (async) are cancelled by Close.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
}

// NewRunner returns a runner on d.
func NewRunner(d *data.Data, logger log.Logger, o Options) *Runner {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	node := o.Node
	if node == "" {
		node = "node"
	}
	if len(node) > 40 {
		node = node[:40]
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{
		d: d, log: log.NewHelper(log.With(logger, "module", "job")),
		owner:    node + "/" + ids.String(ids.New()),
		leaseTTL: o.LeaseTTL, poll: o.PollInterval, now: o.Now, clk: o.Clock,
		jobs: map[string]registration{}, bgCtx: ctx, bgCancel: cancel,
	}
}

// Register adds a named job (a later registration of the same name replaces it).
func (r *Runner) Register(name string, fn JobFunc, opts ...RegisterOption) {
	reg := registration{fn: fn}
	for _, o := range opts {
		o(&reg)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs[name] = reg
}

// Names lists the registered jobs.
func (r *Runner) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.jobs))
	for n := range r.jobs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Owner is this runner's lease owner id.
func (r *Runner) Owner() string { return r.owner }

func (r *Runner) job(name string) (registration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reg, ok := r.jobs[name]
	if !ok {
		return registration{}, ErrJobNotFound.WithMetadata(map[string]string{"name": name})
	}
	return reg, nil
}

// RunOptions tune one call of RunWith.
type RunOptions struct {
	// Async returns as soon as the run is started (or found running elsewhere).
	Async bool
	// Progress is called after every checkpoint (CLI progress bars).
	Progress func(processed, total int64)
}

// Run runs name for date and waits for it: a succeeded run returns its stored state
// without running again; a run owned by another live runner is waited for.
func (r *Runner) Run(ctx context.Context, name string, date clock.Date) (Info, error) {
	return r.RunWith(ctx, name, date, RunOptions{})
}

// RunWith is Run with options. A failed run is returned as Info with status failed and a
// nil error (the error is in Info.Error); err is for runs that could not be attempted,
// among them ErrBusinessDateInFuture and a date the job's rules refuse.
func (r *Runner) RunWith(ctx context.Context, name string, date clock.Date, o RunOptions) (Info, error) {
	reg, err := r.job(name)
	if err != nil {
		return Info{}, err
	}
	if date.IsZero() {
		return Info{}, errors.New("job: zero business date")
	}
	if err := r.checkDate(reg, date); err != nil {
		return Info{}, err
	}
	fn := reg.fn
	for {
		info, acquired, err := r.acquire(ctx, name, date)
		if err != nil {
			return Info{}, err
		}
		if acquired {
			run := &Run{Name: name, Date: date, r: r, checkpoint: info.Checkpoint, progress: o.Progress}
			run.processed.Store(info.Processed)
			run.total.Store(info.Total)
			// The run belongs to the runner, not to the caller: a caller that stops
			// waiting (request timeout, client gone) does not abort it.
			execCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
			unhook := context.AfterFunc(r.bgCtx, stop)
			type result struct {
				info Info
				err  error
			}
			ch := make(chan result, 1)
			r.bg.Add(1)
			go func() {
				defer r.bg.Done()
				defer stop()
				defer unhook()
				i, e := r.execute(execCtx, fn, run)
				ch <- result{i, e}
			}()
			if o.Async {
				return info, nil
			}
			select {
			case res := <-ch:
				return res.info, res.err
			case <-ctx.Done():
				cur, lerr := r.load(context.WithoutCancel(ctx), name, date)
				if lerr != nil {
					return Info{}, lerr
				}
				return cur, nil
			}
		}
		if info.Status == StatusSucceeded || o.Async {
			return info, nil
		}
		// Another live runner owns it: wait, then look again (it may finish, fail or die).
		select {
		case <-ctx.Done():
			return info, ctx.Err()
		case <-time.After(r.poll):
		}
	}
}

// Get returns the stored state of a run (ErrRunNotFound when it never ran).
func (r *Runner) Get(ctx context.Context, name string, date clock.Date) (Info, error) {
	if _, err := r.job(name); err != nil {
		return Info{}, err
	}
	info, err := r.load(ctx, name, date)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, ErrRunNotFound.WithMetadata(map[string]string{"name": name, "business_date": date.String()})
	}
	return info, err
}

// ErrRunNotFound is returned by Get for a (job, date) that never ran (404).
var ErrRunNotFound = kerrors.NotFound("JOB_RUN_NOT_FOUND", "the job has not run for this business date")

// acquire takes the run for this runner: inserts a fresh row, or takes over a failed run
// or one whose lease expired. It returns the current state and whether we own it.
func (r *Runner) acquire(ctx context.Context, name string, date clock.Date) (Info, bool, error) {
	now := r.now()
	lease := now.Add(r.leaseTTL).UnixMilli()
	db := r.d.SQL()
	res, err := db.ExecContext(ctx, r.d.Dialect.InsertIgnore()+
		" job_run (name, business_date, status, checkpoint, processed, total, attempts, error, started_at, finished_at, owner, lease_expires_at) VALUES (?, ?, ?, '', 0, 0, 1, '', ?, 0, ?, ?)",
		name, date.Int(), StatusRunning, now.UnixMilli(), r.owner, lease)
	if err != nil {
		return Info{}, false, fmt.Errorf("job: insert run: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		info, err := r.load(ctx, name, date)
		return info, err == nil, err
	}
	// Take over a failed run or a crashed one (lease expired).
	res, err = db.ExecContext(ctx,
		"UPDATE job_run SET status = ?, owner = ?, lease_expires_at = ?, attempts = attempts + 1, error = '', finished_at = 0 "+
			"WHERE name = ? AND business_date = ? AND (status = ? OR (status = ? AND lease_expires_at < ?))",
		StatusRunning, r.owner, lease, name, date.Int(), StatusFailed, StatusRunning, now.UnixMilli())
	if err != nil {
		return Info{}, false, fmt.Errorf("job: take over run: %w", err)
	}
	n, _ := res.RowsAffected()
	info, err := r.load(ctx, name, date)
	if err != nil {
		return Info{}, false, err
	}
	if n == 1 {
		r.log.WithContext(ctx).Infow("msg", "job run resumed", "job", name, "business_date", date.String(), "checkpoint", info.Checkpoint, "attempt", info.Attempts)
	}
	return info, n == 1, nil
}

func (r *Runner) load(ctx context.Context, name string, date clock.Date) (Info, error) {
	var (
		info              Info
		bd                int
		started, finished int64
	)
	err := r.d.SQL().QueryRowContext(ctx,
		"SELECT name, business_date, status, checkpoint, processed, total, attempts, error, started_at, finished_at, owner FROM job_run WHERE name = ? AND business_date = ?",
		name, date.Int()).Scan(&info.Name, &bd, &info.Status, &info.Checkpoint, &info.Processed, &info.Total, &info.Attempts, &info.Error, &started, &finished, &info.Owner)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Info{}, err
		}
		return Info{}, fmt.Errorf("job: load run: %w", err)
	}
	info.BusinessDate = clock.FromInt(bd)
	info.StartedAt = time.UnixMilli(started)
	if finished > 0 {
		info.FinishedAt = time.UnixMilli(finished)
	}
	return info, nil
}

// execute runs fn while renewing the lease, then records the outcome.
func (r *Runner) execute(ctx context.Context, fn JobFunc, run *Run) (Info, error) {
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var lost atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				res, err := r.d.SQL().ExecContext(jobCtx,
					"UPDATE job_run SET lease_expires_at = ? WHERE name = ? AND business_date = ? AND owner = ? AND status = ?",
					r.now().Add(r.leaseTTL).UnixMilli(), run.Name, run.Date.Int(), r.owner, StatusRunning)
				if err == nil {
					// MySQL reports changed rows, not matched ones: a renewal that writes the
					// lease a checkpoint set in the same millisecond affects 0 rows while we
					// still own the run, so confirm before giving the run up.
					if n, _ := res.RowsAffected(); n == 0 && !r.owns(jobCtx, run) {
						lost.Store(true)
						cancel()
						return
					}
				}
			}
		}
	}()
	lg := r.log.WithContext(ctx)
	lg.Infow("msg", "job run started", "job", run.Name, "business_date", run.Date.String(), "checkpoint", run.checkpoint)
	err := safeCall(jobCtx, fn, run)
	close(done)
	if lost.Load() || errors.Is(err, ErrLeaseLost) {
		lg.Warnw("msg", "job run lost its lease", "job", run.Name, "business_date", run.Date.String())
		info, lerr := r.load(ctx, run.Name, run.Date)
		if lerr != nil {
			return Info{}, lerr
		}
		return info, nil
	}
	if ctx.Err() != nil {
		// Shutting down: leave the run "running"; its lease expires and a runner resumes it.
		return r.load(context.WithoutCancel(ctx), run.Name, run.Date)
	}
	status, msg := StatusSucceeded, ""
	if err != nil {
		status, msg = StatusFailed, err.Error()
		if len(msg) > 255 {
			msg = msg[:255]
		}
		lg.Errorw("msg", "job run failed", "job", run.Name, "business_date", run.Date.String(), "error", err)
	} else {
		lg.Infow("msg", "job run succeeded", "job", run.Name, "business_date", run.Date.String(), "processed", run.Processed())
	}
	bg := context.WithoutCancel(ctx)
	if _, uerr := r.d.SQL().ExecContext(bg,
		"UPDATE job_run SET status = ?, error = ?, finished_at = ?, lease_expires_at = 0 WHERE name = ? AND business_date = ? AND owner = ? AND status = ?",
		status, msg, r.now().UnixMilli(), run.Name, run.Date.Int(), r.owner, StatusRunning); uerr != nil {
		return Info{}, fmt.Errorf("job: record outcome: %w", uerr)
	}
	return r.load(bg, run.Name, run.Date)
}

// owns reports whether this runner still holds run (a failed read counts as owned: the
// next renewal decides).
func (r *Runner) owns(ctx context.Context, run *Run) bool {
	var n int
	err := r.d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM job_run WHERE name = ? AND business_date = ? AND owner = ? AND status = ?",
		run.Name, run.Date.Int(), r.owner, StatusRunning).Scan(&n)
	return err != nil || n > 0
}

func safeCall(ctx context.Context, fn JobFunc, run *Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job: panic: %v", p)
		}
	}()
	return fn(ctx, run)
}

// Close cancels background runs and waits for them (their leases then expire and
// another runner resumes them from their checkpoints).
func (r *Runner) Close() {
	r.bgCancel()
	r.bg.Wait()
}
