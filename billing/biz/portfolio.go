package biz

import (
	"context"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// PortfolioBuckets are the delinquency buckets in report order.
var PortfolioBuckets = []string{"current", "M1", "M2", "M3", "M3+", AccountChargedOff}

// PortfolioRow is one obligor bucket of the book.
type PortfolioRow struct {
	Bucket    string
	Obligors  int
	Principal money.Amount
	Sold      money.Amount // part of Principal owned by pools
}

// PortfolioRepo aggregates the book in the database.
type PortfolioRepo interface {
	// PortfolioRows sums outstanding purchase principal per obligor bucket (charged-off
	// accounts in their own bucket).
	PortfolioRows(ctx context.Context) ([]PortfolioRow, error)
}

// Portfolio is GET /v1/ops/portfolio.
type Portfolio struct {
	AsOf    clock.Date
	Rows    []PortfolioRow // every bucket of PortfolioBuckets, in order
	Total   money.Amount
	Sold    money.Amount
	Obligor int
}

// Portfolio reports the book by delinquency bucket as of today.
func (uc *BillingUseCase) Portfolio(ctx context.Context) (Portfolio, error) {
	rows, err := uc.repo.PortfolioRows(ctx)
	if err != nil {
		return Portfolio{}, err
	}
	byBucket := map[string]PortfolioRow{}
	for _, r := range rows {
		cur := byBucket[r.Bucket]
		cur.Obligors += r.Obligors
		cur.Principal += r.Principal
		cur.Sold += r.Sold
		byBucket[r.Bucket] = cur
	}
	out := Portfolio{AsOf: clock.Today(uc.clock)}
	for _, b := range PortfolioBuckets {
		r := byBucket[b]
		r.Bucket = b
		out.Rows = append(out.Rows, r)
		out.Total += r.Principal
		out.Sold += r.Sold
		out.Obligor += r.Obligors
	}
	return out, nil
}
