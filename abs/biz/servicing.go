package biz

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"

	ledger "github.com/huabei/huabei/billing/ledger/biz"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

// Collection is money billing allocated to a purchase the lender no longer owns.
type Collection struct {
	Ref        string // unique per event, e.g. repayment:<id>:<purchase>
	PurchaseID int64
	Owner      string // purchase.owner (the pool id)
	Principal  money.Amount
	Fee        money.Amount // fee/interest collected on the sold asset
	Date       clock.Date
}

// CollectionPostings is the servicing hook billing calls inside its repayment
// transaction for an allocation to a purchase owned by a pool. Billing books the
// repayment as usual (Dr cash, Cr receivable.*:<user>); the returned postings, added to
// the same entry, route the money to the buyer:
//
//	Dr receivable.principal:pool:<id>   principal   (the pool's contra receivable shrinks with the user's)
//	Dr income.installment_fee           fee         (income after cut-off belongs to the buyer)
//	Cr spv.collections_payable:<id>     principal + fee
//
// It also records the flows for the servicer report. Lender-owned purchases return nil.
func (u *AssetCenter) CollectionPostings(ctx context.Context, c Collection) ([]ledger.Posting, error) {
	if c.Owner == "" || c.Owner == OwnerLender || c.Principal+c.Fee <= 0 {
		return nil, nil
	}
	poolID, err := strconv.ParseInt(c.Owner, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("abs: purchase %d owner %q is not a pool", c.PurchaseID, c.Owner)
	}
	var ps []ledger.Posting
	if c.Principal > 0 {
		ps = append(ps, ledger.Posting{Account: ledger.AccountReceivablePrincipal, Owner: SoldOwner(poolID), Debit: true, Amount: c.Principal})
		if _, err := u.repo.AddFlow(ctx, Flow{PoolID: poolID, Ref: c.Ref + ":p", Kind: FlowPrincipal, AssetID: c.PurchaseID, Amount: c.Principal, Date: c.Date.Int()}); err != nil {
			return nil, err
		}
	}
	if c.Fee > 0 {
		ps = append(ps, ledger.Posting{Account: ledger.AccountIncomeInstallmentFee, Debit: true, Amount: c.Fee})
		if _, err := u.repo.AddFlow(ctx, Flow{PoolID: poolID, Ref: c.Ref + ":f", Kind: FlowFee, AssetID: c.PurchaseID, Amount: c.Fee, Date: c.Date.Int()}); err != nil {
			return nil, err
		}
	}
	ps = append(ps, ledger.Posting{Account: ledger.AccountSPVCollectionsPayable, Owner: c.Owner, Amount: c.Principal + c.Fee})
	u.invalidateFunding()
	return ps, nil
}

// InRevolvingPeriod reports whether date is within the pool's revolving period.
func (p *Pool) InRevolvingPeriod(date clock.Date) bool {
	if p.Status != PoolTransferred || p.RevolvingMonths <= 0 || p.TransferDate == 0 {
		return false
	}
	return date.Before(clock.FromInt(p.TransferDate).AddMonths(p.RevolvingMonths))
}

// ServiceAll is the abs_servicing job body for a business date: for every transferred
// pool, collections payable are used for revolving purchases during the revolving
// period, otherwise remitted to the buyer (Dr spv.collections_payable / Cr cash). Each
// pool is one transaction with an idempotency id per pool and date, so a repeat is a no-op.
func (u *AssetCenter) ServiceAll(ctx context.Context, date clock.Date) (int, error) {
	pools, err := u.repo.ListPools(ctx, PoolTransferred)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pools {
		if p.InRevolvingPeriod(date) {
			if _, err := u.RevolvingPurchase(ctx, p.ID, date); err != nil {
				return n, err
			}
		} else if _, err := u.Remit(ctx, p.ID, date); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Remit pays the pool's collections payable to the buyer.
func (u *AssetCenter) Remit(ctx context.Context, poolID int64, date clock.Date) (money.Amount, error) {
	var amt money.Amount
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := u.repo.GetPool(ctx, poolID, true)
		if err != nil {
			return err
		}
		if amt, err = u.ledger.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); err != nil || amt <= 0 {
			return err
		}
		// A fresh id each time: the amount is read under the pool lock, so a repeat
		// remits only what arrived since (a date-derived id would conflict then).
		ref := fmt.Sprintf("abs:pool:%d:remit:%d:%d", p.ID, date.Int(), ids.New())
		if _, err := u.ledger.Post(ctx, ledger.Entry{IdempotencyID: ref, Type: "abs.remit", Description: "collections remitted to " + truncate(p.Buyer, 100),
			BusinessDate: date, Postings: []ledger.Posting{
				{Account: ledger.AccountSPVCollectionsPayable, Owner: p.Owner(), Debit: true, Amount: amt},
				{Account: ledger.AccountCash, Amount: amt},
			}}); err != nil {
			return err
		}
		_, err = u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: ref, Kind: FlowRemit, Amount: amt, Date: date.Int()})
		return err
	})
	u.invalidateFunding()
	return amt, err
}

