package data_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/ledger/biz"
)

func TestPost(t *testing.T) {
	const (
		user = "1001"
		shop = "m-7"
	)
	capture := []biz.Posting{
		dr(biz.AccountReceivablePrincipal, user, 19900),
		cr(biz.AccountMerchantPayable, shop, 19303),
		cr(biz.AccountIncomeMerchantDiscount, "", 597),
	}
	tests := []struct {
		name     string
		postings []biz.Posting
		idem     string
		date     clock.Date
		wantErr  *kerrors.Error
	}{
		{name: "capture", postings: capture},
		{name: "four postings", postings: []biz.Posting{
			dr(biz.AccountCash, "", 1000), dr(biz.AccountExpenseCreditLoss, "", 50),
			cr(biz.AccountReceivablePrincipal, user, 900), cr(biz.AccountReceivableInterest, user, 150),
		}},
		{name: "same account both sides", postings: []biz.Posting{dr(biz.AccountCash, "", 5), cr(biz.AccountCash, "", 5)}},
		{name: "unbalanced", postings: []biz.Posting{dr(biz.AccountCash, "", 100), cr(biz.AccountEquityCapital, "", 99)}, wantErr: biz.ErrUnbalanced},
		{name: "zero amount", postings: []biz.Posting{dr(biz.AccountCash, "", 0), cr(biz.AccountEquityCapital, "", 0)}, wantErr: biz.ErrInvalidAmount},
		{name: "negative amount", postings: []biz.Posting{dr(biz.AccountCash, "", -5), cr(biz.AccountEquityCapital, "", -5)}, wantErr: biz.ErrInvalidAmount},
		{name: "too large", postings: []biz.Posting{dr(biz.AccountCash, "", int64(money.MaxAmount)+1), cr(biz.AccountEquityCapital, "", int64(money.MaxAmount)+1)}, wantErr: biz.ErrInvalidAmount},
		{name: "no postings", wantErr: biz.ErrEmptyEntry},
		{name: "debits only", postings: []biz.Posting{dr(biz.AccountCash, "", 5)}, wantErr: biz.ErrEmptyEntry},
		{name: "unknown account", postings: []biz.Posting{dr("cash.petty", "", 5), cr(biz.AccountEquityCapital, "", 5)}, wantErr: biz.ErrUnknownAccount},
		{name: "per-user account without owner", postings: []biz.Posting{dr(biz.AccountReceivablePrincipal, "", 5), cr(biz.AccountCash, "", 5)}, wantErr: biz.ErrInvalidOwner},
		{name: "no idempotency id", idem: "-", postings: capture, wantErr: biz.ErrInvalidEntry},
		{name: "no business date", date: clock.Date{}, postings: capture, wantErr: biz.ErrInvalidEntry},
	}
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := entry("t:"+tc.name, day1, tc.postings...)
				if tc.idem == "-" {
					e.IdempotencyID = ""
				}
				if tc.name == "no business date" {
					e.BusinessDate = tc.date
				}
				before := state(t, d)
				got, err := l.Post(ctx, e)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					sameState(t, before, state(t, d), "rejected entry")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.ID == 0 || got.CreatedAt.IsZero() || !reflect.DeepEqual(got.Postings, tc.postings) {
					t.Fatalf("posted entry %+v", got)
				}
				checkInvariants(t, d)
			})
		}
		bal := func(account, owner string) money.Amount {
			t.Helper()
			b, err := l.Balance(ctx, account, owner)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		for _, c := range []struct {
			account, owner string
			want           money.Amount
		}{
			{biz.AccountReceivablePrincipal, user, 19900 - 900},
			{biz.AccountReceivableInterest, user, -150},
			{biz.AccountMerchantPayable, shop, 19303},
			{biz.AccountIncomeMerchantDiscount, "", 597},
			{biz.AccountCash, "", 1000},
			{biz.AccountExpenseCreditLoss, "", 50},
			{biz.AccountMerchantPayable, "other", 0},
		} {
			if got := bal(c.account, c.owner); got != c.want {
				t.Errorf("balance %s:%s = %v, want %v", c.account, c.owner, got, c.want)
			}
		}
		if s, err := l.SumByCode(ctx, biz.AccountMerchantPayable); err != nil || s != 19303 {
			t.Errorf("SumByCode(merchant.payable) = %v, %v", s, err)
		}
		if _, err := l.Balance(ctx, "nope", ""); !errors.Is(err, biz.ErrUnknownAccount) {
			t.Errorf("Balance(unknown) err = %v", err)
		}
	})
}

