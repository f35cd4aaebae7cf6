package outbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/outbox"
)

// An event exists exactly when the transaction that recorded it committed.
func TestEmitCommitsWithTheTransaction(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		ctx := context.Background()
		clk := &clock.Test{}
		s := outbox.NewStore(d, clk)
		boom := errors.New("boom")
		err := d.InTx(ctx, func(ctx context.Context) error {
			if err := s.Emit(ctx, outbox.New(outbox.PaymentAuthorized, "m1", map[string]string{"payment_id": "1"})); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(ctx context.Context) error {
			return s.Emit(ctx, outbox.New(outbox.PaymentCaptured, "m1", map[string]string{"payment_id": "2"}),
				outbox.New(outbox.StatementIssued, "", map[string]string{"statement_id": "3"}))
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Pending(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Type != outbox.PaymentCaptured || got[1].Type != outbox.StatementIssued {
			t.Fatalf("pending = %+v, want the two committed events in order", got)
		}
		if got[0].ID == got[1].ID || got[0].MerchantID != "m1" || string(got[0].Data) != `{"payment_id":"2"}` {
			t.Fatalf("events = %+v", got)
		}
		if seq, ok := outbox.SeqOf(got[0].ID); !ok || seq != got[0].Seq {
			t.Fatalf("id %s does not round-trip to seq %d", got[0].ID, got[0].Seq)
		}
	})
}
