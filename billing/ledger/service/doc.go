// Package service maps the ledger's ops API (GET /v1/ops/ledger/trial-balance, and the
// same call over gRPC) to the biz use case: it parses the date, formats amounts as yuan
// strings and registers the route with the ops role.
package service
