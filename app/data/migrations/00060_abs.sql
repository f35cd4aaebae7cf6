-- +goose Up
-- Asset pools. criteria, stats and strata are JSON computed when the pool is built (and
-- again after buybacks and revolving purchases) so reading a million-asset pool is one row.
-- Transfer progress: transfer_checkpoint is the last asset id whose owner was flipped
-- (assets are flipped in id order, one transaction per batch), so a crash resumes there.
CREATE TABLE abs_pool (
    id                   BIGINT        NOT NULL,
    name                 VARCHAR(128)  NOT NULL,
    status               VARCHAR(16)   NOT NULL,
    cutoff_date          INT           NOT NULL,
    criteria             VARCHAR(1024) NOT NULL,
    stats                VARCHAR(1024) NOT NULL,
    strata               TEXT          NOT NULL,
    original_balance     BIGINT        NOT NULL,
    asset_count          INT           NOT NULL,
    revolving_months     INT           NOT NULL,
    buyer                VARCHAR(128)  NOT NULL DEFAULT '',
    price                VARCHAR(16)   NOT NULL DEFAULT '',
    transfer_id          BIGINT        NOT NULL DEFAULT 0,
    transfer_date        INT           NOT NULL DEFAULT 0,
    transfer_balance     BIGINT        NOT NULL DEFAULT 0,
    proceeds             BIGINT        NOT NULL DEFAULT 0,
    transfer_checkpoint  BIGINT        NOT NULL DEFAULT 0,
    transferred_count    INT           NOT NULL DEFAULT 0,
    created_at           BIGINT        NOT NULL,
    updated_at           BIGINT        NOT NULL,
    PRIMARY KEY (id)
);

-- One row per asset in a pool, balances frozen at cut-off (or at the revolving purchase).
-- status: active | bought_back. asset_id is the purchase id.
CREATE TABLE abs_pool_asset (
    pool_id            BIGINT       NOT NULL,
    asset_id           BIGINT       NOT NULL,
    user_id            VARCHAR(64)  NOT NULL,
    balance_at_cutoff  BIGINT       NOT NULL,
    apr                VARCHAR(16)  NOT NULL,
    remaining_periods  INT          NOT NULL,
    amortization       VARCHAR(16)  NOT NULL,
    score              INT          NOT NULL,
    origination_date   INT          NOT NULL,
    added_date         INT          NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    removed_date       INT          NOT NULL DEFAULT 0,
    removed_reason     VARCHAR(16)  NOT NULL DEFAULT '',
    removed_amount     BIGINT       NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, asset_id)
);
CREATE INDEX ix_abs_pool_asset_asset ON abs_pool_asset (asset_id);

-- Cash flows of a pool's assets after cut-off, for servicer reports and remittance:
-- kind principal | fee | default | recovery | buyback | purchase | remit. ref makes each
-- event idempotent (repayment:<id>:<asset>, buyback:<pool>:<asset>, ...).
CREATE TABLE abs_pool_flow (
    pool_id        BIGINT       NOT NULL,
    ref            VARCHAR(128) NOT NULL,
    kind           VARCHAR(16)  NOT NULL,
    asset_id       BIGINT       NOT NULL,
    amount         BIGINT       NOT NULL,
    business_date  INT          NOT NULL,
    created_at     BIGINT       NOT NULL,
    PRIMARY KEY (pool_id, ref)
);
CREATE INDEX ix_abs_pool_flow_date ON abs_pool_flow (pool_id, business_date);

-- +goose Down
DROP TABLE abs_pool_flow;
DROP TABLE abs_pool_asset;
DROP TABLE abs_pool;
