package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/clock"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/ledger/biz"
)

type fakeLedger struct {
	got clock.Date
	tb  biz.TrialBalance
	err error
}

func (f *fakeLedger) TrialBalance(_ context.Context, date clock.Date) (biz.TrialBalance, error) {
	f.got = date
	tb := f.tb
	tb.Date = date
	return tb, f.err
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestGetTrialBalance(t *testing.T) {
	// 2026-03-04 23:30 UTC is already 2026-03-05 in Asia/Shanghai.
	clk := fixedClock(time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC))
	tb := biz.TrialBalance{
		Balanced: true, Debits: 19900, Credits: 19900,
		Accounts: []biz.TrialBalanceAccount{
			{Account: biz.AccountMerchantPayable, Type: biz.TypeLiability, Credits: 19303, Balance: 19303},
			{Account: biz.AccountReceivablePrincipal, Type: biz.TypeAsset, Debits: 19900, Balance: 19900},
			{Account: biz.AccountIncomeMerchantDiscount, Type: biz.TypeIncome, Credits: 597, Balance: 597},
		},
		Reconciliation: biz.Reconciliation{
			Differences: []biz.Difference{{Check: "principal", Account: biz.AccountReceivablePrincipal, Owner: "42", Ledger: 19900, Subledger: 19800}},
			Failures:    []biz.ReconcilerFailure{{Check: "abs", Error: "check could not run; see the server log"}},
		},
	}
	tests := []struct {
		name     string
		date     string
		wantDate string
		wantErr  string
		ledgErr  error
		wantJSON string
	}{
		{name: "explicit date", date: "2026-02-28", wantDate: "2026-02-28",
			wantJSON: `{"date":"2026-02-28","balanced":true,"debits":"199.00","credits":"199.00","accounts":[{"account":"merchant.payable","type":"liability","debits":"0.00","credits":"193.03","balance":"193.03"},{"account":"receivable.principal","type":"asset","debits":"199.00","credits":"0.00","balance":"199.00"},{"account":"income.merchant_discount","type":"income","debits":"0.00","credits":"5.97","balance":"5.97"}],"reconciliation":{"differences":[{"check":"principal","account":"receivable.principal","owner":"42","ledger":"199.00","subledger":"198.00","difference":"1.00"}],"failures":[{"check":"abs","error":"check could not run; see the server log"}]}}`},
		{name: "default is today's business date", wantDate: "2026-03-05"},
		{name: "bad date", date: "2026-13-01", wantErr: "INVALID_ARGUMENT"},
		{name: "ledger error passes through", date: "2026-03-01", ledgErr: biz.ErrInvalidDate, wantErr: "LEDGER_INVALID_DATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeLedger{tb: tb, err: tc.ledgErr}
			s := NewLedgerService(f, clk)
			out, err := s.GetTrialBalance(context.Background(), &v1.TrialBalanceRequest{Date: tc.date})
			if tc.wantErr != "" {
				var ke *kerrors.Error
				if !errors.As(err, &ke) || ke.Reason != tc.wantErr {
					t.Fatalf("err = %v, want reason %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.got.String() != tc.wantDate || out.Date != tc.wantDate {
				t.Fatalf("date asked %s, replied %s, want %s", f.got, out.Date, tc.wantDate)
			}
			if tc.wantJSON != "" {
				b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(out)
				if err != nil {
					t.Fatal(err)
				}
				if got := compact(t, b); got != tc.wantJSON {
					t.Fatalf("json\n got %s\nwant %s", got, tc.wantJSON)
				}
			}
		})
	}
}

// compact removes the whitespace protojson adds at random.
func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
