package biz

import (
	"context"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Pool statuses.
const (
	PoolDraft        = "draft"
	PoolTransferring = "transferring"
	PoolTransferred  = "transferred"
	PoolCancelled    = "cancelled"
	// PoolBuilding is a large pool whose assets are still being frozen (not visible to
	// selection as reserved; becomes draft when complete).
	PoolBuilding = "building"
)

// OwnerLender is purchase.owner for assets the lender still holds; a sold asset's owner
// is its pool id in decimal.
const OwnerLender = "lender"

// Criteria are a pool's eligibility and concentration rules. Zero values mean "no limit".
type Criteria struct {
	MinScore            int
	MinPrincipal        money.Amount
	MaxPrincipal        money.Amount
	MinRemainingPeriods int
	MaxRemainingPeriods int
	MaxObligorShare     decimal.Decimal // fraction; zero = no cap
	TargetBalance       money.Amount
	// ExcludePoolID skips assets that were ever in this pool (revolving purchases must
	// not re-buy an asset the pool sold back).
	ExcludePoolID int64
}

// Candidate is an eligible asset as the selection query returns it (balance = outstanding
// principal at cut-off).
type Candidate struct {
	AssetID          int64
	UserID           string
	Balance          money.Amount
	APR              decimal.Decimal
	RemainingPeriods int
	Amortization     Amortization
	Score            int
	OriginationDate  int // yyyymmdd
}

// Analytics returns the candidate as analytics input.
func (c Candidate) Analytics() AnalyticsAsset {
	m := ""
	if c.OriginationDate > 0 {
		m = clock.FromInt(c.OriginationDate).Period()
	}
	return AnalyticsAsset{AssetID: strconv.FormatInt(c.AssetID, 10), ObligorID: c.UserID, Balance: c.Balance,
		AnnualRate: c.APR, RemainingPeriods: c.RemainingPeriods, Amortization: c.Amortization, Score: c.Score, OriginationMonth: m}
}

// Pool is an asset pool.
type Pool struct {
	ID               int64
	Name             string
	Status           string
	Cutoff           clock.Date
	Criteria         Criteria
	Stats            PoolStats
	Strata           map[string][]StratumRow
	OriginalBalance  money.Amount
	AssetCount       int
	RevolvingMonths  int
	Buyer            string
	Price            string // % of par, "98.50"
	TransferID       int64
	TransferDate     int
	TransferBalance  money.Amount // outstanding principal derecognized (summed while flipping)
	Proceeds         money.Amount
	Checkpoint       int64 // last asset id flipped
	TransferredCount int
}

// Owner is the purchase.owner value of the pool's sold assets and the ledger owner of
// its accounts.
func (p *Pool) Owner() string { return strconv.FormatInt(p.ID, 10) }

// SelectAssets applies the concentration rules to eligible candidates (already filtered
// by SQL, in selection order: oldest capture first, then id):
//   - target balance: assets are taken in order while they fit (an asset that would
//     overshoot is skipped, smaller later ones may still fit);
//   - max obligor share s: an obligor may hold at most s × pool balance. The cap depends
//     on the final balance, so selection repeats with cap = s × (balance of the previous
//     round) until every obligor is within it (the balance only shrinks, so it ends).
func SelectAssets(cands []Candidate, c Criteria) []Candidate {
	basis := c.TargetBalance
	if basis <= 0 {
		for _, a := range cands {
			basis += a.Balance
		}
	}
	for round := 0; round < 50; round++ {
		limit := money.Amount(-1)
		if c.MaxObligorShare.Sign() > 0 {
			limit = money.FromFenDecimal(decimal.NewFromInt(int64(basis)).Mul(c.MaxObligorShare), money.Down)
		}
		out := make([]Candidate, 0, len(cands))
		per := map[string]money.Amount{}
		var total money.Amount
		for _, a := range cands {
			if c.TargetBalance > 0 && total+a.Balance > c.TargetBalance {
				continue
			}
			if limit >= 0 && per[a.UserID]+a.Balance > limit {
				continue
			}
			per[a.UserID] += a.Balance
			total += a.Balance
			out = append(out, a)
		}
		if limit < 0 || total == 0 {
			return out
		}
		// Within the cap of the actual balance?
		max := money.Amount(0)
		for _, b := range per {
			if b > max {
				max = b
			}
		}
		if !decimal.NewFromInt(int64(max)).GreaterThan(decimal.NewFromInt(int64(total)).Mul(c.MaxObligorShare)) {
			return out
		}
		basis = total
	}
	return nil
}

// SelectionOrder sorts candidates in selection order: oldest capture first, then id.
func SelectionOrder(c []Candidate) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].OriginationDate != c[j].OriginationDate {
			return c[i].OriginationDate < c[j].OriginationDate
		}
		return c[i].AssetID < c[j].AssetID
	})
}

