package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/e2etest"
)

// TestReconciliationFindsDifferences: the day-end billing reconciliation (set-based, a
// chunk of users per query) reports a user whose purchase principal and another whose
// statement interest no longer match their receivables in the ledger, by account and
// owner, and nobody else.
func TestReconciliationFindsDifferences(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off", "HUABEI_BILLING_CHUNK_SIZE=2"}})
			w := newBWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			users := []string{"ra", "rb", "rc", "rd", "re"}
			for _, u := range users {
				w.shopper(u)
				w.buy(u, "300.00")
			}
			s.SetClock("2026-12-01T00:30:00+08:00")
			w.job("statements", "2026-12-01")
			w.checkBooks("2026-12-01")

			d, closeDB, err := data.Open(context.Background(), data.Options{MySQLDSN: s.MySQLDSN, DataDir: s.DataDir})
			if err != nil {
				t.Fatal(err)
			}
			defer closeDB()
			for _, q := range []string{
				"UPDATE purchase SET principal_outstanding = principal_outstanding - 1000 WHERE user_id = 'rb'",
				"UPDATE statement SET interest = interest + 500 WHERE user_id = 'rd'",
			} {
				if _, err := d.SQL().ExecContext(context.Background(), q); err != nil {
					t.Fatal(err)
				}
			}
			tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance?date=2026-12-01", w.ops, nil)
			rec, _ := tb.Body["reconciliation"].(map[string]any)
			diffs, _ := rec["differences"].([]any)
			got := map[string]bool{}
			for _, x := range diffs {
				m, _ := x.(map[string]any)
				if m["check"] == "billing" {
					got[m["account"].(string)+":"+m["owner"].(string)] = true
				}
			}
			want := []string{"receivable.principal:rb", "receivable.interest:rd"}
			for _, k := range want {
				if !got[k] {
					t.Errorf("difference %s not reported: %s", k, tb.Raw)
				}
			}
			if len(got) != len(want) {
				t.Errorf("want exactly %v, got %v", want, got)
			}
			if !strings.Contains(string(tb.Raw), `"ledger":"300.00"`) {
				t.Errorf("difference does not show the ledger side: %s", tb.Raw)
			}
		})
	}
}
