// Package money owns the representation of amounts of CNY: an integer number of fen
// (Amount, int64), parsing and formatting of the "199.00" yuan strings the API carries,
// and the few decimal helpers that turn rates into fen with a rounding mode named at the
// call site. Nothing outside this package converts between yuan strings and fen.
package money
