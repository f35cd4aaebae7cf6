package data

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/biz"
)

var _ biz.PortfolioRepo = (*StatementRepo)(nil)

// PortfolioRows implements biz.PortfolioRepo: one grouped scan of purchases with
// principal outstanding joined to the obligor's billing account (none yet: current).
func (r *StatementRepo) PortfolioRows(ctx context.Context) ([]biz.PortfolioRow, error) {
	rows, err := r.d.DB(ctx).QueryContext(ctx, `SELECT
  CASE WHEN a.status = ? THEN ? WHEN a.bucket IS NULL OR a.bucket = '' THEN 'current' ELSE a.bucket END AS b,
  COUNT(DISTINCT p.user_id), SUM(p.principal_outstanding),
  SUM(CASE WHEN p.owner <> ? THEN p.principal_outstanding ELSE 0 END)
FROM purchase p LEFT JOIN billing_account a ON a.user_id = p.user_id
WHERE p.principal_outstanding > 0
GROUP BY b`, biz.AccountChargedOff, biz.AccountChargedOff, biz.OwnerLender)
	if err != nil {
		return nil, fmt.Errorf("billing/data: portfolio: %w", err)
	}
	defer rows.Close()
	var out []biz.PortfolioRow
	for rows.Next() {
		var row biz.PortfolioRow
		var total, sold int64
		if err := rows.Scan(&row.Bucket, &row.Obligors, &total, &sold); err != nil {
			return nil, fmt.Errorf("billing/data: portfolio: %w", err)
		}
		row.Principal, row.Sold = money.Amount(total), money.Amount(sold)
		out = append(out, row)
	}
	return out, rows.Err()
}
