// Package settlement pays merchants T+1 (DESIGN §10): the merchant_settlement job nets a
// merchant's captures, refunds and merchant discount of one business date into one
// settlement (a negative net carries forward into the next one), pays it through the
// payout channel exactly once (the channel is idempotent by reference; the ledger entry
// by its id) and records settlement.paid in the outbox. The netting rule is pure
// (netting.go); the use case talks to storage, the channel and the ledger through ports.
package settlement
