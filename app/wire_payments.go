package app

import "context"

// paymentsModule holds what the payments domain exposes to the rest of the wiring.
type paymentsModule struct{}

// wirePayments builds the payments domain and registers its routes (owned by the payments engineers).
func (a *App) wirePayments(ctx context.Context) error {
	return nil
}
