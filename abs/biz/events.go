package biz

import (
	"context"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/outbox"
)

// EventOutbox records business events in the caller's transaction (the transactional
// outbox, DESIGN §10); outbox.Discard is the no-op for tests.
type EventOutbox interface {
	Emit(ctx context.Context, events ...outbox.Event) error
}

// poolSoldEvent reports a completed true sale.
func poolSoldEvent(p *Pool) outbox.Event {
	return outbox.New(outbox.PoolSold, "", map[string]any{
		"pool_id": ids.String(p.ID), "buyer": p.Buyer, "price": p.Price, "transfer_date": clock.FromInt(p.TransferDate).String(),
		"assets": p.TransferredCount, "transfer_balance": p.TransferBalance.String(), "proceeds": p.Proceeds.String(),
	})
}
