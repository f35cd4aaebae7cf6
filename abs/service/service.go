package service

import (
	"context"
	"strconv"

	"github.com/shopspring/decimal"

	v1 "github.com/huabei/huabei/abs/api/v1"
	"github.com/huabei/huabei/abs/biz"
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/idem"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/server"
)

// AbsService implements v1.AbsServiceServer.
type AbsService struct {
	v1.UnimplementedAbsServiceServer
	uc   *biz.AssetCenter
	idem *idem.Store
	clk  clock.Clock
}

// NewAbsService returns the service.
func NewAbsService(uc *biz.AssetCenter, st *idem.Store, clk clock.Clock) *AbsService {
	return &AbsService{uc: uc, idem: st, clk: clk}
}

// Register adds the HTTP routes (API.md, Asset center).
func (s *AbsService) Register(r *server.Routes) {
	t := []auth.Role{auth.RoleTreasury}
	server.Route(r, "POST", "/v1/abs/pools", v1.AbsService_CreatePool_FullMethodName, t, s.CreatePool)
	server.Route(r, "GET", "/v1/abs/pools/{pool_id}", v1.AbsService_GetPool_FullMethodName, t, s.GetPool)
	server.Route(r, "GET", "/v1/abs/pools/{pool_id}/strata", v1.AbsService_GetStrata_FullMethodName, t, s.GetStrata)
	server.Route(r, "POST", "/v1/abs/pools/{pool_id}/transfer", v1.AbsService_TransferPool_FullMethodName, t, s.TransferPool)
	server.Route(r, "POST", "/v1/abs/pools/{pool_id}/revolving-purchases", v1.AbsService_RevolvingPurchase_FullMethodName, t, s.RevolvingPurchase)
	server.Route(r, "POST", "/v1/abs/pools/{pool_id}/buybacks", v1.AbsService_Buyback_FullMethodName, t, s.Buyback)
	server.Route(r, "GET", "/v1/abs/pools/{pool_id}/reports/{period}", v1.AbsService_GetReport_FullMethodName, t, s.GetReport)
	server.Route(r, "GET", "/v1/abs/funding", v1.AbsService_GetFunding_FullMethodName, []auth.Role{auth.RoleTreasury, auth.RoleOps}, s.GetFunding)
}

func optionalAmount(name, s string) (money.Amount, error) {
	a, _, err := field.OptionalAmount(name, s)
	return a, err
}

func criteriaFrom(c *v1.PoolCriteria) (biz.Criteria, error) {
	var out biz.Criteria
	if c == nil {
		return out, nil
	}
	var err error
	if c.MinScore < 0 || c.MinScore > 1000 {
		return out, apierr.Invalid("criteria.min_score", "must be 0..1000")
	}
	out.MinScore = int(c.MinScore)
	if out.MinPrincipal, err = optionalAmount("criteria.min_principal", c.MinPrincipal); err != nil {
		return out, err
	}
	if out.MaxPrincipal, err = optionalAmount("criteria.max_principal", c.MaxPrincipal); err != nil {
		return out, err
	}
	if out.MaxPrincipal > 0 && out.MinPrincipal > out.MaxPrincipal {
		return out, apierr.Invalid("criteria.max_principal", "must not be below min_principal")
	}
	if c.MinRemainingPeriods < 0 || c.MinRemainingPeriods > 600 {
		return out, apierr.Invalid("criteria.min_remaining_periods", "must be 0..600")
	}
	if c.MaxRemainingPeriods < 0 || c.MaxRemainingPeriods > 600 {
		return out, apierr.Invalid("criteria.max_remaining_periods", "must be 0..600")
	}
	if c.MaxRemainingPeriods > 0 && c.MinRemainingPeriods > c.MaxRemainingPeriods {
		return out, apierr.Invalid("criteria.max_remaining_periods", "must not be below min_remaining_periods")
	}
	out.MinRemainingPeriods, out.MaxRemainingPeriods = int(c.MinRemainingPeriods), int(c.MaxRemainingPeriods)
	if c.MaxObligorShare != "" {
		d, err := decimal.NewFromString(c.MaxObligorShare)
		if err != nil || d.Sign() <= 0 || d.GreaterThan(decimal.NewFromInt(1)) || d.Exponent() < -6 {
			return out, apierr.Invalid("criteria.max_obligor_share", `must be a fraction in (0, 1] such as "0.05"`)
		}
		out.MaxObligorShare = d
	}
	if out.TargetBalance, err = optionalAmount("criteria.target_balance", c.TargetBalance); err != nil {
		return out, err
	}
	return out, nil
}

func criteriaTo(c biz.Criteria) *v1.PoolCriteria {
	out := &v1.PoolCriteria{MinScore: int32(c.MinScore), MinRemainingPeriods: int32(c.MinRemainingPeriods), MaxRemainingPeriods: int32(c.MaxRemainingPeriods)}
	amt := func(a money.Amount) string {
		if a == 0 {
			return ""
		}
		return a.String()
	}
	out.MinPrincipal, out.MaxPrincipal, out.TargetBalance = amt(c.MinPrincipal), amt(c.MaxPrincipal), amt(c.TargetBalance)
	if c.MaxObligorShare.Sign() > 0 {
		out.MaxObligorShare = c.MaxObligorShare.StringFixed(4)
	}
	return out
}

