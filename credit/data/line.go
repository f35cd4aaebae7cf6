package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/biz"
)

// LineRepo stores credit lines and their audit trail.
type LineRepo struct{ d *data.Data }

var _ biz.LineRepo = (*LineRepo)(nil)

// NewLineRepo returns the repo.
func NewLineRepo(d *data.Data) *LineRepo { return &LineRepo{d: d} }

const lineCols = `user_id, status, frozen, score, credit_limit, temp_limit, temp_limit_expires_at, outstanding, held, opened_at, updated_at`

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOf(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func (r *LineRepo) get(ctx context.Context, userID, suffix string) (*biz.Line, error) {
	var l biz.Line
	var frozen int
	var limit, temp, tempExp, out, held, opened, updated int64
	err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT "+lineCols+" FROM credit_line WHERE user_id = ?"+suffix, userID).
		Scan(&l.UserID, &l.AccountStatus, &frozen, &l.Score, &limit, &temp, &tempExp, &out, &held, &opened, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biz.ErrLineNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("credit/data: load line: %w", err)
	}
	l.Frozen = frozen != 0
	l.Limit, l.TempLimit, l.TempLimitExpiresAt = money.Amount(limit), money.Amount(temp), timeOf(tempExp)
	l.Outstanding, l.Held = money.Amount(out), money.Amount(held)
	l.OpenedAt, l.UpdatedAt = time.UnixMilli(opened), time.UnixMilli(updated)
	return &l, nil
}

// Get implements biz.LineRepo.
func (r *LineRepo) Get(ctx context.Context, userID string) (*biz.Line, error) {
	return r.get(ctx, userID, "")
}

// GetForUpdate implements biz.LineRepo.
func (r *LineRepo) GetForUpdate(ctx context.Context, userID string) (*biz.Line, error) {
	return r.get(ctx, userID, r.d.Dialect.ForUpdate())
}

// Create implements biz.LineRepo.
func (r *LineRepo) Create(ctx context.Context, l *biz.Line) error {
	frozen := 0
	if l.Frozen {
		frozen = 1
	}
	_, err := r.d.DB(ctx).ExecContext(ctx, "INSERT INTO credit_line ("+lineCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		l.UserID, l.AccountStatus, frozen, l.Score, l.Limit.Fen(), l.TempLimit.Fen(), msOf(l.TempLimitExpiresAt),
		l.Outstanding.Fen(), l.Held.Fen(), l.OpenedAt.UnixMilli(), l.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("credit/data: create line: %w", err)
	}
	return nil
}

// exec runs a single-row UPDATE and reports whether the line exists. MySQL counts only
// changed rows, so an unchanged row is told apart from a missing one with a lookup.
func (r *LineRepo) exec(ctx context.Context, what, userID, q string, args ...any) (bool, error) {
	res, err := r.d.DB(ctx).ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("credit/data: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("credit/data: %s: %w", what, err)
	}
	if n > 0 {
		return true, nil
	}
	var one int
	err = r.d.DB(ctx).QueryRowContext(ctx, "SELECT 1 FROM credit_line WHERE user_id = ?", userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("credit/data: %s: %w", what, err)
	}
	return true, nil
}

func (r *LineRepo) mustExec(ctx context.Context, what, userID, q string, args ...any) error {
	found, err := r.exec(ctx, what, userID, q, args...)
	if err == nil && !found {
		return biz.ErrLineNotFound
	}
	return err
}

// SetLimitScore implements biz.LineRepo.
func (r *LineRepo) SetLimitScore(ctx context.Context, userID string, limit money.Amount, score int, now time.Time) error {
	return r.mustExec(ctx, "set limit", userID, "UPDATE credit_line SET credit_limit = ?, score = ?, updated_at = ? WHERE user_id = ?",
		limit.Fen(), score, now.UnixMilli(), userID)
}

// SetTempLimit implements biz.LineRepo.
func (r *LineRepo) SetTempLimit(ctx context.Context, userID string, temp money.Amount, expires, now time.Time) error {
	return r.mustExec(ctx, "set temp limit", userID, "UPDATE credit_line SET temp_limit = ?, temp_limit_expires_at = ?, updated_at = ? WHERE user_id = ?",
		temp.Fen(), msOf(expires), now.UnixMilli(), userID)
}

// SetFrozen implements biz.LineRepo.
func (r *LineRepo) SetFrozen(ctx context.Context, userID string, frozen bool, now time.Time) error {
	f := 0
	if frozen {
		f = 1
	}
	return r.mustExec(ctx, "set frozen", userID, "UPDATE credit_line SET frozen = ?, updated_at = ? WHERE user_id = ?", f, now.UnixMilli(), userID)
}

// SetAccountStatus implements biz.LineRepo.
func (r *LineRepo) SetAccountStatus(ctx context.Context, userID, status string, now time.Time) error {
	return r.mustExec(ctx, "set status", userID, "UPDATE credit_line SET status = ?, updated_at = ? WHERE user_id = ?", status, now.UnixMilli(), userID)
}

// Hold implements biz.LineRepo: one conditional UPDATE, so concurrent holds can never
// take available credit below zero on either engine.
func (r *LineRepo) Hold(ctx context.Context, userID string, amount money.Amount, now time.Time) (bool, error) {
	if amount <= 0 || amount > money.Amount(math.MaxInt64/4) {
		return false, biz.ErrInvalidAmount
	}
	res, err := r.d.DB(ctx).ExecContext(ctx, `UPDATE credit_line SET held = held + ?, updated_at = ?
WHERE user_id = ? AND status = 'active' AND frozen = 0
AND (CASE WHEN temp_limit_expires_at > ? THEN temp_limit ELSE credit_limit END) - outstanding - held >= ?`,
		amount.Fen(), now.UnixMilli(), userID, now.UnixMilli(), amount.Fen())
	if err != nil {
		return false, fmt.Errorf("credit/data: hold: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("credit/data: hold: %w", err)
	}
	return n == 1, nil
}

// Capture implements biz.LineRepo.
func (r *LineRepo) Capture(ctx context.Context, userID string, held, captured money.Amount, now time.Time) (bool, error) {
	return r.exec(ctx, "capture", userID, `UPDATE credit_line SET held = CASE WHEN held >= ? THEN held - ? ELSE 0 END,
outstanding = outstanding + ?, updated_at = ? WHERE user_id = ?`, held.Fen(), held.Fen(), captured.Fen(), now.UnixMilli(), userID)
}

// ReleaseHold implements biz.LineRepo.
func (r *LineRepo) ReleaseHold(ctx context.Context, userID string, amount money.Amount, now time.Time) (bool, error) {
	return r.exec(ctx, "release hold", userID, `UPDATE credit_line SET held = CASE WHEN held >= ? THEN held - ? ELSE 0 END,
updated_at = ? WHERE user_id = ?`, amount.Fen(), amount.Fen(), now.UnixMilli(), userID)
}

// ReleaseOutstanding implements biz.LineRepo.
func (r *LineRepo) ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount, now time.Time) (bool, error) {
	return r.exec(ctx, "release outstanding", userID, `UPDATE credit_line SET outstanding = CASE WHEN outstanding >= ? THEN outstanding - ? ELSE 0 END,
updated_at = ? WHERE user_id = ?`, amount.Fen(), amount.Fen(), now.UnixMilli(), userID)
}

// AddOutstanding implements biz.LineRepo.
func (r *LineRepo) AddOutstanding(ctx context.Context, userID string, amount money.Amount, now time.Time) (bool, error) {
	return r.exec(ctx, "add outstanding", userID, `UPDATE credit_line SET outstanding = outstanding + ?, updated_at = ? WHERE user_id = ?`,
		amount.Fen(), now.UnixMilli(), userID)
}

// Exposure implements biz.LineRepo.
func (r *LineRepo) Exposure(ctx context.Context) (money.Amount, error) {
	var n int64
	if err := r.d.DB(ctx).QueryRowContext(ctx, "SELECT COALESCE(SUM(outstanding + held), 0) FROM credit_line").Scan(&n); err != nil {
		return 0, fmt.Errorf("credit/data: exposure: %w", err)
	}
	return money.Amount(n), nil
}

// AddEvent implements biz.LineRepo.
func (r *LineRepo) AddEvent(ctx context.Context, e *biz.LineEvent) error {
	_, err := r.d.DB(ctx).ExecContext(ctx, `INSERT INTO credit_line_event (user_id, id, kind, reason, actor, old_limit, new_limit,
temp_limit, temp_limit_expires_at, old_status, new_status, score, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.UserID, e.ID, e.Kind, e.Reason, e.Actor, e.OldLimit.Fen(), e.NewLimit.Fen(), e.TempLimit.Fen(), msOf(e.TempLimitExpiresAt),
		e.OldStatus, e.NewStatus, e.Score, e.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("credit/data: add line event: %w", err)
	}
	return nil
}

// Events implements biz.LineRepo.
func (r *LineRepo) Events(ctx context.Context, userID string, beforeID int64, limit int) ([]biz.LineEvent, error) {
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT id, kind, reason, actor, old_limit, new_limit, temp_limit,
temp_limit_expires_at, old_status, new_status, score, created_at FROM credit_line_event
WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, userID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("credit/data: list line events: %w", err)
	}
	defer rows.Close()
	var out []biz.LineEvent
	for rows.Next() {
		e := biz.LineEvent{UserID: userID}
		var oldL, newL, temp, tempExp, at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Reason, &e.Actor, &oldL, &newL, &temp, &tempExp, &e.OldStatus, &e.NewStatus, &e.Score, &at); err != nil {
			return nil, fmt.Errorf("credit/data: scan line event: %w", err)
		}
		e.OldLimit, e.NewLimit, e.TempLimit = money.Amount(oldL), money.Amount(newL), money.Amount(temp)
		e.TempLimitExpiresAt, e.At = timeOf(tempExp), time.UnixMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LineUserIDs implements biz.LineRepo.
func (r *LineRepo) LineUserIDs(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, "SELECT user_id FROM credit_line WHERE user_id > ? ORDER BY user_id LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("credit/data: list lines: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("credit/data: list lines: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
