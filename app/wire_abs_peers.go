package app

import (
	"context"
	"strconv"

	absbiz "github.com/huabei/huabei/abs/biz"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	billingbiz "github.com/huabei/huabei/billing/biz"
	ledgerbiz "github.com/huabei/huabei/billing/ledger/biz"
)

// wireABSPeers connects the asset center to credit (applications and payment
// authorizations read its funding, cached ≤ 1 s: FUNDING_EXHAUSTED) and to billing
// (principal repaid on a sold purchase is routed to the pool's collections payable).
func (a *App) wireABSPeers() {
	if a.credit.Lines != nil {
		a.credit.SetFunding(a.abs.AssetCenter)
	}
	if a.billing.UseCase != nil {
		a.billing.UseCase.SetCollectionsHook(absCollections{uc: a.abs.AssetCenter, clk: a.Clock})
	}
	// Refunds and installment repayments on sold purchases reach the pool too.
	if a.payments.UseCase != nil {
		a.payments.UseCase.SetCollectionsHook(absCollections{uc: a.abs.AssetCenter, clk: a.Clock})
	}
	if a.installments.UseCase != nil {
		a.installments.UseCase.SetCollectionsHook(absCollections{uc: a.abs.AssetCenter, clk: a.Clock})
	}
}

// absCollections adapts the asset center to billing's CollectionsHook.
type absCollections struct {
	uc  *absbiz.AssetCenter
	clk clock.Clock
}

// PrincipalCollected runs inside billing's repayment transaction; the flow ref only has
// to be unique (it commits or rolls back with the repayment).
func (h absCollections) PrincipalCollected(ctx context.Context, p billingbiz.BilledPurchase, amount money.Amount) ([]ledgerbiz.Posting, error) {
	return h.uc.CollectionPostings(ctx, absbiz.Collection{Ref: "collect:" + strconv.FormatInt(ids.New(), 10), PurchaseID: p.ID,
		Owner: p.Owner, Principal: amount, Date: clock.Today(h.clk)})
}
