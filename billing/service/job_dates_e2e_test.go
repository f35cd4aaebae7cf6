package service_test

import (
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestJobBusinessDatesE2E is issue 15 bug 5: a job run for a business date after the
// business clock is refused with 422 BUSINESS_DATE_IN_FUTURE, statements only run on the
// statement day (422 NOT_STATEMENT_DAY), and a refused run leaves no trace: no run, no
// statement.
func TestJobBusinessDatesE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := newBWorld(t, s)
			s.SetClock("2026-11-05T10:00:00+08:00")
			w.shopper("jd")
			w.buy("jd", "300.00")
			refuse := func(name, date string, status int, reason string) {
				t.Helper()
				r := s.Call("POST", "/v1/ops/jobs/"+name+"/runs", w.ops, map[string]any{"business_date": date})
				if r.Status != status || r.Reason() != reason {
					t.Fatalf("%s %s: %d %s, want %d %s", name, date, r.Status, r.Raw, status, reason)
				}
				if g := s.Call("GET", "/v1/ops/jobs/"+name+"/runs/"+date, w.ops, nil); g.Status != 404 {
					t.Fatalf("refused run %s %s was recorded: %d %s", name, date, g.Status, g.Raw)
				}
			}
			// A December statement run in November, and March's accrual.
			refuse("statements", "2026-12-01", 422, "BUSINESS_DATE_IN_FUTURE")
			refuse("accrue", "2027-03-15", 422, "BUSINESS_DATE_IN_FUTURE")
			refuse("autopay", "2026-11-06", 422, "BUSINESS_DATE_IN_FUTURE")
			refuse("statements", "2026-11-05", 422, "NOT_STATEMENT_DAY")
			if r := s.Call("GET", "/v1/users/jd/statements/2026-12", e2etest.Token("jd", "shopper"), nil); r.Status != 404 {
				t.Fatalf("a statement was issued by a refused run: %d %s", r.Status, r.Raw)
			}
			// Today and the past still run.
			w.job("accrue", "2026-11-04")
			w.job("autopay", "2026-11-05")
			// On the statement day the run goes through and bills November.
			s.SetClock("2026-12-01T00:30:00+08:00")
			refuse("statements", "2026-12-02", 422, "BUSINESS_DATE_IN_FUTURE")
			w.job("statements", "2026-12-01")
			w.expect(w.statement("jd", "2026-12"), map[string]string{"new_purchases": "300.00"})
		})
	}
}
