// Package app wires the service: it loads nothing itself but takes the configuration,
// opens the shared data layer, builds the transports and connects the domains (credit,
// billing, ledger, abs) through the small interfaces each declares. One wire_<domain>.go
// file per domain keeps each domain's wiring in its own place.
package app
