package job

import (
	"context"
	"time"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/server"
)

// Service is the ops HTTP/gRPC API of the runner.
type Service struct {
	v1.UnimplementedJobServiceServer
	r   *Runner
	clk clock.Clock
}

// NewService returns the service.
func NewService(r *Runner, clk clock.Clock) *Service { return &Service{r: r, clk: clk} }

// Register adds the routes.
func (s *Service) Register(rt *server.Routes) {
	ops := []auth.Role{auth.RoleOps}
	server.Route(rt, "POST", "/v1/ops/jobs/{name}/runs", v1.JobService_RunJob_FullMethodName, ops, s.RunJob)
	server.Route(rt, "GET", "/v1/ops/jobs/{name}/runs/{business_date}", v1.JobService_GetJobRun_FullMethodName, ops, s.GetJobRun)
}

func (s *Service) date(v string) (clock.Date, error) {
	if v == "" {
		return clock.Today(s.clk), nil
	}
	d, err := clock.ParseDate(v)
	if err != nil || d.IsZero() { // 0001-01-01 parses but is the zero date (was a 500)
		return clock.Date{}, apierr.Invalid("business_date", "must be YYYY-MM-DD")
	}
	return d, nil
}

// RunJob implements v1.JobServiceServer.
func (s *Service) RunJob(ctx context.Context, req *v1.RunJobRequest) (*v1.JobRun, error) {
	d, err := s.date(req.BusinessDate)
	if err != nil {
		return nil, err
	}
	info, err := s.r.RunWith(ctx, req.Name, d, RunOptions{Async: req.Async})
	if err != nil {
		return nil, err
	}
	return toProto(info), nil
}

// GetJobRun implements v1.JobServiceServer.
func (s *Service) GetJobRun(ctx context.Context, req *v1.GetJobRunRequest) (*v1.JobRun, error) {
	d, err := s.date(req.BusinessDate)
	if err != nil {
		return nil, err
	}
	info, err := s.r.Get(ctx, req.Name, d)
	if err != nil {
		return nil, err
	}
	return toProto(info), nil
}

func toProto(i Info) *v1.JobRun {
	out := &v1.JobRun{
		Name: i.Name, BusinessDate: i.BusinessDate.String(), Status: i.Status,
		Processed: int32(i.Processed), Total: int32(i.Total), Checkpoint: i.Checkpoint,
		Attempts: int32(i.Attempts), Error: i.Error,
		StartedAt: i.StartedAt.In(clock.Location).Format(time.RFC3339),
	}
	if !i.FinishedAt.IsZero() {
		out.FinishedAt = i.FinishedAt.In(clock.Location).Format(time.RFC3339)
	}
	return out
}
