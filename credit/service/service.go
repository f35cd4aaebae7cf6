package service

import (
	"context"
	"time"

	v1 "github.com/huabei/huabei/credit/api/v1"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/server"
	"github.com/huabei/huabei/credit/biz"
)

// CreditService implements v1.CreditServiceServer.
type CreditService struct {
	v1.UnimplementedCreditServiceServer
	profiles *biz.ProfileUseCase
	apps     *biz.ApplicationUseCase
	lines    *biz.LineUseCase
	idem     *idem.Store
	clk      clock.Clock
}

// NewCreditService returns the service.
func NewCreditService(profiles *biz.ProfileUseCase, apps *biz.ApplicationUseCase, lines *biz.LineUseCase, st *idem.Store, clk clock.Clock) *CreditService {
	return &CreditService{profiles: profiles, apps: apps, lines: lines, idem: st, clk: clk}
}

// Register adds the HTTP routes (API.md, Credit).
func (s *CreditService) Register(r *server.Routes) {
	ops := []auth.Role{auth.RoleOps}
	shopperOrOps := []auth.Role{auth.RoleShopper, auth.RoleOps}
	server.Route(r, "PUT", "/v1/credit/profiles/{user_id}", v1.CreditService_PutProfile_FullMethodName, ops, s.PutProfile)
	server.Route(r, "GET", "/v1/credit/profiles/{user_id}", v1.CreditService_GetProfile_FullMethodName, ops, s.GetProfile)
	server.Route(r, "POST", "/v1/credit/applications", v1.CreditService_Apply_FullMethodName, shopperOrOps, s.Apply)
	server.Route(r, "GET", "/v1/credit/lines/{user_id}", v1.CreditService_GetLine_FullMethodName, shopperOrOps, s.GetLine)
	server.Route(r, "POST", "/v1/credit/lines/{user_id}/adjustments", v1.CreditService_AdjustLine_FullMethodName, ops, s.AdjustLine)
	server.Route(r, "POST", "/v1/credit/lines/{user_id}/freeze", v1.CreditService_FreezeLine_FullMethodName, ops, s.FreezeLine)
	server.Route(r, "POST", "/v1/credit/lines/{user_id}/unfreeze", v1.CreditService_UnfreezeLine_FullMethodName, ops, s.UnfreezeLine)
	server.Route(r, "GET", "/v1/credit/lines/{user_id}/events", v1.CreditService_ListLineEvents_FullMethodName, ops, s.ListLineEvents)
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func amountStr(p *money.Amount) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// PutProfile implements v1.CreditServiceServer (validated by PutProfileRequest.Validate).
func (s *CreditService) PutProfile(ctx context.Context, req *v1.PutProfileRequest) (*v1.CreditProfile, error) {
	if err := req.Validate(); err != nil { // gRPC and HTTP both validate in middleware; cheap to repeat
		return nil, err
	}
	p := &biz.Profile{
		UserID: req.UserId, KYCVerified: req.GetKycVerified(), Age: intPtr(req.Age),
		Education: req.Education, Employment: req.Employment, EmploymentMonths: intPtr(req.EmploymentMonths),
		Housing: req.Housing, CreditHistoryMonths: intPtr(req.CreditHistoryMonths),
		LatePayments12m: intPtr(req.LatePayments_12M), MaxDPD24m: intPtr(req.MaxDpd_24M), Inquiries6m: intPtr(req.Inquiries_6M),
		Actor: auth.Actor(ctx), CreatedAt: s.clk.Now(),
	}
	var err error
	if p.MonthlyIncome, err = v1.ProfileAmount("monthly_income", req.MonthlyIncome); err != nil {
		return nil, err
	}
	if p.Assets, err = v1.ProfileAmount("assets", req.Assets); err != nil {
		return nil, err
	}
	if p.OutstandingDebt, err = v1.ProfileAmount("outstanding_debt", req.OutstandingDebt); err != nil {
		return nil, err
	}
	if err := s.profiles.Put(ctx, p); err != nil {
		return nil, err
	}
	return profileReply(p), nil
}

func profileReply(p *biz.Profile) *v1.CreditProfile {
	return &v1.CreditProfile{
		UserId: p.UserID, Version: int32(p.Version), KycVerified: p.KYCVerified, Age: int32Ptr(p.Age),
		Education: p.Education, Employment: p.Employment, EmploymentMonths: int32Ptr(p.EmploymentMonths),
		MonthlyIncome: amountStr(p.MonthlyIncome), Assets: amountStr(p.Assets), Housing: p.Housing,
		CreditHistoryMonths: int32Ptr(p.CreditHistoryMonths), LatePayments_12M: int32Ptr(p.LatePayments12m),
		MaxDpd_24M: int32Ptr(p.MaxDPD24m), OutstandingDebt: amountStr(p.OutstandingDebt),
		Inquiries_6M: int32Ptr(p.Inquiries6m), CreatedAt: ts(p.CreatedAt),
	}
}

// GetProfile implements v1.CreditServiceServer.
func (s *CreditService) GetProfile(ctx context.Context, req *v1.GetProfileRequest) (*v1.CreditProfile, error) {
	p, err := s.profiles.Latest(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return profileReply(p), nil
}

// Apply implements v1.CreditServiceServer: a shopper may apply only for themselves.
func (s *CreditService) Apply(ctx context.Context, req *v1.ApplyRequest) (*v1.ApplicationReply, error) {
	if err := auth.CheckUser(ctx, req.UserId); err != nil {
		return nil, err
	}
	return idem.Do(ctx, s.idem, v1.CreditService_Apply_FullMethodName, req,
		func() *v1.ApplicationReply { return new(v1.ApplicationReply) },
		func(ctx context.Context) (*v1.ApplicationReply, error) {
			app, line, err := s.apps.Apply(ctx, req.UserId)
			if err != nil {
				return nil, err
			}
			out := &v1.ApplicationReply{ApplicationId: ids.String(app.ID), UserId: app.UserID, Decision: app.Decision,
				Score: int32(app.Score), Limit: app.Limit.String(), Reasons: make([]*v1.CreditReason, len(app.Reasons))}
			for i, r := range app.Reasons {
				out.Reasons[i] = &v1.CreditReason{Code: r.Code, Feature: r.Feature, Bin: r.Bin, PointsLost: int32(r.PointsLost), Message: r.Message}
			}
			if line != nil {
				out.Line = lineReply(line)
			}
			return out, nil
		})
}

func lineReply(l *biz.Line) *v1.CreditLine {
	out := &v1.CreditLine{
		UserId: l.UserID, Status: l.Status, Score: int32(l.Score), Limit: l.Limit.String(),
		TempLimit: money.Amount(0).String(), Outstanding: l.Outstanding.String(), Held: l.Held.String(),
		Available: l.Available.String(), EffectiveLimit: l.EffectiveLimit.String(),
		OpenedAt: ts(l.OpenedAt), UpdatedAt: ts(l.UpdatedAt),
	}
	if !l.TempLimitExpiresAt.IsZero() {
		out.TempLimit, out.TempLimitExpires = l.TempLimit.String(), ts(l.TempLimitExpiresAt)
	}
	return out
}

// GetLine implements v1.CreditServiceServer.
func (s *CreditService) GetLine(ctx context.Context, req *v1.GetLineRequest) (*v1.CreditLine, error) {
	if err := auth.CheckUser(ctx, req.UserId); err != nil {
		return nil, err
	}
	l, err := s.lines.Get(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return lineReply(l), nil
}

func parseInstant(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == 10 {
		d, err := clock.ParseDate(s)
		if err == nil {
			return d.Start(), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apierr.Invalid(name, "must be an RFC 3339 timestamp or a YYYY-MM-DD date")
	}
	return t, nil
}

// AdjustLine implements v1.CreditServiceServer.
func (s *CreditService) AdjustLine(ctx context.Context, req *v1.AdjustLineRequest) (*v1.CreditLine, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	a := biz.Adjustment{Reason: req.Reason}
	if req.Limit != "" {
		v, err := field.Amount("limit", req.Limit)
		if err != nil {
			return nil, err
		}
		a.Limit = &v
	}
	if req.TempLimit != "" {
		v, err := field.NonNegativeAmount("temp_limit", req.TempLimit)
		if err != nil {
			return nil, err
		}
		a.TempLimit = &v
	}
	var err error
	if a.TempLimitExpiresAt, err = parseInstant("temp_limit_expires", req.TempLimitExpires); err != nil {
		return nil, err
	}
	l, err := s.lines.Adjust(ctx, req.UserId, a)
	if err != nil {
		return nil, err
	}
	return lineReply(l), nil
}

// FreezeLine implements v1.CreditServiceServer.
func (s *CreditService) FreezeLine(ctx context.Context, req *v1.LineStatusRequest) (*v1.CreditLine, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	l, err := s.lines.Freeze(ctx, req.UserId, req.Reason)
	if err != nil {
		return nil, err
	}
	return lineReply(l), nil
}

// UnfreezeLine implements v1.CreditServiceServer.
func (s *CreditService) UnfreezeLine(ctx context.Context, req *v1.LineStatusRequest) (*v1.CreditLine, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	l, err := s.lines.Unfreeze(ctx, req.UserId, req.Reason)
	if err != nil {
		return nil, err
	}
	return lineReply(l), nil
}

// ListLineEvents implements v1.CreditServiceServer.
func (s *CreditService) ListLineEvents(ctx context.Context, req *v1.ListLineEventsRequest) (*v1.LineEventList, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	size := int(req.PageSize)
	if size == 0 {
		size = 50
	}
	var before int64
	if req.Cursor != "" {
		before, _ = ids.Parse(req.Cursor)
	}
	evs, err := s.lines.Events(ctx, req.UserId, before, size+1)
	if err != nil {
		return nil, err
	}
	out := &v1.LineEventList{}
	if len(evs) > size {
		evs = evs[:size]
		out.NextCursor = ids.String(evs[size-1].ID)
	}
	for _, e := range evs {
		out.Events = append(out.Events, &v1.LineEvent{
			EventId: ids.String(e.ID), UserId: e.UserID, Kind: e.Kind, Reason: e.Reason, Actor: e.Actor, At: ts(e.At),
			OldLimit: e.OldLimit.String(), NewLimit: e.NewLimit.String(), TempLimit: e.TempLimit.String(),
			TempLimitExpires: ts(e.TempLimitExpiresAt), OldStatus: e.OldStatus, NewStatus: e.NewStatus, Score: int32(e.Score),
		})
	}
	return out, nil
}
