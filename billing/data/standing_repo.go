package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/huabei/huabei/app/clock"
)

// RepaymentStanding reads a user's days past due and, over statements due on or after
// since and before today, how many were due and how many had their minimum met by the due
// date (the limit review's input).
func (r *StatementRepo) RepaymentStanding(ctx context.Context, userID string, since, today clock.Date) (dpd, due, onTime int, err error) {
	err = r.d.DB(ctx).QueryRowContext(ctx, "SELECT days_past_due FROM billing_account WHERE user_id = ?", userID).Scan(&dpd)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, fmt.Errorf("billing/data: standing: %w", err)
	}
	var met sql.NullInt64
	err = r.d.DB(ctx).QueryRowContext(ctx, `SELECT COUNT(*), SUM(CASE WHEN min_met_date > 0 AND min_met_date <= due_date THEN 1 ELSE 0 END)
FROM statement WHERE user_id = ? AND due_date >= ? AND due_date < ?`, userID, dateInt(since), dateInt(today)).Scan(&due, &met)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("billing/data: standing: %w", err)
	}
	return dpd, due, int(met.Int64), nil
}
