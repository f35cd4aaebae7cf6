package service

import (
	"context"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/server"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
)

// PaymentService implements v1.PaymentServiceServer over HTTP and gRPC.
type PaymentService struct {
	v1.UnimplementedPaymentServiceServer
	uc   *biz.PaymentUseCase
	idem *idem.Store
}

// NewPaymentService returns the service.
func NewPaymentService(uc *biz.PaymentUseCase, store *idem.Store) *PaymentService {
	return &PaymentService{uc: uc, idem: store}
}

var (
	merchantOnly  = []auth.Role{auth.RoleMerchant}
	merchantOrOps = []auth.Role{auth.RoleMerchant, auth.RoleOps}
)

// Register adds the HTTP routes.
func (s *PaymentService) Register(r *server.Routes) {
	server.Route(r, "POST", "/v1/payments", v1.PaymentService_CreatePayment_FullMethodName, merchantOnly, s.CreatePayment)
	server.Route(r, "GET", "/v1/payments/{payment_id}", v1.PaymentService_GetPayment_FullMethodName, merchantOrOps, s.GetPayment)
	server.Route(r, "POST", "/v1/payments/{payment_id}/capture", v1.PaymentService_CapturePayment_FullMethodName, merchantOrOps, s.CapturePayment)
	server.Route(r, "POST", "/v1/payments/{payment_id}/cancel", v1.PaymentService_CancelPayment_FullMethodName, merchantOrOps, s.CancelPayment)
	server.Route(r, "POST", "/v1/payments/{payment_id}/refunds", v1.PaymentService_CreatePaymentRefund_FullMethodName, merchantOrOps, s.CreatePaymentRefund)
}

// scope limits a merchant to its own payments; operations see all.
func scope(ctx context.Context) biz.Scope {
	p, ok := auth.FromContext(ctx)
	if ok && p.Role == auth.RoleMerchant {
		return biz.Scope{MerchantID: p.Subject}
	}
	if !ok {
		// no principal: never widen access
		return biz.Scope{MerchantID: "\x00"}
	}
	return biz.Scope{}
}

func newPayment() *v1.Payment { return new(v1.Payment) }

// CreatePayment implements v1.PaymentServiceServer.
func (s *PaymentService) CreatePayment(ctx context.Context, req *v1.CreatePaymentRequest) (*v1.Payment, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	merchantID, err := field.Token("merchant_id", p.Subject, 64)
	if err != nil {
		return nil, err
	}
	amount, _ := field.Amount("amount", req.Amount)
	r := biz.AuthorizeRequest{
		UserID: req.UserId, MerchantID: merchantID, MerchantOrderID: req.MerchantOrderId, Amount: amount,
		MerchantCategory: req.MerchantCategory, Installments: int(req.Installments), Description: req.Description,
	}
	return idem.Do(ctx, s.idem, v1.PaymentService_CreatePayment_FullMethodName, req, newPayment, func(ctx context.Context) (*v1.Payment, error) {
		out, err := s.uc.Authorize(ctx, r)
		if err != nil {
			return nil, err
		}
		return paymentReply(out), nil
	})
}

// GetPayment implements v1.PaymentServiceServer.
func (s *PaymentService) GetPayment(ctx context.Context, req *v1.GetPaymentRequest) (*v1.Payment, error) {
	id, err := field.ID("payment_id", req.PaymentId)
	if err != nil {
		return nil, err
	}
	p, err := s.uc.Get(ctx, id, scope(ctx))
	if err != nil {
		return nil, err
	}
	return paymentReply(p), nil
}

// CapturePayment implements v1.PaymentServiceServer.
func (s *PaymentService) CapturePayment(ctx context.Context, req *v1.CapturePaymentRequest) (*v1.Payment, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	id, _ := field.ID("payment_id", req.PaymentId)
	amount, _, _ := field.OptionalAmount("amount", req.Amount)
	return idem.Do(ctx, s.idem, v1.PaymentService_CapturePayment_FullMethodName, req, newPayment, func(ctx context.Context) (*v1.Payment, error) {
		p, err := s.uc.Capture(ctx, id, amount, scope(ctx))
		if err != nil {
			return nil, err
		}
		return paymentReply(p), nil
	})
}

// CancelPayment implements v1.PaymentServiceServer.
func (s *PaymentService) CancelPayment(ctx context.Context, req *v1.CancelPaymentRequest) (*v1.Payment, error) {
	id, err := field.ID("payment_id", req.PaymentId)
	if err != nil {
		return nil, err
	}
	return idem.Do(ctx, s.idem, v1.PaymentService_CancelPayment_FullMethodName, req, newPayment, func(ctx context.Context) (*v1.Payment, error) {
		p, err := s.uc.Cancel(ctx, id, scope(ctx))
		if err != nil {
			return nil, err
		}
		return paymentReply(p), nil
	})
}

// CreatePaymentRefund implements v1.PaymentServiceServer.
func (s *PaymentService) CreatePaymentRefund(ctx context.Context, req *v1.CreatePaymentRefundRequest) (*v1.PaymentRefund, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	id, _ := field.ID("payment_id", req.PaymentId)
	amount, _ := field.Amount("amount", req.Amount)
	r := biz.RefundRequest{PaymentID: id, Amount: amount, Reason: req.Reason}
	return idem.Do(ctx, s.idem, v1.PaymentService_CreatePaymentRefund_FullMethodName, req, func() *v1.PaymentRefund { return new(v1.PaymentRefund) },
		func(ctx context.Context) (*v1.PaymentRefund, error) {
			rf, p, err := s.uc.Refund(ctx, r, scope(ctx))
			if err != nil {
				return nil, err
			}
			return refundReply(rf, p), nil
		})
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Location).Format(time.RFC3339)
}

func date(d clock.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func paymentReply(p biz.Payment) *v1.Payment {
	out := &v1.Payment{
		PaymentId: ids.String(p.ID), UserId: p.UserID, MerchantId: p.MerchantID, MerchantOrderId: p.MerchantOrderID,
		Amount: p.Amount.String(), CapturedAmount: p.CapturedAmount.String(), RefundedAmount: p.RefundedAmount.String(),
		Status: p.Status, DeclineReason: p.DeclineReason, AuthorizedAt: timestamp(p.AuthorizedAt), CapturedAt: timestamp(p.CapturedAt),
		MerchantCategory: p.MerchantCategory, Installments: int32(p.Installments), Description: p.Description,
		CaptureDate: date(p.CaptureDate), CancelledAt: timestamp(p.CancelledAt),
		MerchantDiscount: p.DiscountAmount.String(), RefundedDiscount: p.RefundedDiscount.String(),
	}
	if p.PlanID != 0 {
		out.InstallmentPlanId = ids.String(p.PlanID)
	}
	return out
}

func refundReply(r biz.Refund, p biz.Payment) *v1.PaymentRefund {
	return &v1.PaymentRefund{
		RefundId: ids.String(r.ID), PaymentId: ids.String(r.PaymentID), Amount: r.Amount.String(), Status: r.Status,
		ToPrincipal: r.ToPrincipal.String(), ToCreditBalance: r.ToCreditBalance.String(), DiscountReturned: r.DiscountReturned.String(),
		Reason: r.Reason, RefundDate: date(r.RefundDate), CreatedAt: timestamp(r.CreatedAt),
		PaymentStatus: p.Status, RefundedAmount: p.RefundedAmount.String(),
	}
}
