-- +goose Up
-- Journal entries: immutable, one row per business event. idempotency_id is the caller's
-- key (payment:<id>:capture); postings_hash is a digest of the normalised postings so a
-- replay is recognised without loading them.
CREATE TABLE ledger_entry (
    id             BIGINT       NOT NULL PRIMARY KEY,
    idempotency_id VARCHAR(191) NOT NULL,
    entry_type     VARCHAR(64)  NOT NULL,
    description    VARCHAR(255) NOT NULL,
    business_date  INT          NOT NULL,
    postings_hash  CHAR(64)     NOT NULL,
    created_at     BIGINT       NOT NULL
);
CREATE UNIQUE INDEX ux_ledger_entry_idem ON ledger_entry (idempotency_id);
CREATE INDEX ix_ledger_entry_date ON ledger_entry (business_date, id);

-- Postings: one row per debit or credit; exactly one of debit and credit is non-zero.
-- business_date is copied from the entry so an account's history by date is one index range.
CREATE TABLE ledger_posting (
    entry_id      BIGINT      NOT NULL,
    seq           INT         NOT NULL,
    account       VARCHAR(64) NOT NULL,
    owner         VARCHAR(64) NOT NULL,
    debit         BIGINT      NOT NULL,
    credit        BIGINT      NOT NULL,
    business_date INT         NOT NULL,
    PRIMARY KEY (entry_id, seq)
);
CREATE INDEX ix_ledger_posting_account ON ledger_posting (account, owner, business_date, entry_id);

-- Running totals per account, owner and shard. Hot accounts spread over several shard
-- rows; readers sum them.
CREATE TABLE ledger_balance (
    account VARCHAR(64) NOT NULL,
    owner   VARCHAR(64) NOT NULL,
    shard   INT         NOT NULL,
    debits  BIGINT      NOT NULL,
    credits BIGINT      NOT NULL,
    PRIMARY KEY (account, owner, shard)
);

-- Day-end closing balances per account and owner (postings with business_date <= the date).
CREATE TABLE ledger_daily_balance (
    business_date INT         NOT NULL,
    account       VARCHAR(64) NOT NULL,
    owner         VARCHAR(64) NOT NULL,
    debits        BIGINT      NOT NULL,
    credits       BIGINT      NOT NULL,
    PRIMARY KEY (business_date, account, owner)
);

-- +goose Down
DROP TABLE ledger_daily_balance;
DROP TABLE ledger_balance;
DROP TABLE ledger_posting;
DROP TABLE ledger_entry;
