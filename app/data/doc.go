// Package data owns the connections every domain's data layer shares: the SQL database
// (embedded SQLite by default, MySQL/MariaDB in production), its embedded migrations,
// the transaction carried in the context (InTx, DB), the dialect helper that hides the
// few non-portable statements, and Redis with in-process stand-ins when Redis is absent.
package data