func statsTo(s biz.PoolStats) *v1.PoolStats {
	return &v1.PoolStats{AssetCount: int32(s.AssetCount), ObligorCount: int32(s.ObligorCount), Balance: s.Balance.String(),
		AverageBalance: s.AverageBalance.String(), Wac: s.WAC.StringFixed(4), Wam: s.WAM.StringFixed(4), Wal: s.WAL.StringFixed(4),
		TopObligorShare: s.TopObligorShare.StringFixed(4)}
}

func poolTo(p *biz.Pool) *v1.Pool {
	out := &v1.Pool{PoolId: p.Owner(), Name: p.Name, Status: p.Status, CutoffDate: p.Cutoff.String(), Criteria: criteriaTo(p.Criteria),
		Stats: statsTo(p.Stats), Buyer: p.Buyer, Price: p.Price, RevolvingMonths: int32(p.RevolvingMonths), TransferredCount: int32(p.TransferredCount)}
	if p.TransferID != 0 {
		out.TransferId = strconv.FormatInt(p.TransferID, 10)
	}
	if p.Proceeds != 0 {
		out.Proceeds = p.Proceeds.String()
	}
	return out
}

// CreatePool implements POST /v1/abs/pools.
func (s *AbsService) CreatePool(ctx context.Context, in *v1.CreatePoolRequest) (*v1.Pool, error) {
	name, err := field.Text("name", in.Name, 128)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, apierr.Invalid("name", "is required")
	}
	cutoff, err := field.Date("cutoff_date", in.CutoffDate)
	if err != nil {
		return nil, err
	}
	crit, err := criteriaFrom(in.Criteria)
	if err != nil {
		return nil, err
	}
	if in.RevolvingMonths < 0 || in.RevolvingMonths > 120 {
		return nil, apierr.Invalid("revolving_months", "must be 0..120")
	}
	p, err := s.uc.CreatePool(ctx, name, cutoff, crit, int(in.RevolvingMonths))
	if err != nil {
		return nil, err
	}
	return poolTo(p), nil
}

// GetPool implements GET /v1/abs/pools/{pool_id}.
func (s *AbsService) GetPool(ctx context.Context, in *v1.GetPoolRequest) (*v1.Pool, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	p, err := s.uc.GetPool(ctx, id)
	if err != nil {
		return nil, err
	}
	return poolTo(p), nil
}

