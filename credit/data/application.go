package data

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/credit/biz"
)

// ApplicationRepo stores credit applications.
type ApplicationRepo struct{ d *data.Data }

var _ biz.ApplicationRepo = (*ApplicationRepo)(nil)

// NewApplicationRepo returns the repo.
func NewApplicationRepo(d *data.Data) *ApplicationRepo { return &ApplicationRepo{d: d} }

type storedReason struct {
	Code       string `json:"code"`
	Feature    string `json:"feature,omitempty"`
	Bin        string `json:"bin,omitempty"`
	PointsLost int    `json:"points_lost,omitempty"`
}

// Insert implements biz.ApplicationRepo (reasons stored as JSON codes, no personal data).
func (r *ApplicationRepo) Insert(ctx context.Context, a *biz.Application) error {
	rs := make([]storedReason, len(a.Reasons))
	for i, x := range a.Reasons {
		rs[i] = storedReason{x.Code, x.Feature, x.Bin, x.PointsLost}
	}
	js, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	if len(js) > 2000 {
		js = []byte("[]")
	}
	_, err = r.d.DB(ctx).ExecContext(ctx, `INSERT INTO credit_application (user_id, id, profile_version, decision, score,
credit_limit, reasons, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UserID, a.ID, a.ProfileVersion, a.Decision, a.Score, a.Limit.Fen(), string(js), a.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("credit/data: insert application: %w", err)
	}
	return nil
}
