package service

import (
	"context"
	"strconv"
	"time"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/server"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
)

// BillingService implements v1.BillingServiceServer: account, statements, repayments, autopay.
type BillingService struct {
	v1.UnimplementedBillingServiceServer
	uc    *biz.BillingUseCase
	users *biz.AccountDirectory
	idem  *idem.Store
}

// NewBillingService returns the service; users refuses accounts billing does not know.
func NewBillingService(uc *biz.BillingUseCase, users *biz.AccountDirectory, store *idem.Store) *BillingService {
	return &BillingService{uc: uc, users: users, idem: store}
}

// knownUser is user() for operations on the account itself: also 404 ACCOUNT_NOT_FOUND
// for a user with no credit line and no billing account (after the 403 for another
// shopper's id, so a shopper learns nothing about other users).
func (s *BillingService) knownUser(ctx context.Context, id string) (string, error) {
	u, err := user(ctx, id)
	if err != nil {
		return "", err
	}
	return u, s.users.Require(ctx, u)
}

// Register adds the HTTP routes.
func (s *BillingService) Register(r *server.Routes) {
	shopperOrOps := []auth.Role{auth.RoleShopper, auth.RoleOps}
	server.Route(r, "GET", "/v1/users/{user_id}/account", v1.BillingService_GetAccount_FullMethodName, shopperOrOps, s.GetAccount)
	server.Route(r, "GET", "/v1/users/{user_id}/statements", v1.BillingService_ListStatements_FullMethodName, shopperOrOps, s.ListStatements)
	server.Route(r, "GET", "/v1/users/{user_id}/statements/{period}", v1.BillingService_GetStatement_FullMethodName, shopperOrOps, s.GetStatement)
	server.Route(r, "POST", "/v1/users/{user_id}/repayments", v1.BillingService_CreateRepayment_FullMethodName, shopperOrOps, s.CreateRepayment)
	server.Route(r, "PUT", "/v1/users/{user_id}/autopay", v1.BillingService_SetAutopay_FullMethodName, []auth.Role{auth.RoleShopper}, s.SetAutopay)
	server.Route(r, "GET", "/v1/ops/portfolio", v1.BillingService_GetPortfolio_FullMethodName, []auth.Role{auth.RoleOps}, s.GetPortfolio)
}

func user(ctx context.Context, id string) (string, error) {
	u, err := field.UserID("user_id", id)
	if err != nil {
		return "", err
	}
	return u, auth.CheckUser(ctx, u)
}

