package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AccountExists implements biz.AccountExistence.
func (r *StatementRepo) AccountExists(ctx context.Context, userID string) (bool, error) {
	var one int
	err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT 1 FROM billing_account WHERE user_id = ?", userID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("billing/data: account exists %s: %w", userID, err)
	}
	return true, nil
}
