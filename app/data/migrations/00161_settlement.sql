-- +goose Up
-- Merchant settlements (DESIGN §10): one per merchant and business date. Amounts in fen;
-- net_amount = gross_captured − refunds − discount + carried (carried ≤ 0: earlier negative
-- nets taken in). status pending | paid | failed | carried_forward (a negative net waiting
-- for the merchant's next settlement). paid_at unix ms (0 = unpaid).
CREATE TABLE merchant_settlement (
    id              BIGINT       NOT NULL,
    merchant_id     VARCHAR(64) COLLATE BINARY NOT NULL,
    business_date   INT          NOT NULL,
    gross_captured  BIGINT       NOT NULL,
    refunds         BIGINT       NOT NULL,
    discount        BIGINT       NOT NULL,
    carried         BIGINT       NOT NULL,
    net_amount      BIGINT       NOT NULL,
    payment_count   INT          NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    attempts        INT          NOT NULL,
    last_error      VARCHAR(255) NOT NULL,
    paid_at         BIGINT       NOT NULL,
    created_at      BIGINT       NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ux_merchant_settlement_date ON merchant_settlement (merchant_id, business_date);
CREATE INDEX ix_merchant_settlement_status ON merchant_settlement (status, business_date);

-- A settlement's lines. (kind, source_id) is unique: a capture, refund or carried
-- settlement is settled once, whatever crashes and re-runs happen.
CREATE TABLE merchant_settlement_line (
    kind               VARCHAR(16)  NOT NULL,
    source_id          BIGINT       NOT NULL,
    settlement_id      BIGINT       NOT NULL,
    payment_id         BIGINT       NOT NULL,
    merchant_order_id  VARCHAR(64) COLLATE BINARY NOT NULL,
    amount             BIGINT       NOT NULL,
    discount           BIGINT       NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE INDEX ix_merchant_settlement_line_settlement ON merchant_settlement_line (settlement_id);

-- The simulated payout channel's own book (dev and tests): every payout it made, so a
-- payout asked again after a crash is recognised and not paid twice (and a double payout
-- would show as a second row of the ref).
CREATE TABLE channel_payout (
    id           BIGINT       NOT NULL,
    ref          VARCHAR(160) COLLATE BINARY NOT NULL,
    attempt      INT          NOT NULL,
    merchant_id  VARCHAR(64) COLLATE BINARY NOT NULL,
    amount       BIGINT       NOT NULL,
    paid_at      BIGINT       NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_channel_payout_ref ON channel_payout (ref);

-- the settlement job finds the date's active merchants; the merchant API lists payments
CREATE INDEX ix_payment_capture_merchant ON payment (capture_date, merchant_id);
CREATE INDEX ix_payment_refund_date_merchant ON payment_refund (refund_date, merchant_id);
CREATE INDEX ix_payment_merchant_id ON payment (merchant_id, id);

-- +goose Down
DROP TABLE channel_payout;
DROP TABLE merchant_settlement_line;
DROP TABLE merchant_settlement;
