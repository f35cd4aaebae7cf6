package data_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/abs/biz"
	absdata "github.com/huabei/huabei/abs/data"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
	ledgerdata "github.com/huabei/huabei/billing/ledger/data"
)

type env struct {
	t   *testing.T
	d   *data.Data
	clk *clock.Test
	l   *ledger.Ledger
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.d.SQL().ExecContext(context.Background(), q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *env) line(user string, status string, score int) {
	e.exec(`INSERT INTO credit_line (user_id, status, frozen, score, credit_limit, temp_limit, temp_limit_expires_at, outstanding,
held, opened_at, updated_at) VALUES (?,?,0,?,10000000,0,0,0,0,0,0)`, user, status, score)
}

// purchase inserts a captured lender-owned purchase and books its receivable
// (Dr receivable.principal:<user> / Cr merchant.payable) like payments does.
func (e *env) purchase(id int64, user string, amount money.Amount, captureDate int, installments int) {
	e.exec(`INSERT INTO purchase (id, user_id, payment_id, merchant_id, amount, refunded_amount, principal_outstanding,
capture_date, installments, owner, created_at) VALUES (?,?,?,?,?,0,?,?,?,'lender',0)`, id, user, id, "m1", int64(amount), int64(amount), captureDate, installments)
	if _, err := e.l.Post(context.Background(), ledger.Entry{IdempotencyID: fmt.Sprintf("test:capture:%d", id), Type: "capture",
		BusinessDate: clock.FromInt(captureDate), Postings: []ledger.Posting{
			{Account: ledger.AccountReceivablePrincipal, Owner: user, Debit: true, Amount: amount},
			{Account: ledger.AccountMerchantPayable, Owner: "m1", Amount: amount},
		}}); err != nil {
		e.t.Fatal(err)
	}
}

func newCenter(e *env, workers int) *biz.AssetCenter {
	cfg := biz.DefaultConfig()
	cfg.TransferBatch = 1
	cfg.TransferWorkers = workers
	cfg.FundingCacheMS = 0
	return biz.NewAssetCenter(absdata.NewRepo(e.d, decimal.RequireFromString("0.072"), decimal.RequireFromString("0.144")), e.d, e.l, outbox.NewStore(e.d, e.clk), e.clk, cfg, nil)
}

// TestAssetCenterLifecycle runs pool selection, a transfer crashed after one batch and
// resumed, collections, remittance, a defaulted buyback and the servicer report on both
// engines, checking the ledger after each step.
func TestAssetCenterLifecycle(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		clk := &clock.Test{}
		clk.Set(time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC))
		e := &env{t: t, d: d, clk: clk, l: ledger.NewLedger(ledgerdata.NewRepo(d), d, nil)}
		uc := newCenter(e, 3)
		if err := uc.PostOpeningCapital(ctx); err != nil {
			t.Fatal(err)
		}
		if err := uc.PostOpeningCapital(ctx); err != nil { // a restart posts nothing twice
			t.Fatal(err)
		}
		e.line("good1", "active", 700)
		e.line("good2", "active", 680)
		e.line("big", "active", 720)
		e.line("low", "active", 500)
		e.line("late", "overdue", 700)
		e.line("dpd", "active", 700)
		e.exec(`INSERT INTO billing_account (user_id, status, accrued_through, interest_accrued_micro, penalty_accrued_micro,
days_past_due, bucket, charged_off_date, updated_at) VALUES ('dpd','active',0,0,0,5,'1-30',0,0)`)
		e.purchase(101, "good1", money.Yuan(1000), 20261001, 0)
		e.purchase(102, "good1", money.Yuan(500), 20261002, 3)
		e.purchase(103, "good2", money.Yuan(2000), 20261003, 6)
		e.purchase(104, "big", money.Yuan(1500), 20261004, 0)
		e.purchase(105, "big", money.Yuan(1500), 20261005, 0)
		e.purchase(106, "low", money.Yuan(800), 20261006, 0)
		e.purchase(107, "late", money.Yuan(800), 20261007, 0)
		e.purchase(108, "dpd", money.Yuan(800), 20261008, 0)
		e.purchase(109, "good2", money.Yuan(300), 20261110, 0) // after cut-off

		// max obligor share 0.4: "big" (3000 of 6500 eligible) keeps one 1500 purchase.
		uc.ParallelFreezeMin = 1 // exercise the parallel (building → draft) freeze
		p, err := uc.CreatePool(ctx, "HB-2026-1", clock.NewDate(2026, 10, 31), biz.Criteria{MinScore: 600, MaxObligorShare: decimal.RequireFromString("0.4")}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p.Stats.AssetCount != 4 || p.Stats.Balance != money.Yuan(5000) || p.Stats.ObligorCount != 3 || p.Status != biz.PoolDraft {
			t.Fatalf("pool stats = %v (%s)", p.Stats, p.Status)
		}
		// The pool's assets are reserved: a second pool finds only what is left.
		p2, err := uc.CreatePool(ctx, "HB-2026-2", clock.NewDate(2026, 10, 31), biz.Criteria{MinScore: 600}, 0)
		if err != nil || p2.Stats.AssetCount != 1 || p2.Stats.Balance != money.Yuan(1500) {
			t.Fatalf("second pool = %v %v", p2, err)
		}
		if !p.Stats.TopObligorShare.LessThanOrEqual(decimal.RequireFromString("0.4")) {
			t.Fatalf("top obligor share %s above cap", p.Stats.TopObligorShare)
		}
		fund0, err := uc.Funding(ctx)
		if err != nil {
			t.Fatal(err)
		}

		// Crash after two batches (1 asset each; one worker), then resume with a fresh use
		// case running three workers.
		crashing := newCenter(e, 1)
		cctx, cancel := context.WithCancel(ctx)
		crashing.AfterBatch = func(n int) {
			if n == 2 {
				cancel()
			}
		}
		if err := crashing.StartTransfer(cctx, p.ID, "SPV Trust 1", decimal.RequireFromString("98.50")); err == nil {
			t.Fatal("crashed transfer returned no error")
		}
		if err := d.InTx(ctx, func(ctx context.Context) error { _, err := uc.CompleteTransfer(ctx, p.ID); return err }); err == nil {
			t.Fatal("completed a transfer with pending batches")
		}
		mid, _ := uc.GetPool(ctx, p.ID)
		if mid.Status != biz.PoolTransferring || mid.TransferredCount != 2 {
			t.Fatalf("after crash: status %s flipped %d", mid.Status, mid.TransferredCount)
		}
		if err := uc.StartTransfer(ctx, p.ID, "SPV Trust 1", decimal.RequireFromString("98.50")); err != nil {
			t.Fatal(err)
		}
		var res *biz.TransferResult
		if err := d.InTx(ctx, func(ctx context.Context) error { res, err = uc.CompleteTransfer(ctx, p.ID); return err }); err != nil {
			t.Fatal(err)
		}
		// Repeat: nothing changes; another price conflicts.
		if err := uc.StartTransfer(ctx, p.ID, "SPV Trust 1", decimal.RequireFromString("98.50")); err != nil {
			t.Fatal(err)
		}
		if err := uc.StartTransfer(ctx, p.ID, "SPV Trust 1", decimal.RequireFromString("99")); err == nil {
			t.Fatal("transfer at another price accepted")
		}
		if err := d.InTx(ctx, func(ctx context.Context) error { _, err = uc.CompleteTransfer(ctx, p.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if res.Pool.TransferredCount != 4 || res.Pool.Proceeds != money.Yuan(4925) || res.GainLoss != -money.Yuan(75) {
			t.Fatalf("transfer = %+v gain %s", res.Pool, res.GainLoss)
		}
		var owned int
		if err := d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM purchase WHERE owner = ?", p.Owner()).Scan(&owned); err != nil || owned != 4 {
			t.Fatalf("purchases owned by pool = %d (%v)", owned, err)
		}
		var entries int
		if err := d.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_entry WHERE idempotency_id = ?", fmt.Sprintf("abs:pool:%d:transfer", p.ID)).Scan(&entries); err != nil || entries != 1 {
			t.Fatalf("transfer entries = %d (%v)", entries, err)
		}
		fund1, _ := uc.Funding(ctx)
		if fund1.Available-fund0.Available != money.Yuan(4925) || fund1.SaleProceeds != money.Yuan(4925) {
			t.Fatalf("funding %s → %s", fund0.Available, fund1.Available)
		}
		if fund1.LenderPrincipalOutstanding != fund0.LenderPrincipalOutstanding-money.Yuan(5000) {
			t.Fatalf("lender principal %s → %s", fund0.LenderPrincipalOutstanding, fund1.LenderPrincipalOutstanding)
		}

		// good2 repays 400 on sold purchase 103 (billing's entry plus the hook's postings).
		clk.Set(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
		err = d.InTx(ctx, func(ctx context.Context) error {
			if _, err := d.DB(ctx).ExecContext(ctx, "UPDATE purchase SET principal_outstanding = principal_outstanding - 40000 WHERE id = 103"); err != nil {
				return err
			}
			extra, err := uc.CollectionPostings(ctx, biz.Collection{Ref: "repayment:1:103", PurchaseID: 103, Owner: p.Owner(), Principal: money.Yuan(400), Date: clock.NewDate(2026, 11, 20)})
			if err != nil {
				return err
			}
			_, err = e.l.Post(ctx, ledger.Entry{IdempotencyID: "repayment:1", Type: "repayment", BusinessDate: clock.NewDate(2026, 11, 20),
				Postings: append([]ledger.Posting{
					{Account: ledger.AccountCash, Debit: true, Amount: money.Yuan(400)},
					{Account: ledger.AccountReceivablePrincipal, Owner: "good2", Amount: money.Yuan(400)},
				}, extra...)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := e.l.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); b != money.Yuan(400) {
			t.Fatalf("collections payable = %s", b)
		}
		n, err := uc.ServiceAll(ctx, clock.NewDate(2026, 11, 20))
		if err != nil || n != 1 {
			t.Fatalf("servicing: %d %v", n, err)
		}
		if b, _ := e.l.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); b != 0 {
			t.Fatalf("collections payable after remittance = %s", b)
		}

		// good1 goes 95 days past due: defaulted buyback of its two assets (1000 + 500).
		e.exec(`INSERT INTO billing_account (user_id, status, accrued_through, interest_accrued_micro, penalty_accrued_micro,
days_past_due, bucket, charged_off_date, updated_at) VALUES ('good1','overdue',0,0,0,95,'90+',0,0)`)
		bb, err := uc.Buyback(ctx, p.ID, biz.BuybackDefaulted, nil, clock.NewDate(2026, 11, 25))
		if err != nil || bb.Amount != money.Yuan(1500) || len(bb.AssetIDs) != 2 {
			t.Fatalf("buyback = %+v %v", bb, err)
		}
		clk.Set(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
		rep, err := uc.Report(ctx, p.ID, clock.NewDate(2026, 11, 1))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Beginning != money.Yuan(5000) || rep.PrincipalCollected != money.Yuan(400) || rep.Defaults != money.Yuan(1500) ||
			rep.Ending != money.Yuan(3100) || rep.Remitted != money.Yuan(400) || rep.PoolFactor.StringFixed(4) != "0.6200" ||
			rep.CumulativeDefaultRate.StringFixed(4) != "0.3000" || rep.SMM.StringFixed(4) != "0.0800" {
			t.Fatalf("report = %+v", rep)
		}
		tb, err := e.l.TrialBalance(ctx, clock.NewDate(2026, 11, 28))
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced {
			t.Fatal("trial balance not balanced")
		}
		diffs, err := uc.Reconcile(ctx, clock.NewDate(2026, 11, 28))
		if err != nil || len(diffs) != 0 {
			t.Fatalf("reconciliation: %+v %v", diffs, err)
		}
	})
}

// TestRevolvingPurchase: during the revolving period collections buy new eligible assets
// at par instead of being remitted.
func TestRevolvingPurchase(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		clk := &clock.Test{}
		clk.Set(time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC))
		e := &env{t: t, d: d, clk: clk, l: ledger.NewLedger(ledgerdata.NewRepo(d), d, nil)}
		uc := newCenter(e, 2)
		if err := uc.PostOpeningCapital(ctx); err != nil {
			t.Fatal(err)
		}
		e.line("u1", "active", 700)
		e.line("u2", "active", 700)
		e.purchase(201, "u1", money.Yuan(1000), 20261101, 0)
		e.purchase(202, "u2", money.Yuan(1000), 20261102, 0)
		p, err := uc.CreatePool(ctx, "revolver", clock.NewDate(2026, 11, 5), biz.Criteria{}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := uc.StartTransfer(ctx, p.ID, "SPV R", decimal.NewFromInt(100)); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(ctx context.Context) error { _, err := uc.CompleteTransfer(ctx, p.ID); return err }); err != nil {
			t.Fatal(err)
		}
		// u1 repays 600 on 201; new purchases 203 (500) and 204 (700) appear.
		clk.Set(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
		err = d.InTx(ctx, func(ctx context.Context) error {
			if _, err := d.DB(ctx).ExecContext(ctx, "UPDATE purchase SET principal_outstanding = principal_outstanding - 60000 WHERE id = 201"); err != nil {
				return err
			}
			extra, err := uc.CollectionPostings(ctx, biz.Collection{Ref: "r1", PurchaseID: 201, Owner: p.Owner(), Principal: money.Yuan(600), Date: clock.NewDate(2026, 11, 20)})
			if err != nil {
				return err
			}
			_, err = e.l.Post(ctx, ledger.Entry{IdempotencyID: "repayment:r1", Type: "repayment", BusinessDate: clock.NewDate(2026, 11, 20),
				Postings: append([]ledger.Posting{{Account: ledger.AccountCash, Debit: true, Amount: money.Yuan(600)},
					{Account: ledger.AccountReceivablePrincipal, Owner: "u1", Amount: money.Yuan(600)}}, extra...)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		e.purchase(203, "u2", money.Yuan(500), 20261115, 0)
		e.purchase(204, "u1", money.Yuan(700), 20261116, 0)
		// abs_servicing in the revolving period: 600 buys 203 (500); 204 (700) does not fit.
		if n, err := uc.ServiceAll(ctx, clock.NewDate(2026, 11, 20)); err != nil || n != 1 {
			t.Fatalf("servicing %d %v", n, err)
		}
		if b, _ := e.l.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); b != money.Yuan(100) {
			t.Fatalf("collections left = %s", b)
		}
		var owner string
		if err := d.SQL().QueryRowContext(ctx, "SELECT owner FROM purchase WHERE id = 203").Scan(&owner); err != nil || owner != p.Owner() {
			t.Fatalf("203 owner %q %v", owner, err)
		}
		rep, err := uc.Report(ctx, p.ID, clock.NewDate(2026, 11, 1))
		if err != nil || rep.Purchases != money.Yuan(500) || rep.Ending != money.Yuan(1900) {
			t.Fatalf("report %+v %v", rep, err)
		}
		if diffs, err := uc.Reconcile(ctx, clock.NewDate(2026, 11, 20)); err != nil || len(diffs) != 0 {
			t.Fatalf("reconcile %+v %v", diffs, err)
		}
		// After the revolving period the same job remits.
		if _, err := uc.ServiceAll(ctx, clock.NewDate(2027, 3, 1)); err != nil {
			t.Fatal(err)
		}
		if b, _ := e.l.Balance(ctx, ledger.AccountSPVCollectionsPayable, p.Owner()); b != 0 {
			t.Fatalf("after the revolving period collections = %s", b)
		}
	})
}