// RevolvingResult summarizes a revolving purchase.
type RevolvingResult struct {
	AssetCount int
	Balance    money.Amount
	Available  money.Amount
	Remaining  money.Amount
}

// RevolvingPurchase buys eligible lender assets (the pool's criteria, cut-off asOf) into
// the pool at par with its collections payable, in one transaction:
// Dr spv.collections_payable:<id> / Cr receivable.principal:pool:<id>.
func (u *AssetCenter) RevolvingPurchase(ctx context.Context, poolID int64, asOf clock.Date) (*RevolvingResult, error) {
	res := &RevolvingResult{}
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		*res = RevolvingResult{}
		p, err := u.repo.GetPool(ctx, poolID, true)
		if err != nil {
			return err
		}
		if !p.InRevolvingPeriod(asOf) {
			return ErrNotRevolving
		}
		if res.Available, err = u.ledger.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); err != nil {
			return err
		}
		if res.Available <= 0 {
			return nil
		}
		crit := p.Criteria
		crit.TargetBalance = res.Available
		crit.ExcludePoolID = p.ID
		var cands []Candidate
		if err := u.repo.EligibleAssets(ctx, asOf, crit, func(c Candidate) error { cands = append(cands, c); return nil }); err != nil {
			return err
		}
		SelectionOrder(cands)
		sel := SelectAssets(cands, crit)
		sortedCandidates(sel)
		if len(sel) == 0 {
			res.Remaining = res.Available
			return nil
		}
		if err := u.repo.InsertPoolAssets(ctx, p.ID, asOf.Int(), sel); err != nil {
			return err
		}
		assetIDs := make([]int64, len(sel))
		for i, c := range sel {
			assetIDs[i] = c.AssetID
		}
		n, out, err := u.repo.SetOwner(ctx, assetIDs, OwnerLender, p.Owner())
		if err != nil {
			return err
		}
		if n != len(sel) {
			return fmt.Errorf("abs: revolving purchase: %d of %d assets changed owner meanwhile", len(sel)-n, len(sel))
		}
		res.AssetCount, res.Balance, res.Remaining = n, out, res.Available-out
		ref := fmt.Sprintf("abs:pool:%d:revolving:%d:%d", p.ID, asOf.Int(), ids.New())
		if _, err := u.ledger.Post(ctx, ledger.Entry{IdempotencyID: ref, Type: "abs.revolving_purchase", Description: "revolving purchase",
			BusinessDate: asOf, Postings: []ledger.Posting{
				{Account: ledger.AccountSPVCollectionsPayable, Owner: p.Owner(), Debit: true, Amount: out},
				{Account: ledger.AccountReceivablePrincipal, Owner: SoldOwner(p.ID), Amount: out},
			}}); err != nil {
			return err
		}
		if _, err := u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: ref, Kind: FlowPurchase, Amount: out, Date: asOf.Int()}); err != nil {
			return err
		}
		if err := u.refreshAnalytics(ctx, p); err != nil {
			return err
		}
		return u.repo.UpdatePool(ctx, p)
	})
	u.invalidateFunding()
	return res, err
}