func dateStr(d clock.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// GetAccount implements v1.BillingServiceServer.
func (s *BillingService) GetAccount(ctx context.Context, req *v1.GetAccountRequest) (*v1.Account, error) {
	u, err := s.knownUser(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	a, err := s.uc.Account(ctx, u)
	if err != nil {
		return nil, err
	}
	return &v1.Account{UserId: u, Unbilled: a.Unbilled.String(), StatementBalance: a.StatementBalance.String(), MinimumDue: a.MinimumDue.String(),
		DueDate: dateStr(a.DueDate), PastDue: a.PastDue.String(), CreditBalance: a.CreditBalance.String(), DaysPastDue: int32(a.DaysPastDue),
		DelinquencyBucket: a.Bucket, Status: a.Status, AccruedInterest: a.AccruedInterest.String(), AccruedPenalty: a.AccruedPenalty.String()}, nil
}

// StatementReply maps a statement (exported for golden tests).
func StatementReply(st biz.Statement) *v1.Statement {
	out := &v1.Statement{Period: st.Period, StatementDate: dateStr(st.StatementDate), DueDate: dateStr(st.DueDate),
		OpeningBalance: st.OpeningBalance.String(), NewPurchases: st.NewPurchases.String(), Refunds: st.Refunds.String(),
		InstallmentsDue: st.InstallmentsDue.String(), Interest: st.Interest.String(), Penalty: st.Penalty.String(),
		PaymentsAndCredits: st.PaymentsAndCredits.String(), NewBalance: st.NewBalance.String(), MinimumDue: st.MinimumDue.String(),
		Paid: st.Paid.String(), Status: st.Status, CycleStart: dateStr(st.CycleStart), CycleEnd: dateStr(st.CycleEnd), Fees: st.Fees.String(),
		Lines: []*v1.StatementLine{}}
	for _, l := range st.Lines {
		pl := &v1.StatementLine{Date: dateStr(l.Date), Kind: l.Kind, Description: l.Description, Amount: l.Amount.String()}
		if l.PaymentID != 0 {
			pl.PaymentId = strconv.FormatInt(l.PaymentID, 10)
		}
		if l.PlanID != 0 {
			pl.PlanId = strconv.FormatInt(l.PlanID, 10)
		}
		out.Lines = append(out.Lines, pl)
	}
	return out
}

// ListStatements implements v1.BillingServiceServer.
func (s *BillingService) ListStatements(ctx context.Context, req *v1.ListStatementsRequest) (*v1.StatementList, error) {
	u, err := user(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	if req.Cursor != "" {
		if _, err := field.Period("cursor", req.Cursor); err != nil {
			return nil, err
		}
	}
	list, next, err := s.uc.Statements(ctx, u, req.Cursor, int(req.Limit))
	if err != nil {
		return nil, err
	}
	out := &v1.StatementList{Statements: []*v1.Statement{}, NextCursor: next}
	for _, st := range list {
		out.Statements = append(out.Statements, StatementReply(st))
	}
	return out, nil
}

// GetStatement implements v1.BillingServiceServer.
func (s *BillingService) GetStatement(ctx context.Context, req *v1.GetStatementRequest) (*v1.Statement, error) {
	u, err := user(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	if _, err := field.Period("period", req.Period); err != nil {
		return nil, err
	}
	st, err := s.uc.StatementFor(ctx, u, req.Period)
	if err != nil {
		return nil, err
	}
	return StatementReply(st), nil
}

func newRepayment() *v1.Repayment { return new(v1.Repayment) }

// CreateRepayment implements v1.BillingServiceServer.
func (s *BillingService) CreateRepayment(ctx context.Context, req *v1.CreateRepaymentRequest) (*v1.Repayment, error) {
	u, err := s.knownUser(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	amount, err := field.Amount("amount", req.Amount)
	if err != nil {
		return nil, err
	}
	if !biz.ValidTarget(req.Target) {
		return nil, apierr.Invalid("target", `must be "due", "all" or "plan:<plan_id>"`)
	}
	if len(req.ChannelRef) > 128 {
		return nil, apierr.Invalid("channel_ref", "at most 128 characters")
	}
	return idem.Do(ctx, s.idem, v1.BillingService_CreateRepayment_FullMethodName, req, newRepayment, func(ctx context.Context) (*v1.Repayment, error) {
		rp, err := s.uc.Repay(ctx, biz.RepayRequest{UserID: u, Amount: amount, Target: req.Target, ChannelRef: req.ChannelRef})
		if err != nil {
			return nil, err
		}
		return RepaymentReply(rp), nil
	})
}

// RepaymentReply maps a repayment.
func RepaymentReply(rp biz.Repayment) *v1.Repayment {
	out := &v1.Repayment{RepaymentId: strconv.FormatInt(rp.ID, 10), UserId: rp.UserID, Amount: rp.Amount.String(), Target: rp.Target, Source: rp.Source,
		ToCreditBalance: rp.ToCreditBalance.String(), ReceivedAt: rp.ReceivedAt.In(clock.Location).Format(time.RFC3339),
		Allocated: []*v1.RepaymentAllocation{}}
	for _, a := range rp.Allocations {
		out.Allocated = append(out.Allocated, &v1.RepaymentAllocation{Kind: a.Kind, Target: a.Target, Amount: a.Amount.String()})
	}
	return out
}

// SetAutopay implements v1.BillingServiceServer.
func (s *BillingService) SetAutopay(ctx context.Context, req *v1.SetAutopayRequest) (*v1.AutopaySetting, error) {
	u, err := user(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	if err := s.uc.SetAutopay(ctx, u, req.Enabled); err != nil {
		return nil, err
	}
	return &v1.AutopaySetting{UserId: u, Enabled: req.Enabled}, nil
}
