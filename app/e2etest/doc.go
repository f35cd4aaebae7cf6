// Package e2etest starts the real cmd/huabei binary for end-to-end tests: built once per
// test process, one server per test on a free port with its own fresh database (SQLite in
// a temp folder or a throwaway MariaDB database, optionally Redis), and a small JSON
// client with dev tokens.
package e2etest
