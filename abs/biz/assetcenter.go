package biz

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/sync/singleflight"
	"strconv"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/shopspring/decimal"

	ledger "github.com/huabei/huabei/billing/ledger/biz"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
)

// Ledger is what the asset center needs of the general ledger.
type Ledger interface {
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, error)
	Balance(ctx context.Context, account, owner string) (money.Amount, error)
	SumByCode(ctx context.Context, account string) (money.Amount, error)
}

// Transactor runs fn in one database transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// SoldOwner is the ledger owner of a pool's contra receivable: the per-user
// receivable.principal:<user> accounts keep every purchase (so billing's per-user
// subledger = ledger reconciliation is unchanged by a sale), and a sale credits
// receivable.principal:pool:<id> once with the sold principal. Σ receivable.principal
// over all owners is therefore the lender's own principal, and −balance of
// receivable.principal:pool:<id> equals the outstanding principal of the pool's assets
// (the asset center's reconciler checks this).
func SoldOwner(poolID int64) string { return "pool:" + strconv.FormatInt(poolID, 10) }

// Config is the abs: config section.
type Config struct {
	OpeningCapital   string `json:"opening_capital"`
	SinglePaymentAPR string `json:"single_payment_apr"` // yield of a single-payment purchase (merchant discount annualized)
	InstallmentAPR   string `json:"installment_apr"`    // used when a plan's APR is not known
	TransferBatch    int    `json:"transfer_batch"`
	TransferWorkers  int    `json:"transfer_workers"`
	FundingCacheMS   int    `json:"funding_cache_ms"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{OpeningCapital: "100000000.00", SinglePaymentAPR: "0.0720", InstallmentAPR: "0.1440",
		TransferBatch: 5000, TransferWorkers: 4, FundingCacheMS: 1000}
}

// AssetCenter is the asset center use case.
type AssetCenter struct {
	repo   PoolRepo
	tx     Transactor
	ledger Ledger
	clk    clock.Clock
	cfg    Config
	events EventOutbox
	log    *log.Helper

	// AfterBatch, when set, runs after each committed transfer batch (test crash hook).
	AfterBatch func(batches int)
	// Progress, when set, is told about transfer progress (done, total assets).
	Progress func(done, total int)
	// ParallelFreezeMin: pools with more assets are frozen by parallel writers.
	ParallelFreezeMin int

	mu       sync.Mutex
	cached   money.Amount
	cachedAt time.Time
	refresh  singleflight.Group
}

// NewAssetCenter builds the use case.
func NewAssetCenter(repo PoolRepo, tx Transactor, l Ledger, events EventOutbox, clk clock.Clock, cfg Config, logger log.Logger) *AssetCenter {
	if cfg.TransferBatch <= 0 {
		cfg.TransferBatch = 5000
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	return &AssetCenter{repo: repo, tx: tx, ledger: l, events: events, clk: clk, cfg: cfg, log: log.NewHelper(log.With(logger, "module", "abs")),
		ParallelFreezeMin: 20000}
}

// SetWorkers sets the number of parallel writers of transfers and large freezes (bench).
func (u *AssetCenter) SetWorkers(n int) {
	if n > 0 {
		u.cfg.TransferWorkers = n
	}
}

func (u *AssetCenter) today() clock.Date { return clock.Today(u.clk) }

// PostOpeningCapital posts the configured opening capital once (idempotency id capital:opening).
func (u *AssetCenter) PostOpeningCapital(ctx context.Context) error {
	amt, err := money.ParsePositive(u.cfg.OpeningCapital)
	if err != nil {
		return fmt.Errorf("abs: opening_capital %q: %w", u.cfg.OpeningCapital, err)
	}
	return u.tx.InTx(ctx, func(ctx context.Context) error {
		_, err := u.ledger.Post(ctx, ledger.Entry{IdempotencyID: "capital:opening", Type: "capital.opening",
			Description: "opening capital", BusinessDate: u.today(), Postings: []ledger.Posting{
				{Account: ledger.AccountCash, Debit: true, Amount: amt},
				{Account: ledger.AccountEquityCapital, Amount: amt},
			}})
		if errors.Is(err, ledger.ErrIdempotencyConflict) {
			return fmt.Errorf("abs: the opening capital was already posted with another amount (abs.opening_capital %s); inject capital with a new entry instead", u.cfg.OpeningCapital)
		}
		return err
	})
}

// CreatePool selects the eligible assets at cutoff, applies the concentration rules,
// freezes their balances and stores the pool as a draft with its analytics.
func (u *AssetCenter) CreatePool(ctx context.Context, name string, cutoff clock.Date, c Criteria, revolvingMonths int) (*Pool, error) {
	var cands []Candidate
	if err := u.repo.EligibleAssets(ctx, cutoff, c, func(a Candidate) error {
		cands = append(cands, a)
		return nil
	}); err != nil {
		return nil, err
	}
	SelectionOrder(cands)
	sel := SelectAssets(cands, c)
	sortedCandidates(sel)
	an := NewPoolAnalyzer()
	for _, a := range sel {
		an.Add(a.Analytics())
	}
	now := u.today()
	p := &Pool{ID: ids.New(), Name: name, Status: PoolDraft, Cutoff: cutoff, Criteria: c, RevolvingMonths: revolvingMonths}
	setAnalytics(p, an)
	p.OriginalBalance = p.Stats.Balance
	if len(sel) <= u.ParallelFreezeMin {
		err := u.tx.InTx(ctx, func(ctx context.Context) error {
			if err := u.repo.InsertPool(ctx, p); err != nil {
				return err
			}
			return u.repo.InsertPoolAssets(ctx, p.ID, now.Int(), sel)
		})
		if err != nil {
			return nil, err
		}
	} else if err := u.freezeParallel(ctx, p, now, sel); err != nil {
		return nil, err
	}
	u.log.Infof("pool %d created: %s", p.ID, p.Stats)
	return p, nil
}

// freezeParallel stores a large pool as "building", inserts its frozen assets in
// chunks from TransferWorkers writers (one transaction per chunk) and then makes it a
// draft. A building pool reserves nothing (selection ignores its assets), so a crash
// mid-way leaves an inert building pool, never a half pool anyone can sell.
func (u *AssetCenter) freezeParallel(ctx context.Context, p *Pool, now clock.Date, sel []Candidate) error {
	p.Status = PoolBuilding
	if err := u.tx.InTx(ctx, func(ctx context.Context) error { return u.repo.InsertPool(ctx, p) }); err != nil {
		return err
	}
	const chunk = 5000
	jobs := make(chan []Candidate)
	workers := max(1, u.cfg.TransferWorkers)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			var first error
			for part := range jobs {
				if first == nil {
					first = u.tx.InTx(ctx, func(ctx context.Context) error { return u.repo.InsertPoolAssets(ctx, p.ID, now.Int(), part) })
				}
			}
			errs <- first
		}()
	}
	for i := 0; i < len(sel); i += chunk {
		jobs <- sel[i:min(i+chunk, len(sel))]
	}
	close(jobs)
	var err error
	for w := 0; w < workers; w++ {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return err
	}
	p.Status = PoolDraft
	return u.tx.InTx(ctx, func(ctx context.Context) error { return u.repo.UpdatePool(ctx, p) })
}

func setAnalytics(p *Pool, an *PoolAnalyzer) {
	p.Stats = an.Stats()
	p.AssetCount = p.Stats.AssetCount
	p.Strata = map[string][]StratumRow{}
	for _, by := range Strata {
		p.Strata[by] = an.Strata(by)
	}
}

// refreshAnalytics recomputes stats and strata from the pool's active assets.
func (u *AssetCenter) refreshAnalytics(ctx context.Context, p *Pool) error {
	an := NewPoolAnalyzer()
	if err := u.repo.PoolAssets(ctx, p.ID, func(c Candidate) error { an.Add(c.Analytics()); return nil }); err != nil {
		return err
	}
	setAnalytics(p, an)
	return nil
}

// GetPool returns a pool (with the transfer's progress while it is transferring).
func (u *AssetCenter) GetPool(ctx context.Context, id int64) (*Pool, error) {
	p, err := u.repo.GetPool(ctx, id, false)
	if err == nil && p.Status == PoolTransferring {
		p.TransferredCount, p.TransferBalance, _, err = u.repo.BatchTotals(ctx, id)
	}
	return p, err
}

// TransferResult is the outcome of a transfer.
type TransferResult struct {
	Pool     *Pool
	GainLoss money.Amount
}

// StartTransfer moves a draft pool to transferring with buyer and price, plans the
// batches of the owner flip (in the same transaction) and runs them with TransferWorkers
// parallel workers, one transaction per batch that flips its assets (only those still
// owned by the lender) and marks the batch done. A crash resumes with the pending
// batches, so no asset flips twice. Call CompleteTransfer afterwards. A pool already
// transferring with the same buyer and price resumes; one transferred returns at once.
func (u *AssetCenter) StartTransfer(ctx context.Context, id int64, buyer string, price decimal.Decimal) error {
	priceText := price.StringFixed(2)
	var total int
	err := u.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := u.repo.GetPool(ctx, id, true)
		if err != nil {
			return err
		}
		total = p.AssetCount
		switch p.Status {
		case PoolDraft:
			if p.AssetCount == 0 {
				return ErrPoolEmpty
			}
			p.Status, p.Buyer, p.Price, p.TransferID, p.TransferDate = PoolTransferring, buyer, priceText, ids.New(), u.today().Int()
			if _, err := u.repo.PlanTransferBatches(ctx, p.ID, u.cfg.TransferBatch); err != nil {
				return err
			}
			return u.repo.UpdatePool(ctx, p)
		case PoolTransferring, PoolTransferred:
			if p.Buyer != buyer || p.Price != priceText {
				return ErrTransferConflict
			}
			return nil
		}
		return ErrPoolNotDraft
	})
	if err != nil {
		return err
	}
	pending, err := u.repo.PendingBatches(ctx, id)
	if err != nil || len(pending) == 0 {
		return err
	}
	workers := max(1, min(u.cfg.TransferWorkers, len(pending)))
	jobs := make(chan int)
	errs := make(chan error, workers)
	var mu sync.Mutex
	batches := 0
	owner := strconv.FormatInt(id, 10)
	for w := 0; w < workers; w++ {
		go func() {
			var firstErr error
			for seq := range jobs {
				if firstErr != nil {
					continue // drain
				}
				err := u.tx.InTx(ctx, func(ctx context.Context) error {
					batch, ok, err := u.repo.ClaimBatch(ctx, id, seq)
					if err != nil || !ok {
						return err
					}
					n, err := u.repo.FlipOwner(ctx, batch, OwnerLender, owner)
					if err != nil {
						return err
					}
					return u.repo.FinishBatch(ctx, id, seq, n, 0)
				})
				if err != nil {
					firstErr = err
					continue
				}
				mu.Lock()
				batches++
				b := batches
				mu.Unlock()
				if u.Progress != nil {
					if flipped, _, _, err := u.repo.BatchTotals(ctx, id); err == nil {
						u.Progress(flipped, total)
					}
				}
				if u.AfterBatch != nil {
					u.AfterBatch(b)
				}
			}
			errs <- firstErr
		}()
	}
	for _, seq := range pending {
		jobs <- seq
	}
	close(jobs)
	for w := 0; w < workers; w++ {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	return err
}

// CompleteTransfer posts the one sale entry and marks the pool transferred (in the
// caller's transaction, so the idempotent response is stored with it):
//
//	Dr cash                                   proceeds = frozen balance × price/100 (half-up)
//	Cr receivable.principal:pool:<id>         principal outstanding of the flipped assets
//	Cr spv.collections_payable:<id>           principal collected between cut-off and transfer (owed to the buyer)
//	Cr/Dr gain_loss.asset_sale                the rest (a sale below par is a debit)
func (u *AssetCenter) CompleteTransfer(ctx context.Context, id int64) (*TransferResult, error) {
	p, err := u.repo.GetPool(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if p.Status == PoolTransferring {
		flipped, _, pending, err := u.repo.BatchTotals(ctx, id)
		if err != nil {
			return nil, err
		}
		if pending > 0 {
			return nil, ErrTransferIncomplete
		}
		// Principal derecognized = outstanding of the flipped purchases when they flipped:
		// what they owe now plus what was collected on them since (routed by the
		// collections hook as debits to the contra account, its only entries so far).
		// One aggregate at the end instead of a sum per batch.
		out, _, err := u.repo.PoolOutstanding(ctx, id)
		if err != nil {
			return nil, err
		}
		collected, err := u.ledger.Balance(ctx, ledger.AccountReceivablePrincipal, SoldOwner(id))
		if err != nil {
			return nil, err
		}
		p.TransferredCount, p.TransferBalance = flipped, out+collected
	}
	price := decimal.RequireFromString(p.Price)
	res := &TransferResult{Pool: p}
	collectedBefore := p.OriginalBalance - p.TransferBalance
	if collectedBefore < 0 {
		collectedBefore = 0
	}
	proceeds := p.OriginalBalance.MulRate(price.Div(decimal.NewFromInt(100)), money.HalfUp)
	res.GainLoss = proceeds - p.TransferBalance - collectedBefore
	if p.Status == PoolTransferred {
		return res, nil
	}
	if p.Status != PoolTransferring {
		return nil, ErrPoolNotDraft
	}
	postings := []ledger.Posting{{Account: ledger.AccountCash, Debit: true, Amount: proceeds}}
	if p.TransferBalance > 0 {
		postings = append(postings, ledger.Posting{Account: ledger.AccountReceivablePrincipal, Owner: SoldOwner(p.ID), Amount: p.TransferBalance})
	}
	if collectedBefore > 0 {
		postings = append(postings, ledger.Posting{Account: ledger.AccountSPVCollectionsPayable, Owner: p.Owner(), Amount: collectedBefore})
	}
	if res.GainLoss > 0 {
		postings = append(postings, ledger.Posting{Account: ledger.AccountGainLossAssetSale, Amount: res.GainLoss})
	} else if res.GainLoss < 0 {
		postings = append(postings, ledger.Posting{Account: ledger.AccountGainLossAssetSale, Debit: true, Amount: -res.GainLoss})
	}
	date := clock.FromInt(p.TransferDate)
	if _, err := u.ledger.Post(ctx, ledger.Entry{IdempotencyID: fmt.Sprintf("abs:pool:%d:transfer", p.ID), Type: "abs.transfer",
		Description: "true sale of pool " + p.Owner() + " to " + truncate(p.Buyer, 100), BusinessDate: date, Postings: postings}); err != nil {
		return nil, err
	}
	if collectedBefore > 0 {
		if _, err := u.repo.AddFlow(ctx, Flow{PoolID: p.ID, Ref: "pre-transfer", Kind: FlowPrincipal, Amount: collectedBefore, Date: p.TransferDate}); err != nil {
			return nil, err
		}
	}
	p.Status = PoolTransferred
	p.Proceeds = proceeds
	if err := u.repo.UpdatePool(ctx, p); err != nil {
		return nil, err
	}
	if err := u.events.Emit(ctx, poolSoldEvent(p)); err != nil {
		return nil, err
	}
	u.invalidateFunding()
	u.log.Infof("pool %d transferred: %d assets, balance %s, proceeds %s", p.ID, p.TransferredCount, p.TransferBalance, proceeds)
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
