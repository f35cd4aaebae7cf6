package app

import "context"

// ledgerModule holds what the ledger domain exposes to the rest of the wiring.
type ledgerModule struct{}

// wireLedger builds the ledger domain and registers its routes (owned by the ledger engineers).
func (a *App) wireLedger(ctx context.Context) error {
	return nil
}
