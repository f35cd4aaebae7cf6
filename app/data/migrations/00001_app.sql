-- +goose Up
CREATE TABLE idempotency_key (
    scope        VARCHAR(64)  NOT NULL,
    idem_key     VARCHAR(128) NOT NULL,
    request_hash CHAR(64)     NOT NULL,
    response     MEDIUMTEXT   NOT NULL,
    created_at   BIGINT       NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE TABLE app_setting (
    name       VARCHAR(64)  NOT NULL PRIMARY KEY,
    value      VARCHAR(255) NOT NULL,
    updated_at BIGINT       NOT NULL
);

-- +goose Down
DROP TABLE app_setting;
DROP TABLE idempotency_key;
