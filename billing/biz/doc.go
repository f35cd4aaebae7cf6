// Package biz holds billing's use cases: checkout payments (authorize, capture, cancel,
// refund, auto-capture) and the purchases a capture creates, and what statements,
// repayments and installments build on them. It reaches credit lines and the ledger only
// through interfaces declared here; SQL lives in billing/data.
package biz
