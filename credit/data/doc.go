// Package data implements the credit repositories of credit/biz on SQL (SQLite and
// MySQL/MariaDB through app/data) and the velocity windows on Redis, with an in-process
// fallback. Line accounting is one conditional UPDATE per call.
package data
