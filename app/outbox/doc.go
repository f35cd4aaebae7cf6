// Package outbox is the transactional outbox (DESIGN §10): a domain records the events
// other systems care about (payment.captured, statement.issued, settlement.paid, ...) as
// rows of outbox_event in the same transaction as the business change, so an event exists
// exactly when its change committed. The relay (package relay... see Relay) delivers them
// afterwards, at least once, to Redis Streams and merchant webhooks.
package outbox
