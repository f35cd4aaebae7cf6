package service

import (
	"context"

	"github.com/shopspring/decimal"

	v1 "github.com/huabei/huabei/billing/api/v1"
)

// GetPortfolio implements v1.BillingServiceServer.
func (s *BillingService) GetPortfolio(ctx context.Context, _ *v1.GetPortfolioRequest) (*v1.Portfolio, error) {
	p, err := s.uc.Portfolio(ctx)
	if err != nil {
		return nil, err
	}
	out := &v1.Portfolio{AsOf: p.AsOf.String(), OutstandingPrincipal: p.Total.String(), LenderPrincipal: (p.Total - p.Sold).String(),
		SoldPrincipal: p.Sold.String(), Obligors: int32(p.Obligor)}
	for _, r := range p.Rows {
		share := decimal.Zero
		if p.Total > 0 {
			// half-up to 4 places: a display share, not money
			share = decimal.NewFromInt(int64(r.Principal)).Div(decimal.NewFromInt(int64(p.Total))).Round(4)
		}
		out.Buckets = append(out.Buckets, &v1.PortfolioBucket{Bucket: r.Bucket, Count: int32(r.Obligors), Balance: r.Principal.String(), Share: share.StringFixed(4)})
	}
	return out, nil
}
