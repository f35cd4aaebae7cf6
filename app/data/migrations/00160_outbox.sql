-- +goose Up
-- Transactional outbox (DESIGN §10): events written in the transaction of the business
-- change. seq is a time-ordered snowflake id (the public id is evt_<seq>); position is the
-- relay's delivery order (0 = not yet relayed), assigned by the one relay runner, so a
-- merchant's event list pages by position and never misses an event that committed late.
CREATE TABLE outbox_event (
    seq          BIGINT       NOT NULL,
    type         VARCHAR(40)  NOT NULL,
    merchant_id  VARCHAR(64) COLLATE BINARY  NOT NULL,
    data         TEXT         NOT NULL,
    created_at   BIGINT       NOT NULL,
    position     BIGINT       NOT NULL,
    relayed_at   BIGINT       NOT NULL,
    PRIMARY KEY (seq)
);
-- the relay scans undelivered events in order
CREATE INDEX ix_outbox_event_pending ON outbox_event (position, seq);
-- a merchant's events in delivery order (GET /v1/merchants/{id}/events)
CREATE INDEX ix_outbox_event_merchant ON outbox_event (merchant_id, position);

-- A merchant's webhook endpoint; secret signs deliveries (HMAC needs the secret itself).
CREATE TABLE merchant_webhook (
    merchant_id  VARCHAR(64) COLLATE BINARY   NOT NULL,
    url          VARCHAR(2048) NOT NULL,
    secret       VARCHAR(80)   NOT NULL,
    created_at   BIGINT        NOT NULL,
    updated_at   BIGINT        NOT NULL,
    PRIMARY KEY (merchant_id)
);

-- One webhook delivery of one event: pending until the endpoint answers 2xx, retried with
-- exponential backoff (next_attempt_at, wall-clock unix ms) until first_attempt_at + the
-- retry window, then dead.
CREATE TABLE webhook_delivery (
    event_seq        BIGINT        NOT NULL,
    merchant_id      VARCHAR(64) COLLATE BINARY   NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    attempts         INT           NOT NULL,
    first_attempt_at BIGINT        NOT NULL,
    next_attempt_at  BIGINT        NOT NULL,
    delivered_at     BIGINT        NOT NULL,
    last_error       VARCHAR(255)  NOT NULL,
    PRIMARY KEY (event_seq)
);
CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (status, next_attempt_at);

-- +goose Down
DROP TABLE webhook_delivery;
DROP TABLE merchant_webhook;
DROP TABLE outbox_event;
