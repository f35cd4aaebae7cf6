package biz

import (
	"context"

	"github.com/huabei/huabei/app/money"
)

// FundingSource tells how much money is available to lend right now. The asset center
// will provide the real one (cash less what is owed, from the ledger); until then
// CapitalFunding stands in.
type FundingSource interface {
	Available(ctx context.Context) (money.Amount, error)
}

// CapitalFunding is the stand-in funding source: a configured capital minus what all
// lines have drawn (outstanding + held), one aggregate query per call.
type CapitalFunding struct {
	Capital money.Amount
	Repo    LineRepo
}

// Available implements FundingSource; never below zero.
func (f CapitalFunding) Available(ctx context.Context) (money.Amount, error) {
	used, err := f.Repo.Exposure(ctx)
	if err != nil {
		return 0, err
	}
	return max(0, f.Capital-used), nil
}
