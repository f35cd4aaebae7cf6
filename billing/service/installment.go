package service

import (
	"context"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/server"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
)

// InstallmentService implements v1.InstallmentServiceServer over HTTP and gRPC.
type InstallmentService struct {
	v1.UnimplementedInstallmentServiceServer
	uc   *biz.InstallmentUseCase
	idem *idem.Store
}

// NewInstallmentService returns the service.
func NewInstallmentService(uc *biz.InstallmentUseCase, store *idem.Store) *InstallmentService {
	return &InstallmentService{uc: uc, idem: store}
}

var (
	installmentShopper      = []auth.Role{auth.RoleShopper}
	installmentShopperOrOps = []auth.Role{auth.RoleShopper, auth.RoleOps}
)

// Register adds the HTTP routes.
func (s *InstallmentService) Register(r *server.Routes) {
	server.Route(r, "POST", "/v1/users/{user_id}/installment-quotes", v1.InstallmentService_CreateInstallmentQuote_FullMethodName, installmentShopper, s.CreateInstallmentQuote)
	server.Route(r, "POST", "/v1/users/{user_id}/installment-plans", v1.InstallmentService_CreateInstallmentPlan_FullMethodName, installmentShopper, s.CreateInstallmentPlan)
	server.Route(r, "GET", "/v1/users/{user_id}/installment-plans/{plan_id}", v1.InstallmentService_GetInstallmentPlan_FullMethodName, installmentShopperOrOps, s.GetInstallmentPlan)
}

func installmentRequest(ctx context.Context, req *v1.InstallmentQuoteRequest) (biz.InstallmentRequest, error) {
	if err := req.Validate(); err != nil {
		return biz.InstallmentRequest{}, err
	}
	if err := auth.CheckUser(ctx, req.UserId); err != nil {
		return biz.InstallmentRequest{}, err
	}
	r := biz.InstallmentRequest{UserID: req.UserId, StatementPeriod: req.StatementPeriod, Terms: int(req.Terms)}
	if req.PaymentId != "" {
		r.PaymentID, _ = field.ID("payment_id", req.PaymentId)
	}
	return r, nil
}

// CreateInstallmentQuote implements v1.InstallmentServiceServer.
func (s *InstallmentService) CreateInstallmentQuote(ctx context.Context, req *v1.InstallmentQuoteRequest) (*v1.InstallmentQuote, error) {
	r, err := installmentRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	p, err := s.uc.Quote(ctx, r)
	if err != nil {
		return nil, err
	}
	return quoteReply(p), nil
}

// CreateInstallmentPlan implements v1.InstallmentServiceServer.
func (s *InstallmentService) CreateInstallmentPlan(ctx context.Context, req *v1.InstallmentQuoteRequest) (*v1.InstallmentPlan, error) {
	r, err := installmentRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	return idem.Do(ctx, s.idem, v1.InstallmentService_CreateInstallmentPlan_FullMethodName, req,
		func() *v1.InstallmentPlan { return new(v1.InstallmentPlan) },
		func(ctx context.Context) (*v1.InstallmentPlan, error) {
			p, err := s.uc.CreatePlan(ctx, r)
			if err != nil {
				return nil, err
			}
			return planReply(p), nil
		})
}

// GetInstallmentPlan implements v1.InstallmentServiceServer.
func (s *InstallmentService) GetInstallmentPlan(ctx context.Context, req *v1.GetInstallmentPlanRequest) (*v1.InstallmentPlan, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := auth.CheckUser(ctx, req.UserId); err != nil {
		return nil, err
	}
	id, _ := field.ID("plan_id", req.PlanId)
	p, err := s.uc.Plan(ctx, req.UserId, id)
	if err != nil {
		return nil, err
	}
	return planReply(p), nil
}

func scheduleReply(p biz.InstallmentPlan, withProgress bool) ([]*v1.InstallmentScheduleItem, money.Amount) {
	out := make([]*v1.InstallmentScheduleItem, len(p.Periods))
	var total money.Amount
	for i, per := range p.Periods {
		it := &v1.InstallmentScheduleItem{Period: int32(per.Number), DueDate: per.DueDate.String(), Principal: per.Principal.String(),
			Fee: per.Fee.String(), Total: (per.Principal + per.Fee).String()}
		if withProgress {
			it.Billed, it.PrincipalPaid = per.Billed(), per.PrincipalPaid.String()
		} else {
			it.PrincipalPaid = money.Amount(0).String()
		}
		total += per.Principal + per.Fee
		out[i] = it
	}
	return out, total
}

func quoteReply(p biz.InstallmentPlan) *v1.InstallmentQuote {
	sched, total := scheduleReply(p, false)
	q := &v1.InstallmentQuote{Principal: p.Principal.String(), Terms: int32(p.Terms), FeeRate: p.Rate.String(), TotalFee: p.TotalFee.String(),
		Apr: p.APR.StringFixed(4), EffectiveAnnualRate: p.EffectiveRate.StringFixed(4), Schedule: sched, TotalPayable: total.String(),
		Method: string(p.Method), Source: p.Source, StatementPeriod: p.StatementPeriod}
	if p.PaymentID != 0 {
		q.PaymentId = ids.String(p.PaymentID)
	}
	return q
}

func planReply(p biz.InstallmentPlan) *v1.InstallmentPlan {
	sched, total := scheduleReply(p, true)
	unbilled, _ := p.Unbilled()
	out := &v1.InstallmentPlan{PlanId: ids.String(p.ID), UserId: p.UserID, Status: p.Status, Source: p.Source, StatementPeriod: p.StatementPeriod,
		Principal: p.Principal.String(), Terms: int32(p.Terms), FeeRate: p.Rate.String(), TotalFee: p.CurrentFee().String(),
		Apr: p.APR.StringFixed(4), EffectiveAnnualRate: p.EffectiveRate.StringFixed(4), Schedule: sched, TotalPayable: total.String(),
		PeriodsBilled: int32(p.PeriodsBilled), RemainingPrincipal: p.PrincipalOutstanding.String(), UnbilledPrincipal: unbilled.String(),
		FeeWaived: p.FeeWaived.String(), Method: string(p.Method), CreatedDate: p.CreatedDate.String()}
	if p.PaymentID != 0 {
		out.PaymentId = ids.String(p.PaymentID)
	}
	if !p.ClosedDate.IsZero() {
		out.ClosedDate = p.ClosedDate.String()
	}
	return out
}
