package app

import "context"

// installmentsModule holds what the installments domain exposes to the rest of the wiring.
type installmentsModule struct{}

// wireInstallments builds the installments domain and registers its routes (owned by the installments engineers).
func (a *App) wireInstallments(ctx context.Context) error {
	return nil
}
