-- +goose Up
-- The batches of a pool transfer, planned when the transfer starts: each covers the pool's
-- assets with ids in [first_asset, last_asset]. Workers flip batches in parallel, each in
-- one transaction that also marks its batch done (with the rows flipped and their
-- outstanding principal), so a crash resumes with the batches still pending and no
-- asset flips twice.
CREATE TABLE abs_transfer_batch (
    pool_id      BIGINT      NOT NULL,
    seq          INT         NOT NULL,
    first_asset  BIGINT      NOT NULL,
    last_asset   BIGINT      NOT NULL,
    status       VARCHAR(16) NOT NULL,
    flipped      INT         NOT NULL DEFAULT 0,
    balance      BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, seq)
);

-- +goose Down
DROP TABLE abs_transfer_batch;
