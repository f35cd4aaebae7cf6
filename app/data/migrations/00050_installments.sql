-- +goose Up
-- Installment plans (分期). source 'payment' converts one purchase (source_id = purchase
-- id), 'statement' converts the principal of one statement (source_id = statement id); a
-- purchase or statement converts at most once. principal_outstanding is what the plan
-- still owes in principal (billed unpaid + unbilled); the purchases it came from carry the
-- same amount in purchase.principal_outstanding (so billing = ledger reconciles).
-- Rates are decimal strings; dates yyyymmdd; times unix ms.
CREATE TABLE installment_plan (
    id                     BIGINT      NOT NULL,
    user_id                VARCHAR(64) NOT NULL,
    source                 VARCHAR(16) NOT NULL,
    source_id              BIGINT      NOT NULL,
    payment_id             BIGINT      NOT NULL,
    statement_period       VARCHAR(7)  NOT NULL,
    method                 VARCHAR(16) NOT NULL,
    principal              BIGINT      NOT NULL,
    terms                  INT         NOT NULL,
    rate                   VARCHAR(16) NOT NULL,
    total_fee              BIGINT      NOT NULL,
    fee_waived             BIGINT      NOT NULL,
    apr                    VARCHAR(16) NOT NULL,
    effective_annual_rate  VARCHAR(16) NOT NULL,
    status                 VARCHAR(16) NOT NULL,
    periods_billed         INT         NOT NULL,
    principal_outstanding  BIGINT      NOT NULL,
    created_date           INT         NOT NULL,
    closed_date            INT         NOT NULL,
    created_at             BIGINT      NOT NULL,
    updated_at             BIGINT      NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ux_installment_plan_id ON installment_plan (id);
CREATE UNIQUE INDEX ux_installment_plan_source ON installment_plan (user_id, source, source_id);
CREATE INDEX ix_installment_plan_status ON installment_plan (user_id, status);

-- One row per plan period. statement_id is 0 until a statement bills the period;
-- principal_paid counts repayments, refunds and payoffs applied to its principal.
-- A refund re-spreads the unbilled periods' principal and fee in place.
CREATE TABLE installment_period (
    user_id         VARCHAR(64) NOT NULL,
    plan_id         BIGINT      NOT NULL,
    period          INT         NOT NULL,
    due_date        INT         NOT NULL,
    principal       BIGINT      NOT NULL,
    fee             BIGINT      NOT NULL,
    statement_id    BIGINT      NOT NULL,
    billed_date     INT         NOT NULL,
    principal_paid  BIGINT      NOT NULL,
    PRIMARY KEY (user_id, plan_id, period)
);
CREATE INDEX ix_installment_period_statement ON installment_period (user_id, statement_id);

-- +goose Down
DROP TABLE installment_period;
DROP TABLE installment_plan;