// GetStrata implements GET /v1/abs/pools/{pool_id}/strata?by=.
func (s *AbsService) GetStrata(ctx context.Context, in *v1.GetStrataRequest) (*v1.StrataReply, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	by, err := field.Enum("by", in.By, biz.Strata...)
	if err != nil {
		return nil, err
	}
	p, err := s.uc.GetPool(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &v1.StrataReply{PoolId: p.Owner(), By: by, Rows: []*v1.StratumRow{}}
	for _, r := range p.Strata[by] {
		out.Rows = append(out.Rows, &v1.StratumRow{Bucket: r.Bucket, Count: int32(r.Count), Balance: r.Balance.String(), Share: r.Share.StringFixed(4)})
	}
	return out, nil
}

// TransferPool implements POST /v1/abs/pools/{pool_id}/transfer: the owner flip runs in
// batches (each its own transaction, resumable), then the sale entry and the status
// change commit together with the idempotent response.
func (s *AbsService) TransferPool(ctx context.Context, in *v1.TransferPoolRequest) (*v1.Transfer, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	buyer, err := field.Text("buyer", in.Buyer, 128)
	if err != nil {
		return nil, err
	}
	if buyer == "" {
		return nil, apierr.Invalid("buyer", "is required")
	}
	price, err := decimal.NewFromString(in.Price)
	if err != nil || price.Sign() <= 0 || price.GreaterThan(decimal.NewFromInt(200)) || price.Exponent() < -2 {
		return nil, apierr.Invalid("price", `must be a percentage of par with at most 2 decimals such as "98.50"`)
	}
	if err := s.uc.StartTransfer(ctx, id, buyer, price); err != nil {
		return nil, err
	}
	return idem.Do(ctx, s.idem, v1.AbsService_TransferPool_FullMethodName, in, func() *v1.Transfer { return new(v1.Transfer) },
		func(ctx context.Context) (*v1.Transfer, error) {
			res, err := s.uc.CompleteTransfer(ctx, id)
			if err != nil {
				return nil, err
			}
			p := res.Pool
			return &v1.Transfer{TransferId: strconv.FormatInt(p.TransferID, 10), PoolId: p.Owner(), Balance: p.OriginalBalance.String(),
				Proceeds: p.Proceeds.String(), Status: p.Status, Buyer: p.Buyer, Price: p.Price, GainLoss: res.GainLoss.String(),
				AssetCount: int32(p.TransferredCount)}, nil
		})
}

// RevolvingPurchase implements POST /v1/abs/pools/{pool_id}/revolving-purchases.
func (s *AbsService) RevolvingPurchase(ctx context.Context, in *v1.RevolvingPurchaseRequest) (*v1.RevolvingPurchaseReply, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	asOf := clock.Today(s.clk)
	if in.AsOf != "" {
		if asOf, err = field.Date("as_of", in.AsOf); err != nil {
			return nil, err
		}
	}
	return idem.Do(ctx, s.idem, v1.AbsService_RevolvingPurchase_FullMethodName, in, func() *v1.RevolvingPurchaseReply { return new(v1.RevolvingPurchaseReply) },
		func(ctx context.Context) (*v1.RevolvingPurchaseReply, error) {
			r, err := s.uc.RevolvingPurchase(ctx, id, asOf)
			if err != nil {
				return nil, err
			}
			return &v1.RevolvingPurchaseReply{PoolId: in.PoolId, AsOf: asOf.String(), AssetCount: int32(r.AssetCount), Balance: r.Balance.String(),
				CollectionsAvailable: r.Available.String(), CollectionsRemaining: r.Remaining.String()}, nil
		})
}

// Buyback implements POST /v1/abs/pools/{pool_id}/buybacks.
func (s *AbsService) Buyback(ctx context.Context, in *v1.BuybackRequest) (*v1.BuybackReply, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	reason, err := field.Enum("reason", in.Reason, biz.BuybackDefaulted, biz.BuybackIneligible)
	if err != nil {
		return nil, err
	}
	var assetIDs []int64
	for _, a := range in.AssetIds {
		v, err := field.ID("asset_ids", a)
		if err != nil {
			return nil, err
		}
		assetIDs = append(assetIDs, v)
	}
	if reason == biz.BuybackIneligible && len(assetIDs) == 0 {
		return nil, apierr.Invalid("asset_ids", "is required for ineligible buybacks")
	}
	if len(assetIDs) > 10000 {
		return nil, apierr.Invalid("asset_ids", "at most 10000")
	}
	date := clock.Today(s.clk)
	return idem.Do(ctx, s.idem, v1.AbsService_Buyback_FullMethodName, in, func() *v1.BuybackReply { return new(v1.BuybackReply) },
		func(ctx context.Context) (*v1.BuybackReply, error) {
			r, err := s.uc.Buyback(ctx, id, reason, assetIDs, date)
			if err != nil {
				return nil, err
			}
			out := &v1.BuybackReply{PoolId: in.PoolId, Reason: reason, AssetCount: int32(len(r.AssetIDs)), Amount: r.Amount.String(), AssetIds: []string{}}
			for _, a := range r.AssetIDs {
				out.AssetIds = append(out.AssetIds, strconv.FormatInt(a, 10))
			}
			return out, nil
		})
}

// GetReport implements GET /v1/abs/pools/{pool_id}/reports/{period}.
func (s *AbsService) GetReport(ctx context.Context, in *v1.GetReportRequest) (*v1.ServicerReport, error) {
	id, err := field.ID("pool_id", in.PoolId)
	if err != nil {
		return nil, err
	}
	period, err := field.Period("period", in.Period)
	if err != nil {
		return nil, err
	}
	r, err := s.uc.Report(ctx, id, period)
	if err != nil {
		return nil, err
	}
	out := &v1.ServicerReport{PoolId: in.PoolId, Period: r.Period, BeginningBalance: r.Beginning.String(),
		PrincipalCollected: r.PrincipalCollected.String(), FeesCollected: r.Fees.String(), Defaults: r.Defaults.String(),
		Recoveries: r.Recoveries.String(), Buybacks: r.Buybacks.String(), Purchases: r.Purchases.String(), EndingBalance: r.Ending.String(),
		PoolFactor: r.PoolFactor.StringFixed(4), Smm: r.SMM.StringFixed(4), Cpr: r.CPR.StringFixed(4), Mdr: r.MDR.StringFixed(4),
		Cdr: r.CDR.StringFixed(4), CumulativeDefaultRate: r.CumulativeDefaultRate.StringFixed(4), Remitted: r.Remitted.String(),
		OriginalBalance: r.OriginalBalance.String()}
	for _, b := range r.Delinquency {
		out.Delinquency = append(out.Delinquency, &v1.DelinquencyBucket{Bucket: b.Bucket, Count: int32(b.Count), Balance: b.Balance.String()})
	}
	return out, nil
}

// GetFunding implements GET /v1/abs/funding.
func (s *AbsService) GetFunding(ctx context.Context, _ *v1.GetFundingRequest) (*v1.Funding, error) {
	f, err := s.uc.Funding(ctx)
	if err != nil {
		return nil, err
	}
	return &v1.Funding{Capital: f.Capital.String(), Cash: f.Cash.String(), SaleProceeds: f.SaleProceeds.String(), Collections: f.Collections.String(),
		MerchantPayables: f.MerchantPayables.String(), SpvPayables: f.SPVPayables.String(), OpenHolds: f.OpenHolds.String(),
		LenderPrincipalOutstanding: f.LenderPrincipalOutstanding.String(), Available: f.Available.String()}, nil
}
