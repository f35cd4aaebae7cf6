// Package data stores the general ledger in SQL (SQLite and MySQL/MariaDB): entries with a
// unique idempotency id, postings indexed by account, sharded running balances updated
// with additive upserts, and day-end snapshots. It implements biz.Repo.
package data
