-- +goose Up
-- Checkout payments. Keys lead with user_id (DESIGN §3); id is unique on its own so a
-- payment is found from its id alone. Amounts in fen, business dates yyyymmdd, times unix ms
-- (0 = not yet). discount_amount is the merchant discount booked at capture and
-- refunded_discount what refunds have returned of it.
CREATE TABLE payment (
    id                  BIGINT       NOT NULL,
    user_id             VARCHAR(64)  NOT NULL,
    merchant_id         VARCHAR(64)  NOT NULL,
    merchant_order_id   VARCHAR(64)  NOT NULL,
    amount              BIGINT       NOT NULL,
    captured_amount     BIGINT       NOT NULL,
    refunded_amount     BIGINT       NOT NULL,
    discount_amount     BIGINT       NOT NULL,
    refunded_discount   BIGINT       NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    decline_reason      VARCHAR(32)  NOT NULL,
    merchant_category   VARCHAR(32)  NOT NULL,
    installments        INT          NOT NULL,
    description         VARCHAR(255) NOT NULL,
    authorized_date     INT          NOT NULL,
    authorized_at       BIGINT       NOT NULL,
    captured_at         BIGINT       NOT NULL,
    capture_date        INT          NOT NULL,
    cancelled_at        BIGINT       NOT NULL,
    updated_at          BIGINT       NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ux_payment_id ON payment (id);
CREATE UNIQUE INDEX ux_payment_merchant_order ON payment (merchant_id, merchant_order_id);
-- auto-capture scans open authorizations by business date
CREATE INDEX ix_payment_status_date ON payment (status, authorized_date, id);

-- One row per refund: how much reduced the purchase's outstanding principal and how much
-- became customer credit balance, and the share of merchant discount given back.
CREATE TABLE payment_refund (
    id                 BIGINT       NOT NULL,
    user_id            VARCHAR(64)  NOT NULL,
    payment_id         BIGINT       NOT NULL,
    merchant_id        VARCHAR(64)  NOT NULL,
    purchase_id        BIGINT       NOT NULL,
    amount             BIGINT       NOT NULL,
    to_principal       BIGINT       NOT NULL,
    to_credit_balance  BIGINT       NOT NULL,
    discount_returned  BIGINT       NOT NULL,
    reason             VARCHAR(255) NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    refund_date        INT          NOT NULL,
    created_at         BIGINT       NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ux_payment_refund_id ON payment_refund (id);
CREATE INDEX ix_payment_refund_payment ON payment_refund (payment_id, id);
CREATE INDEX ix_payment_refund_user_date ON payment_refund (user_id, refund_date);

-- The receivable a capture creates: billing bills it (statement_id), installments may turn
-- it into a plan (plan_id), the asset center sells it (owner: 'lender' or a pool id).
-- statement_id and plan_id are NULL until set.
CREATE TABLE purchase (
    id                     BIGINT      NOT NULL,
    user_id                VARCHAR(64) NOT NULL,
    payment_id             BIGINT      NOT NULL,
    merchant_id            VARCHAR(64) NOT NULL,
    amount                 BIGINT      NOT NULL,
    refunded_amount        BIGINT      NOT NULL,
    principal_outstanding  BIGINT      NOT NULL,
    capture_date           INT         NOT NULL,
    installments           INT         NOT NULL,
    statement_id           BIGINT      NULL,
    plan_id                BIGINT      NULL,
    owner                  VARCHAR(64) NOT NULL,
    created_at             BIGINT      NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE UNIQUE INDEX ux_purchase_id ON purchase (id);
CREATE UNIQUE INDEX ux_purchase_payment ON purchase (payment_id);
CREATE INDEX ix_purchase_user_date ON purchase (user_id, capture_date);
CREATE INDEX ix_purchase_owner_date ON purchase (owner, capture_date);

-- +goose Down
DROP TABLE purchase;
DROP TABLE payment_refund;
DROP TABLE payment;
