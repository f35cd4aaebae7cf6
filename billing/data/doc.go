// Package data implements billing's repositories on the shared SQL database (SQLite or
// MariaDB through app/data): payments, refunds and purchases, and the tables statements,
// repayments and installments keep. Every method joins the transaction carried by ctx.
package data
