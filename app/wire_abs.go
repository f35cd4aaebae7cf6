package app

import "context"

// absModule holds what the abs domain exposes to the rest of the wiring.
type absModule struct{}

// wireABS builds the abs domain and registers its routes (owned by the abs engineers).
func (a *App) wireABS(ctx context.Context) error {
	return nil
}
