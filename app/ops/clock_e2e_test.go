package ops_test

import (
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestTestClockSurvivesRestart sets the test clock in the past (and, on a second run, in
// the future), restarts the real binary on the same database and expects the business
// date to be where it was set, not today's (issue 16, defect 10); both engines.
func TestTestClockSurvivesRestart(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			ops := e2etest.Token("e2e-ops", auth.RoleOps)
			// Mid-morning in Shanghai, so the seconds a restart takes never cross midnight.
			past := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, -7, 0)
			past = time.Date(past.Year(), past.Month(), past.Day(), 10, 0, 0, 0, past.Location())
			future := time.Now().AddDate(0, 5, 0)
			future = time.Date(future.Year(), future.Month(), future.Day(), 10, 0, 0, 0, past.Location())
			for _, at := range []time.Time{past, future} {
				s.SetClock(at.Format(time.RFC3339))
				want := at.Format("2006-01-02")
				if got := s.Must(200, "GET", "/v1/ops/clock", ops, nil).Str("business_date"); got != want {
					t.Fatalf("before restart: business date %s, want %s", got, want)
				}
				s.Stop()
				s.Restart()
				r := s.Must(200, "GET", "/v1/ops/clock", ops, nil)
				if got := r.Str("business_date"); got != want {
					t.Fatalf("after restart: business date %s, want %s (clock set to %s)", got, want, at.Format(time.RFC3339))
				}
				now, err := time.Parse(time.RFC3339, r.Str("now"))
				if err != nil {
					t.Fatal(err)
				}
				// it runs on from the instant set, never back before it
				if now.Before(at) {
					t.Fatalf("after restart: now %s is before the instant set %s", now, at)
				}
			}
		})
	}
}