func TestPostIdempotency(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		e := entry("payment:1:capture", day1,
			dr(biz.AccountReceivablePrincipal, "u1", 10000),
			cr(biz.AccountMerchantPayable, "m1", 9700),
			cr(biz.AccountIncomeMerchantDiscount, "", 300))
		first, err := l.Post(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		before := state(t, d)

		replay := e
		replay.Postings = []biz.Posting{e.Postings[2], e.Postings[0], e.Postings[1]}
		replay.Description = "replayed with postings in another order"
		again, err := l.Post(ctx, replay)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) || again.Description != first.Description ||
			!reflect.DeepEqual(again.Postings, first.Postings) || !again.BusinessDate.Equal(first.BusinessDate) {
			t.Fatalf("replay returned %+v, want the original %+v", again, first)
		}
		sameState(t, before, state(t, d), "replay")

		other := e
		other.Postings = []biz.Posting{dr(biz.AccountReceivablePrincipal, "u1", 10000), cr(biz.AccountMerchantPayable, "m1", 10000)}
		if _, err := l.Post(ctx, other); !errors.Is(err, biz.ErrIdempotencyConflict) {
			t.Fatalf("different postings: err = %v, want conflict", err)
		}
		sameState(t, before, state(t, d), "conflicting replay")

		// A replay inside a caller's transaction is a no-op there too.
		err = d.InTx(ctx, func(ctx context.Context) error {
			got, err := l.Post(ctx, replay)
			if err == nil && got.ID != first.ID {
				t.Errorf("in-tx replay id %d, want %d", got.ID, first.ID)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sameState(t, before, state(t, d), "in-tx replay")
		checkInvariants(t, d)
	})
}

func TestPostJoinsCallerTransaction(t *testing.T) {
	errBusiness := errors.New("business change failed")
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		before := state(t, d)
		err := d.InTx(ctx, func(ctx context.Context) error {
			if _, err := l.Post(ctx, entry("a", day1, dr(biz.AccountCash, "", 100), cr(biz.AccountEquityCapital, "", 100))); err != nil {
				return err
			}
			if _, err := l.Post(ctx, entry("b", day1, dr(biz.AccountCash, "", 7), cr(biz.AccountEquityCapital, "", 7))); err != nil {
				return err
			}
			return errBusiness
		})
		if !errors.Is(err, errBusiness) {
			t.Fatal(err)
		}
		sameState(t, before, state(t, d), "rolled-back transaction")
		err = d.InTx(ctx, func(ctx context.Context) error {
			_, err := l.Post(ctx, entry("a", day1, dr(biz.AccountCash, "", 100), cr(biz.AccountEquityCapital, "", 100)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := l.Balance(ctx, biz.AccountCash, ""); b != 100 {
			t.Fatalf("cash = %v after commit", b)
		}
		checkInvariants(t, d)
	})
}

func TestFloor(t *testing.T) {
	const wallet = "wallet.prepaid"
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d, biz.WithAccounts(biz.AccountDef{Code: wallet, Type: biz.TypeLiability, OwnerRequired: true, Floor: true}))
		ctx := context.Background()
		if _, err := l.Post(ctx, entry("topup", day1, dr(biz.AccountCash, "", 500), cr(wallet, "u1", 500))); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Post(ctx, entry("spend1", day1, dr(wallet, "u1", 300), cr(biz.AccountCash, "", 300))); err != nil {
			t.Fatal(err)
		}
		before := state(t, d)
		// The caller keeps its transaction going after the refusal: nothing of the refused
		// entry may remain in it.
		err := d.InTx(ctx, func(ctx context.Context) error {
			_, err := l.Post(ctx, entry("spend2", day1, dr(wallet, "u1", 201), cr(biz.AccountCash, "", 201)))
			if !errors.Is(err, biz.ErrBalanceBelowFloor) {
				t.Errorf("overdraw: err = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sameState(t, before, state(t, d), "refused overdraw")
		if _, err := l.Post(ctx, entry("spend3", day1, dr(wallet, "u1", 200), cr(biz.AccountCash, "", 200))); err != nil {
			t.Fatal(err)
		}
		if b, _ := l.Balance(ctx, wallet, "u1"); b != 0 {
			t.Fatalf("wallet = %v", b)
		}
		if _, err := l.Post(ctx, entry("spend4", day1, dr(wallet, "u2", 1), cr(biz.AccountCash, "", 1))); !errors.Is(err, biz.ErrBalanceBelowFloor) {
			t.Fatalf("spend from a wallet never funded: err = %v", err)
		}
		checkInvariants(t, d)
	})
}

func TestReadsByDate(t *testing.T) {
	day2, day3 := day1.AddDays(1), day1.AddDays(2)
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		post := func(idem string, date clock.Date, ps ...biz.Posting) biz.Entry {
			t.Helper()
			e, err := l.Post(ctx, entry(idem, date, ps...))
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		post("capital", day1, dr(biz.AccountCash, "", 1_000_000), cr(biz.AccountEquityCapital, "", 1_000_000))
		post("cap:1", day1, dr(biz.AccountReceivablePrincipal, "u1", 10000), cr(biz.AccountMerchantPayable, "m1", 9700), cr(biz.AccountIncomeMerchantDiscount, "", 300))
		post("settle:1", day2, dr(biz.AccountMerchantPayable, "m1", 9700), cr(biz.AccountCash, "", 9700))
		post("repay:1", day3, dr(biz.AccountCash, "", 4000), cr(biz.AccountReceivablePrincipal, "u1", 4000))
		post("cap:2", day3, dr(biz.AccountReceivablePrincipal, "u2", 500), cr(biz.AccountMerchantPayable, "m1", 500))

		asOf := func(account, owner string, date clock.Date) money.Amount {
			t.Helper()
			b, err := l.BalanceAsOf(ctx, account, owner, date)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		for _, c := range []struct {
			account, owner string
			date           clock.Date
			want           money.Amount
		}{
			{biz.AccountCash, "", day1.AddDays(-1), 0},
			{biz.AccountCash, "", day1, 1_000_000},
			{biz.AccountCash, "", day2, 1_000_000 - 9700},
			{biz.AccountCash, "", day3, 1_000_000 - 9700 + 4000},
			{biz.AccountReceivablePrincipal, "u1", day2, 10000},
			{biz.AccountReceivablePrincipal, "u1", day3, 6000},
			{biz.AccountMerchantPayable, "m1", day1, 9700},
			{biz.AccountMerchantPayable, "m1", day2, 0},
		} {
			if got := asOf(c.account, c.owner, c.date); got != c.want {
				t.Errorf("BalanceAsOf(%s:%s, %s) = %v, want %v", c.account, c.owner, c.date, got, c.want)
			}
		}

		tb, err := l.TrialBalance(ctx, day2)
		if err != nil {
			t.Fatal(err)
		}
		if !tb.Balanced || tb.Debits != 1_000_000+10000+9700 || tb.Debits != tb.Credits {
			t.Fatalf("trial balance day2: %+v", tb)
		}
		want := []biz.TrialBalanceAccount{
			{Account: biz.AccountCash, Type: biz.TypeAsset, Debits: 1_000_000, Credits: 9700, Balance: 1_000_000 - 9700},
			{Account: biz.AccountEquityCapital, Type: biz.TypeEquity, Credits: 1_000_000, Balance: 1_000_000},
			{Account: biz.AccountIncomeMerchantDiscount, Type: biz.TypeIncome, Credits: 300, Balance: 300},
			{Account: biz.AccountMerchantPayable, Type: biz.TypeLiability, Debits: 9700, Credits: 9700},
			{Account: biz.AccountReceivablePrincipal, Type: biz.TypeAsset, Debits: 10000, Balance: 10000},
		}
		if !reflect.DeepEqual(tb.Accounts, want) {
			t.Fatalf("trial balance accounts\n got %+v\nwant %+v", tb.Accounts, want)
		}

		// Reconcilers: one agrees, one finds a difference, one fails.
		l.RegisterReconciler("principal", biz.ReconcilerFunc(func(ctx context.Context, date clock.Date) ([]biz.Difference, error) {
			got, err := l.BalanceAsOf(ctx, biz.AccountReceivablePrincipal, "u1", date)
			if err != nil {
				return nil, err
			}
			if sub := money.Amount(6000); got != sub {
				return []biz.Difference{{Account: biz.AccountReceivablePrincipal, Owner: "u1", Ledger: got, Subledger: sub}}, nil
			}
			return nil, nil
		}))
		l.RegisterReconciler("broken", biz.ReconcilerFunc(func(context.Context, clock.Date) ([]biz.Difference, error) {
			return nil, errors.New("subledger unavailable")
		}))
		rep, err := l.DayEnd(ctx, day3)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.TrialBalance.Balanced || len(rep.TrialBalance.Reconciliation.Differences) != 0 || len(rep.TrialBalance.Reconciliation.Failures) != 1 || !rep.Alarm() {
			t.Fatalf("day-end day3: %+v", rep)
		}
		rep, err = l.DayEnd(ctx, day2)
		if err != nil {
			t.Fatal(err)
		}
		diffs := rep.TrialBalance.Reconciliation.Differences
		if len(diffs) != 1 || diffs[0].Check != "principal" || diffs[0].Ledger != 10000 || diffs[0].Subledger != 6000 {
			t.Fatalf("day-end day2 differences: %+v", diffs)
		}
		// Repeating a close overwrites its snapshot.
		if _, err := l.DayEnd(ctx, day2); err != nil {
			t.Fatal(err)
		}
		snap := groupTotals(t, d, `SELECT account, owner, debits, credits FROM ledger_daily_balance WHERE business_date = 20260302`)
		if len(snap) != rep.SnapshotRows || snap[biz.AccountCash+":"] != [2]int64{1_000_000, 9700} || snap[biz.AccountReceivablePrincipal+":u2"] != [2]int64{0, 0} {
			t.Fatalf("snapshot day2: %v (%d rows reported)", snap, rep.SnapshotRows)
		}
		checkInvariants(t, d)
	})
}

func TestEntriesPagination(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		l := newLedger(d)
		ctx := context.Background()
		var want []int64
		for i := range 7 {
			// Later dates posted first: the order is by business date, then id.
			date := day1.AddDays(6 - i)
			e, err := l.Post(ctx, entry("e"+string(rune('a'+i)), date, dr(biz.AccountReceivablePrincipal, "u9", int64(100+i)), cr(biz.AccountCash, "", int64(100+i))))
			if err != nil {
				t.Fatal(err)
			}
			want = append([]int64{e.ID}, want...)
		}
		// Another owner's entry must not show up.
		if _, err := l.Post(ctx, entry("other", day1, dr(biz.AccountReceivablePrincipal, "u8", 1), cr(biz.AccountCash, "", 1))); err != nil {
			t.Fatal(err)
		}
		var got []int64
		cursor := ""
		pages := 0
		for {
			page, err := l.Entries(ctx, biz.AccountReceivablePrincipal, "u9", cursor, 3)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range page.Entries {
				if len(e.Postings) != 2 || e.Postings[0].Owner != "u9" {
					t.Fatalf("entry %+v", e)
				}
				got = append(got, e.ID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if pages != 3 || !reflect.DeepEqual(got, want) {
			t.Fatalf("pages %d, ids %v, want %v", pages, got, want)
		}
		if _, err := l.Entries(ctx, biz.AccountCash, "", "garbage", 10); !errors.Is(err, biz.ErrInvalidCursor) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}
