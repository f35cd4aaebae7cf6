-- +goose Up
-- Billing state per user: delinquency and the unbilled interest/penalty accrued day by
-- day at full precision (micro-fen: fen × 10^6), billed rounded half-up on the next
-- statement. accrued_through is the last business date accrued (yyyymmdd).
CREATE TABLE billing_account (
    user_id                 VARCHAR(64) NOT NULL PRIMARY KEY,
    status                  VARCHAR(16) NOT NULL,
    accrued_through         INT         NOT NULL,
    interest_accrued_micro  BIGINT      NOT NULL,
    penalty_accrued_micro   BIGINT      NOT NULL,
    days_past_due           INT         NOT NULL,
    bucket                  VARCHAR(8)  NOT NULL,
    charged_off_date        INT         NOT NULL,
    updated_at              BIGINT      NOT NULL
);

-- One statement per user and period (statement month, YYYY-MM): a repeat is a no-op.
-- Fixed amounts are the statement as issued; paid counts repayments and credits applied
-- to billed items since the statement date; min_met_date is when paid reached the
-- minimum (0: not yet). interest/penalty/fee *_paid track the billed charges' payment.
CREATE TABLE statement (
    id                    BIGINT      NOT NULL,
    user_id               VARCHAR(64) NOT NULL,
    period                VARCHAR(7)  NOT NULL,
    statement_date        INT         NOT NULL,
    due_date              INT         NOT NULL,
    cycle_start           INT         NOT NULL,
    cycle_end             INT         NOT NULL,
    opening_balance       BIGINT      NOT NULL,
    new_purchases         BIGINT      NOT NULL,
    refunds               BIGINT      NOT NULL,
    installments_due      BIGINT      NOT NULL,
    interest              BIGINT      NOT NULL,
    penalty               BIGINT      NOT NULL,
    fees                  BIGINT      NOT NULL,
    payments_and_credits  BIGINT      NOT NULL,
    new_balance           BIGINT      NOT NULL,
    minimum_due           BIGINT      NOT NULL,
    paid                  BIGINT      NOT NULL,
    interest_paid         BIGINT      NOT NULL,
    penalty_paid          BIGINT      NOT NULL,
    fee_paid              BIGINT      NOT NULL,
    min_met_date          INT         NOT NULL,
    status                VARCHAR(16) NOT NULL,
    created_at            BIGINT      NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ux_statement_user_period ON statement (user_id, period);
CREATE INDEX ix_statement_due ON statement (status, due_date);

CREATE TABLE statement_line (
    user_id       VARCHAR(64)  NOT NULL,
    statement_id  BIGINT       NOT NULL,
    seq           INT          NOT NULL,
    line_date     INT          NOT NULL,
    kind          VARCHAR(16)  NOT NULL,
    description   VARCHAR(255) NOT NULL,
    amount        BIGINT       NOT NULL,
    payment_id    BIGINT       NOT NULL,
    plan_id       BIGINT       NOT NULL,
    PRIMARY KEY (user_id, statement_id, seq)
);

-- Repayments (source: manual, autopay, credit_balance) and their allocation down to the
-- purchase (target_id) or billed charge of a statement.
CREATE TABLE repayment (
    id                 BIGINT       NOT NULL,
    user_id            VARCHAR(64)  NOT NULL,
    amount             BIGINT       NOT NULL,
    target             VARCHAR(64)  NOT NULL,
    source             VARCHAR(16)  NOT NULL,
    channel_ref        VARCHAR(128) NOT NULL,
    to_credit_balance  BIGINT       NOT NULL,
    received_date      INT          NOT NULL,
    received_at        BIGINT       NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX ix_repayment_user_date ON repayment (user_id, received_date);

CREATE TABLE repayment_allocation (
    user_id       VARCHAR(64) NOT NULL,
    repayment_id  BIGINT      NOT NULL,
    seq           INT         NOT NULL,
    kind          VARCHAR(16) NOT NULL,
    target        VARCHAR(64) NOT NULL,
    statement_id  BIGINT      NOT NULL,
    purchase_id   BIGINT      NOT NULL,
    amount        BIGINT      NOT NULL,
    PRIMARY KEY (user_id, repayment_id, seq)
);

-- One accrual per user and business date (interest or penalty): a repeat is a no-op.
CREATE TABLE accrual (
    user_id        VARCHAR(64) NOT NULL,
    business_date  INT         NOT NULL,
    kind           VARCHAR(16) NOT NULL,
    base           BIGINT      NOT NULL,
    amount_micro   BIGINT      NOT NULL,
    PRIMARY KEY (user_id, business_date)
);

CREATE TABLE autopay_setting (
    user_id     VARCHAR(64) NOT NULL PRIMARY KEY,
    enabled     INT         NOT NULL,
    updated_at  BIGINT      NOT NULL
);

-- One collection per (user, statement, due date), never two.
CREATE TABLE autopay_collection (
    user_id       VARCHAR(64)  NOT NULL,
    statement_id  BIGINT       NOT NULL,
    due_date      INT          NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    amount        BIGINT       NOT NULL,
    repayment_id  BIGINT       NOT NULL,
    attempts      INT          NOT NULL,
    error         VARCHAR(255) NOT NULL,
    updated_at    BIGINT       NOT NULL,
    PRIMARY KEY (user_id, statement_id, due_date)
);

-- +goose Down
DROP TABLE autopay_collection;
DROP TABLE autopay_setting;
DROP TABLE accrual;
DROP TABLE repayment_allocation;
DROP TABLE repayment;
DROP TABLE statement_line;
DROP TABLE statement;
DROP TABLE billing_account;
