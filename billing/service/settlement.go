package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/server"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	"github.com/huabei/huabei/billing/settlement"
)

// SettlementService is a merchant's view of its settlements, their files and its payments.
type SettlementService struct {
	v1.UnimplementedSettlementServiceServer
	uc       *settlement.UseCase
	payments *billingdata.SettlementRepo
}

// NewSettlementService returns the service.
func NewSettlementService(uc *settlement.UseCase, repo *billingdata.SettlementRepo) *SettlementService {
	return &SettlementService{uc: uc, payments: repo}
}

// Register adds the routes.
func (s *SettlementService) Register(r *server.Routes) {
	roles := []auth.Role{auth.RoleMerchant, auth.RoleOps}
	server.Route(r, "GET", "/v1/merchants/{merchant_id}/settlements", v1.SettlementService_ListSettlements_FullMethodName, roles, s.ListSettlements)
	server.Route(r, "GET", "/v1/merchants/{merchant_id}/settlements/{settlement_id}/file", v1.SettlementService_GetSettlementFile_FullMethodName, roles, s.GetSettlementFile)
	server.Route(r, "GET", "/v1/merchants/{merchant_id}/payments", v1.SettlementService_ListMerchantPayments_FullMethodName, roles, s.ListMerchantPayments)
}

// pageArgs reads page_token (an id) and limit (1-200, default 50).
func pageArgs(token string, limit int32) (int64, int, error) {
	var after int64
	if token != "" {
		id, ok := ids.Parse(token)
		if !ok || id <= 0 {
			return 0, 0, apierr.Invalid("page_token", "not a token from a previous page")
		}
		after = id
	}
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 200:
		return 0, 0, apierr.Invalid("limit", "must be between 1 and 200")
	}
	return after, int(limit), nil
}

// ListSettlements implements v1.SettlementServiceServer.
func (s *SettlementService) ListSettlements(ctx context.Context, req *v1.ListSettlementsRequest) (*v1.ListSettlementsResponse, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	after, limit, err := pageArgs(req.PageToken, req.Limit)
	if err != nil {
		return nil, err
	}
	list, err := s.uc.List(ctx, req.MerchantId, after, limit)
	if err != nil {
		return nil, err
	}
	out := &v1.ListSettlementsResponse{Settlements: make([]*v1.Settlement, 0, len(list))}
	for _, st := range list {
		out.Settlements = append(out.Settlements, settlementReply(st))
	}
	if len(list) == limit {
		out.NextPageToken = ids.String(list[len(list)-1].ID)
	}
	return out, nil
}

func settlementReply(st settlement.Settlement) *v1.Settlement {
	paid := ""
	if !st.PaidAt.IsZero() {
		paid = st.PaidAt.In(clock.Location).Format(time.RFC3339)
	}
	return &v1.Settlement{
		SettlementId: ids.String(st.ID), MerchantId: st.MerchantID, BusinessDate: st.BusinessDate.String(),
		GrossCaptured: st.GrossCaptured.String(), Refunds: st.Refunds.String(), Discount: st.Discount.String(),
		NetAmount: st.Net.String(), Status: st.Status, PaidAt: paid, PaymentCount: int32(st.PaymentCount),
	}
}

// GetSettlementFile implements v1.SettlementServiceServer: the CSV whose net column sums
// to net_amount.
func (s *SettlementService) GetSettlementFile(ctx context.Context, req *v1.GetSettlementFileRequest) (*httpbody.HttpBody, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	id, ok := ids.Parse(req.SettlementId)
	if !ok {
		return nil, settlement.ErrSettlementNotFound
	}
	_, lines, err := s.uc.File(ctx, req.MerchantId, id)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"payment_id", "merchant_order_id", "type", "amount", "discount", "net"})
	for _, l := range lines {
		pid := ""
		if l.PaymentID != 0 {
			pid = ids.String(l.PaymentID)
		}
		_ = w.Write([]string{pid, l.MerchantOrderID, l.Kind, l.Amount.String(), l.Discount.String(), l.Net().String()})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return &httpbody.HttpBody{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes()}, nil
}

// ListMerchantPayments implements v1.SettlementServiceServer.
func (s *SettlementService) ListMerchantPayments(ctx context.Context, req *v1.ListMerchantPaymentsRequest) (*v1.ListMerchantPaymentsResponse, error) {
	if err := auth.CheckMerchant(ctx, req.MerchantId); err != nil {
		return nil, err
	}
	switch req.Status {
	case "", biz.PaymentAuthorized, biz.PaymentDeclined, biz.PaymentCaptured, biz.PaymentCancelled, biz.PaymentRefunded:
	default:
		return nil, apierr.Invalid("status", "must be authorized, declined, captured, cancelled or refunded")
	}
	var from, to clock.Date
	for _, f := range []struct {
		name, v string
		out     *clock.Date
	}{{"from", req.From, &from}, {"to", req.To, &to}} {
		if f.v == "" {
			continue
		}
		d, err := clock.ParseDate(f.v)
		if err != nil || d.IsZero() {
			return nil, apierr.Invalid(f.name, "must be YYYY-MM-DD")
		}
		*f.out = d
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, apierr.Invalid("to", "must not be before from")
	}
	after, limit, err := pageArgs(req.PageToken, req.Limit)
	if err != nil {
		return nil, err
	}
	list, err := s.payments.MerchantPayments(ctx, req.MerchantId, req.Status, from, to, after, limit)
	if err != nil {
		return nil, err
	}
	out := &v1.ListMerchantPaymentsResponse{Payments: make([]*v1.Payment, 0, len(list))}
	for _, p := range list {
		out.Payments = append(out.Payments, paymentReply(p))
	}
	if len(list) == limit {
		out.NextPageToken = ids.String(list[len(list)-1].ID)
	}
	return out, nil
}
