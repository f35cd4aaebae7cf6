// Package data implements the asset center's repository on SQL (SQLite and MySQL): pools,
// frozen pool assets and pool cash flows in its own tables, and read-only queries over
// other domains' tables (purchase, credit_line, payment) for eligibility, transfer and
// servicing. Only the ownership flip writes to purchase (its owner column).
package data
