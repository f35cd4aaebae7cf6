package app

import "context"

// creditModule holds what the credit domain exposes to the rest of the wiring.
type creditModule struct{}

// wireCredit builds the credit domain and registers its routes (owned by the credit engineers).
func (a *App) wireCredit(ctx context.Context) error {
	return nil
}
