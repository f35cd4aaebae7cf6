// Package biz is the double-entry general ledger: the chart of accounts, balanced and
// idempotent journal entries, balances (sharded for hot system accounts), the trial
// balance and the day-end close with its reconciliation hook. It owns the book of record
// for every money movement; storage is behind Repo and transactions behind Transactor.
package biz