// sortedCandidates orders candidates by asset id (the transfer order).
func sortedCandidates(c []Candidate) {
	sort.Slice(c, func(i, j int) bool { return c[i].AssetID < c[j].AssetID })
}

// Flow kinds recorded for servicer reports.
const (
	FlowPrincipal = "principal" // principal collected on a sold asset
	FlowFee       = "fee"       // fee/interest collected on a sold asset
	FlowDefault   = "default"   // defaulted principal leaving the pool (defaulted buyback)
	FlowRecovery  = "recovery"  // cash received for a defaulted asset (repurchase price)
	FlowBuyback   = "buyback"   // ineligible asset repurchased at outstanding principal
	FlowPurchase  = "purchase"  // revolving purchase added to the pool
	FlowRemit     = "remit"     // collections paid to the buyer
)

// Flow is one cash-flow event of a pool.
type Flow struct {
	PoolID  int64
	Ref     string
	Kind    string
	AssetID int64
	Amount  money.Amount
	Date    int
}

// AssetState is the live state of a pool asset.
type AssetState struct {
	AssetID     int64
	UserID      string
	Owner       string
	Outstanding money.Amount
	DPD         int
	Status      string // pool asset status: active | bought_back
}

// PoolRepo stores pools and reads the assets of other domains (read-only).
type PoolRepo interface {
	// EligibleAssets streams lender-owned assets eligible at cutoff under c (filters in SQL),
	// in any order, skipping assets active in another pool.
	EligibleAssets(ctx context.Context, cutoff clock.Date, c Criteria, fn func(Candidate) error) error
	InsertPool(ctx context.Context, p *Pool) error
	InsertPoolAssets(ctx context.Context, poolID int64, addedDate int, assets []Candidate) error
	GetPool(ctx context.Context, id int64, forUpdate bool) (*Pool, error)
	UpdatePool(ctx context.Context, p *Pool) error
	ListPools(ctx context.Context, status string) ([]*Pool, error)
	// PoolAssets streams the pool's active assets as analytics input (frozen balances).
	PoolAssets(ctx context.Context, poolID int64, fn func(Candidate) error) error
	// NextTransferBatch returns up to limit active asset ids of the pool above after, ascending.
	NextTransferBatch(ctx context.Context, poolID, after int64, limit int) ([]int64, error)
	// PlanTransferBatches splits the pool's active assets into batches of size assets and
	// stores them pending; returns the number of batches.
	PlanTransferBatches(ctx context.Context, poolID int64, size int) (int, error)
	// PendingBatches lists the sequence numbers of batches not yet done.
	PendingBatches(ctx context.Context, poolID int64) ([]int, error)
	// ClaimBatch locks batch seq and returns its asset ids; ok=false when it is done already.
	ClaimBatch(ctx context.Context, poolID int64, seq int) (ids []int64, ok bool, err error)
	// FinishBatch marks a claimed batch done with its results.
	FinishBatch(ctx context.Context, poolID int64, seq, flipped int, balance money.Amount) error
	// BatchTotals sums the done batches: assets flipped, their principal, batches pending.
	BatchTotals(ctx context.Context, poolID int64) (flipped int, balance money.Amount, pending int, err error)
	// FlipOwner flips purchase.owner from → to for ids (rows still owned by from); returns rows changed.
	FlipOwner(ctx context.Context, ids []int64, from, to string) (int, error)
	// SetOwner flips purchase.owner from → to for ids; returns rows changed and their outstanding principal.
	SetOwner(ctx context.Context, ids []int64, from, to string) (int, money.Amount, error)
	// AssetStates returns live state (owner, outstanding, DPD) of the pool's assets (ids nil: all active).
	AssetStates(ctx context.Context, poolID int64, ids []int64) ([]AssetState, error)
	// MarkRemoved marks pool assets bought back.
	MarkRemoved(ctx context.Context, poolID int64, ids []int64, date int, reason string, amounts map[int64]money.Amount) error
	AddFlow(ctx context.Context, f Flow) (bool, error)
	// FlowSums sums flow amounts by kind for dates in [from, to] (yyyymmdd).
	FlowSums(ctx context.Context, poolID int64, from, to int) (map[string]money.Amount, error)
	// OpenHolds is the amount of open authorization holds.
	OpenHolds(ctx context.Context) (money.Amount, error)
	// PoolOutstanding sums current principal outstanding of purchases owned by the pool.
	PoolOutstanding(ctx context.Context, poolID int64) (money.Amount, int, error)
}
