-- +goose Up
-- Credit profiles: one row per version; a new PUT adds a version and never overwrites.
-- Personal data: never log these rows. NULL = missing value.
CREATE TABLE credit_profile (
    user_id               VARCHAR(64) NOT NULL,
    version               INT         NOT NULL,
    kyc_verified          SMALLINT    NOT NULL,
    age                   INT         NULL,
    education             VARCHAR(16) NULL,
    employment            VARCHAR(16) NULL,
    employment_months     INT         NULL,
    monthly_income        BIGINT      NULL,
    assets                BIGINT      NULL,
    housing               VARCHAR(16) NULL,
    credit_history_months INT         NULL,
    late_payments_12m     INT         NULL,
    max_dpd_24m           INT         NULL,
    outstanding_debt      BIGINT      NULL,
    inquiries_6m          INT         NULL,
    actor                 VARCHAR(80) NOT NULL,
    created_at            BIGINT      NOT NULL,
    PRIMARY KEY (user_id, version)
);

-- Credit lines, one per user. status is billing's account state (active, overdue, closed);
-- frozen is the ops freeze, kept apart so neither side undoes the other. Amounts in fen,
-- times in unix ms (temp_limit_expires_at 0 = no temporary limit).
CREATE TABLE credit_line (
    user_id               VARCHAR(64) NOT NULL PRIMARY KEY,
    status                VARCHAR(16) NOT NULL,
    frozen                SMALLINT    NOT NULL,
    score                 INT         NOT NULL,
    credit_limit          BIGINT      NOT NULL,
    temp_limit            BIGINT      NOT NULL,
    temp_limit_expires_at BIGINT      NOT NULL,
    outstanding           BIGINT      NOT NULL,
    held                  BIGINT      NOT NULL,
    opened_at             BIGINT      NOT NULL,
    updated_at            BIGINT      NOT NULL
);

-- Audit trail of line changes (open, rescore, adjust, freeze, unfreeze, status).
CREATE TABLE credit_line_event (
    user_id               VARCHAR(64)  NOT NULL,
    id                    BIGINT       NOT NULL,
    kind                  VARCHAR(16)  NOT NULL,
    reason                VARCHAR(255) NOT NULL,
    actor                 VARCHAR(80)  NOT NULL,
    old_limit             BIGINT       NOT NULL,
    new_limit             BIGINT       NOT NULL,
    temp_limit            BIGINT       NOT NULL,
    temp_limit_expires_at BIGINT       NOT NULL,
    old_status            VARCHAR(16)  NOT NULL,
    new_status            VARCHAR(16)  NOT NULL,
    score                 INT          NOT NULL,
    created_at            BIGINT       NOT NULL,
    PRIMARY KEY (user_id, id)
);

-- Credit applications and their decisions (reasons as JSON).
CREATE TABLE credit_application (
    user_id         VARCHAR(64)   NOT NULL,
    id              BIGINT        NOT NULL,
    profile_version INT           NOT NULL,
    decision        VARCHAR(16)   NOT NULL,
    score           INT           NOT NULL,
    credit_limit    BIGINT        NOT NULL,
    reasons         VARCHAR(2000) NOT NULL,
    created_at      BIGINT        NOT NULL,
    PRIMARY KEY (user_id, id)
);

-- +goose Down
DROP TABLE credit_application;
DROP TABLE credit_line_event;
DROP TABLE credit_line;
DROP TABLE credit_profile;
