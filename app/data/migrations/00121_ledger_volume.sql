-- +goose Up
-- The ledger's running volume (sum of all debits), spread over 16 rows (billing/ledger
-- biz.VolumeShards). Posting adds its entry's debits to one row with a conditional update
-- that refuses to pass biz.MaxVolume / 16, so no balance or sum of balances can leave the
-- 64-bit range (issue 16: repayments of 10^15 yuan overflowed customer.credit_balance).
-- Existing books start in shard 0.
CREATE TABLE ledger_volume (
    shard  INT    NOT NULL PRIMARY KEY,
    debits BIGINT NOT NULL
);
INSERT INTO ledger_volume (shard, debits) SELECT 0, COALESCE(SUM(debits), 0) FROM ledger_balance;
INSERT INTO ledger_volume (shard, debits) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0),
    (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0);

-- +goose Down
DROP TABLE ledger_volume;
