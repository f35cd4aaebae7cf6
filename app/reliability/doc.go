// Package reliability holds the reliability and security proof of issue 10: the access
// control matrix generated from the route table, HTTP fuzzing of every endpoint with a
// database checksum, crash/kill tests with idempotent retries, database and Redis outages,
// abuse limits and job crash safety. Everything lives in tests; `make test-reliability`
// runs the full form (HUABEI_RELIABILITY=full), `make test` a short one.
package reliability