// Buyback reasons.
const (
	BuybackDefaulted  = "defaulted"
	BuybackIneligible = "ineligible"
)

// DefaultDPD: an asset more than this many days past due is defaulted.
const DefaultDPD = 90

// BuybackResult summarizes a buyback.
type BuybackResult struct {
	AssetIDs []int64
	Amount   money.Amount
}

// Buyback repurchases assets from a sold pool at outstanding principal: defaulted (DPD
// > 90; asset_ids optional, default all such) or ineligible (asset_ids required). One
// transaction: owners flip back to the lender, and
// Dr receivable.principal:pool:<id> / Cr cash (the lender pays the buyer).
func (u *AssetCenter) Buyback(ctx context.Context, poolID int64, reason string, assetIDs []int64, date clock.Date) (*BuybackResult, error) {
	res := &BuybackResult{}
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		*res = BuybackResult{}
		p, err := u.repo.GetPool(ctx, poolID, true)
		if err != nil {
			return err
		}
		if p.Status != PoolTransferred {
			return ErrPoolNotTransferred
		}
		states, err := u.repo.AssetStates(ctx, p.ID, assetIDs)
		if err != nil {
			return err
		}
		amounts := map[int64]money.Amount{}
		for _, s := range states {
			if s.Status != "active" || s.Owner != p.Owner() || s.Outstanding <= 0 {
				continue
			}
			if reason == BuybackDefaulted && s.DPD <= DefaultDPD {
				continue
			}
			res.AssetIDs = append(res.AssetIDs, s.AssetID)
			amounts[s.AssetID] = s.Outstanding
			res.Amount += s.Outstanding
		}
		if len(res.AssetIDs) == 0 {
			return nil
		}
		n, out, err := u.repo.SetOwner(ctx, res.AssetIDs, p.Owner(), OwnerLender)
		if err != nil {
			return err
		}
		if n != len(res.AssetIDs) || out != res.Amount {
			return fmt.Errorf("abs: buyback: assets changed meanwhile")
		}
		if err := u.repo.MarkRemoved(ctx, p.ID, res.AssetIDs, date.Int(), reason, amounts); err != nil {
			return err
		}
		for _, id := range res.AssetIDs {
			ref := fmt.Sprintf("buyback:%d", id)
			if reason == BuybackDefaulted {
				if _, err := u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: ref + ":default", Kind: FlowDefault, AssetID: id, Amount: amounts[id], Date: date.Int()}); err != nil {
					return err
				}
				if _, err := u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: ref + ":recovery", Kind: FlowRecovery, AssetID: id, Amount: amounts[id], Date: date.Int()}); err != nil {
					return err
				}
			} else if _, err := u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: ref, Kind: FlowBuyback, AssetID: id, Amount: amounts[id], Date: date.Int()}); err != nil {
				return err
			}
		}
		if res.Amount > 0 {
			if _, err := u.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("abs:pool:%d:buyback:%d", p.ID, res.AssetIDs[0]),
				Type: "abs.buyback", Description: "buyback (" + reason + ")", BusinessDate: date, Postings: []ledger.Posting{
					{Account: ledger.AccountReceivablePrincipal, Owner: SoldOwner(p.ID), Debit: true, Amount: res.Amount},
					{Account: ledger.AccountCash, Amount: res.Amount},
				}}); err != nil {
				return err
			}
		}
		if err := u.refreshAnalytics(ctx, p); err != nil {
			return err
		}
		return u.repo.UpdatePool(ctx, p)
	})
	u.invalidateFunding()
	return res, err
}

// Report is a servicer report.
type Report struct {
	PoolID                                                int64
	Period                                                string
	OriginalBalance, Beginning, PrincipalCollected, Fees  money.Amount
	Defaults, Recoveries, Buybacks, Purchases, Ending     money.Amount
	Remitted                                              money.Amount
	PoolFactor, SMM, CPR, MDR, CDR, CumulativeDefaultRate decimal.Decimal
	Delinquency                                           []StratumRow // bucket, count, balance
}

