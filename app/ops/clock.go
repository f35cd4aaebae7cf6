package ops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/server"
)

// ErrClockRefused is returned when the test clock is asked for in production mode (403).
var ErrClockRefused = kerrors.Forbidden("TEST_CLOCK_DISABLED", "the test clock is available only in dev and simulation modes")

const clockSetting = "test_clock"

// ClockService moves the test clock.
type ClockService struct {
	v1.UnimplementedOpsServiceServer
	d    *data.Data
	clk  clock.Clock
	test *clock.Test // nil in production
	mode string
}

// NewClockService returns the service; test is nil in production mode. A test clock set
// before a restart is restored from the database.
func NewClockService(ctx context.Context, d *data.Data, clk clock.Clock, test *clock.Test, mode string) (*ClockService, error) {
	s := &ClockService{d: d, clk: clk, test: test, mode: mode}
	if test != nil {
		var v string
		var setAtMs int64
		err := d.SQL().QueryRowContext(ctx, "SELECT value, updated_at FROM app_setting WHERE name = ?", clockSetting).Scan(&v, &setAtMs)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("ops: load test clock: %w", err)
		default:
			t, perr := time.Parse(time.RFC3339Nano, v)
			if perr != nil {
				return nil, fmt.Errorf("ops: stored test clock %q is not a timestamp: %w", v, perr)
			}
			// The test clock runs on from where it was set, so it comes back where it
			// would be now, in the past as well as in the future: the time set plus the
			// wall time elapsed since (never less, so timestamps stay ordered).
			elapsed := max(0, time.Since(time.UnixMilli(setAtMs)))
			test.Set(t.Add(elapsed))
		}
	}
	return s, nil
}

// Register adds the routes.
func (s *ClockService) Register(r *server.Routes) {
	server.Route(r, "POST", "/v1/ops/clock", v1.OpsService_SetClock_FullMethodName, []auth.Role{auth.RoleOps}, s.SetClock)
	server.Route(r, "GET", "/v1/ops/clock", v1.OpsService_GetClock_FullMethodName, []auth.Role{auth.RoleOps}, s.GetClock)
}

// SetClock implements v1.OpsServiceServer.
func (s *ClockService) SetClock(ctx context.Context, req *v1.SetClockRequest) (*v1.ClockReply, error) {
	if s.test == nil {
		return nil, ErrClockRefused
	}
	var t time.Time
	if d, err := clock.ParseDate(req.Now); err == nil && len(req.Now) == 10 {
		t = d.Start()
	} else if t, err = time.Parse(time.RFC3339Nano, req.Now); err != nil {
		return nil, apierr.Invalid("now", "must be an RFC 3339 timestamp or a YYYY-MM-DD date")
	}
	s.test.Set(t)
	// Persisted so a restarted server keeps the simulated time.
	if _, err := s.d.SQL().ExecContext(ctx, "INSERT INTO app_setting (name, value, updated_at) VALUES (?, ?, ?)"+
		s.d.Dialect.Upsert([]string{"name"}, false, "value", "updated_at"), clockSetting, t.UTC().Format(time.RFC3339Nano), time.Now().UnixMilli()); err != nil {
		return nil, fmt.Errorf("ops: persist test clock: %w", err)
	}
	return s.GetClock(ctx, nil)
}

// GetClock implements v1.OpsServiceServer.
func (s *ClockService) GetClock(ctx context.Context, _ *v1.GetClockRequest) (*v1.ClockReply, error) {
	now := s.clk.Now()
	return &v1.ClockReply{Now: now.In(clock.Location).Format(time.RFC3339), BusinessDate: clock.DateOf(now).String(), Mode: s.mode}, nil
}
