# Huabei — make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin
PROTO_FILES := $(shell find app credit billing abs -name '*.proto' -path '*/api/v1/*' 2>/dev/null | sort)
export HUABEI_TEST_MYSQL_DSN ?= huabei_test:huabei_test@tcp(127.0.0.1:3306)/
export HUABEI_TEST_REDIS_ADDR ?= 127.0.0.1:6379

.PHONY: help run build test test-unit test-reliability services api third_party lint demo bench clean

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

run: ## run the server on the embedded SQLite default (./var), http://127.0.0.1:8000
	$(GO) run ./cmd/huabei

build: ## build bin/huabei and bin/huabeictl
	$(GO) build -o $(BIN)/huabei ./cmd/huabei
	$(GO) build -o $(BIN)/huabeictl ./cmd/huabeictl

services: ## make sure MariaDB and Redis run on loopback (install them if missing)
	@./.ci/services.sh

test: services ## run every test: unit, data (SQLite + MariaDB + Redis), end-to-end over HTTP
	$(GO) vet ./...
	$(GO) build -o $(BIN)/huabei ./cmd/huabei
	HUABEI_E2E_BINARY=$(abspath $(BIN)/huabei) $(GO) test -count=1 -timeout 25m -p 2 ./...

test-unit: ## quick tests on SQLite only (no MariaDB needed)
	HUABEI_TEST_ENGINES=sqlite $(GO) test -count=1 ./...

test-reliability: services ## the full reliability suite (crashes, outages, fuzzing, access matrix)
	HUABEI_RELIABILITY=full $(GO) test -count=1 -timeout 60m -v -run 'Reliability' ./app/reliability/...

third_party: ## copy the proto imports shipped with the kratos module into third_party/
	@dir=$$($(GO) list -m -f '{{.Dir}}' github.com/go-kratos/kratos/v2); \
	rm -rf third_party/google third_party/errors third_party/validate; \
	cp -r $$dir/third_party/google $$dir/third_party/errors $$dir/third_party/validate third_party/; chmod -R u+w third_party

api: ## regenerate protobuf, gRPC and OpenAPI code (needs protoc; see README)
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler"; exit 1; }
	@command -v protoc-gen-go >/dev/null || $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
	@command -v protoc-gen-go-grpc >/dev/null || $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
	@command -v protoc-gen-openapi >/dev/null || $(GO) install github.com/google/gnostic/cmd/protoc-gen-openapi@v0.7.1
	PATH=$$PATH:$$($(GO) env GOPATH)/bin protoc -I . -I third_party --go_out=paths=source_relative:. --go-grpc_out=paths=source_relative:. $(PROTO_FILES)
	PATH=$$PATH:$$($(GO) env GOPATH)/bin protoc -I . -I third_party --openapi_out=naming=proto,fq_schema_naming=true,default_response=false:app/server $(PROTO_FILES)

lint: ## gofmt + go vet
	@test -z "$$(gofmt -l app credit billing abs cmd configs)" || { gofmt -l app credit billing abs cmd configs; exit 1; }
	$(GO) vet ./...

demo: ## simulate 500 shoppers for 6 months on the embedded default: report, var/demo/report.json, charts in var/demo/charts
	$(GO) run ./cmd/huabeictl simulate --users 500 --months 6 --seed 1 --out var/demo/report.json --charts var/demo/charts

clean: ## remove build output and the embedded database
	rm -rf $(BIN) var
