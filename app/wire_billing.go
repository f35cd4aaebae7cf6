package app

import "context"

// billingModule holds what the billing domain exposes to the rest of the wiring.
type billingModule struct{}

// wireBilling builds the billing domain and registers its routes (owned by the billing engineers).
func (a *App) wireBilling(ctx context.Context) error {
	return nil
}
