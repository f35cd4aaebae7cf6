-- +goose Up
-- One row per (job, business date): the run's state, its checkpoint and the lease that
-- keeps one runner across replicas (owner + lease_expires_at, taken with conditional UPDATEs).
CREATE TABLE job_run (
    name             VARCHAR(64)  NOT NULL,
    business_date    INT          NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    checkpoint       VARCHAR(255) NOT NULL DEFAULT '',
    processed        BIGINT       NOT NULL DEFAULT 0,
    total            BIGINT       NOT NULL DEFAULT 0,
    attempts         INT          NOT NULL DEFAULT 0,
    error            VARCHAR(255) NOT NULL DEFAULT '',
    started_at       BIGINT       NOT NULL,
    finished_at      BIGINT       NOT NULL DEFAULT 0,
    owner            VARCHAR(64)  NOT NULL DEFAULT '',
    lease_expires_at BIGINT       NOT NULL DEFAULT 0,
    PRIMARY KEY (name, business_date)
);

-- +goose Down
DROP TABLE job_run;