// Report builds the servicer report of a pool for period (YYYY-MM). Balances come from
// the pool's flows since cut-off; when the period includes today the ending balance is
// also checked against the live outstanding principal of the pool's assets. The
// identity ending = beginning − principal − defaults − buybacks + purchases is checked
// and a mismatch is an error.
func (u *AssetCenter) Report(ctx context.Context, poolID int64, period clock.Date) (*Report, error) {
	p, err := u.repo.GetPool(ctx, poolID, false)
	if err != nil {
		return nil, err
	}
	start := period.FirstOfMonth()
	end := start.AddMonths(1).AddDays(-1)
	before, err := u.repo.FlowSums(ctx, p.ID, 0, start.AddDays(-1).Int())
	if err != nil {
		return nil, err
	}
	in, err := u.repo.FlowSums(ctx, p.ID, start.Int(), end.Int())
	if err != nil {
		return nil, err
	}
	r := &Report{PoolID: p.ID, Period: start.Period(), OriginalBalance: p.OriginalBalance}
	r.Beginning = p.OriginalBalance - before[FlowPrincipal] - before[FlowDefault] - before[FlowBuyback] + before[FlowPurchase]
	if end.Before(p.Cutoff) {
		r.Beginning = 0
	}
	r.PrincipalCollected, r.Fees = in[FlowPrincipal], in[FlowFee]
	r.Defaults, r.Recoveries, r.Buybacks, r.Purchases, r.Remitted = in[FlowDefault], in[FlowRecovery], in[FlowBuyback], in[FlowPurchase], in[FlowRemit]
	r.Ending = r.Beginning - r.PrincipalCollected - r.Defaults - r.Buybacks + r.Purchases
	today := u.today()
	if p.Status == PoolTransferred && !today.Before(start) && !today.After(end) {
		live, _, err := u.repo.PoolOutstanding(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if live != r.Ending {
			return nil, ErrReportIdentity.WithMetadata(map[string]string{"ending_from_flows": r.Ending.String(), "live_outstanding": live.String()})
		}
	}
	if r.Ending != r.Beginning-r.PrincipalCollected-r.Defaults-r.Buybacks+r.Purchases {
		return nil, ErrReportIdentity
	}
	frac := func(a, b money.Amount) decimal.Decimal {
		if b <= 0 {
			return decimal.Zero
		}
		return decimal.NewFromInt(int64(a)).DivRound(decimal.NewFromInt(int64(b)), 12)
	}
	annual := func(m decimal.Decimal) decimal.Decimal {
		return decimal.NewFromInt(1).Sub(decimal.NewFromInt(1).Sub(m).Pow(decimal.NewFromInt(12))).Round(4)
	}
	r.PoolFactor = frac(r.Ending, r.OriginalBalance).Round(4)
	smm := frac(r.PrincipalCollected, r.Beginning)
	mdr := frac(r.Defaults, r.Beginning)
	r.SMM, r.CPR, r.MDR, r.CDR = smm.Round(4), annual(smm), mdr.Round(4), annual(mdr)
	cum, err := u.repo.FlowSums(ctx, p.ID, 0, end.Int())
	if err != nil {
		return nil, err
	}
	r.CumulativeDefaultRate = frac(cum[FlowDefault], r.OriginalBalance).Round(4)
	buckets := []string{"current", "1-30", "31-60", "61-90", "90+"}
	byBucket := map[string]*StratumRow{}
	for _, b := range buckets {
		byBucket[b] = &StratumRow{Bucket: b}
	}
	if p.Status == PoolTransferred {
		states, err := u.repo.AssetStates(ctx, p.ID, nil)
		if err != nil {
			return nil, err
		}
		for _, s := range states {
			if s.Owner != p.Owner() || s.Outstanding <= 0 {
				continue
			}
			b := "current"
			switch {
			case s.DPD > 90:
				b = "90+"
			case s.DPD > 60:
				b = "61-90"
			case s.DPD > 30:
				b = "31-60"
			case s.DPD > 0:
				b = "1-30"
			}
			byBucket[b].Count++
			byBucket[b].Balance += s.Outstanding
		}
	}
	for _, b := range buckets {
		r.Delinquency = append(r.Delinquency, *byBucket[b])
	}
	return r, nil
}
