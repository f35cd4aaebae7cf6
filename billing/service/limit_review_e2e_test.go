package service_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/huabei/huabei/app/e2etest"
)

// TestLimitReviewE2E: the monthly limit review raises the limit of a shopper who paid
// three statements on time, cuts the limit of one who is past due, records both changes
// with their reasons, never cuts a line below the credit in use (a past-due shopper using
// 900.00 of 1,000.00 keeps 900.00, not 800.00), and a repeat of the run for the same date changes nothing.
func TestLimitReviewE2E(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	w := newBWorld(t, s)
	s.SetClock("2026-11-05T10:00:00+08:00")
	w.shopper("good")
	w.shopper("late")
	w.shopper("deep")
	limit := func(u string) string {
		return s.Must(200, "GET", "/v1/credit/lines/"+u, w.ops, nil).Str("limit")
	}
	for _, u := range []string{"good", "late"} {
		s.Must(200, "POST", "/v1/credit/lines/"+u+"/adjustments", w.ops, map[string]any{"limit": "5000.00", "reason": "start of the test"})
	}
	s.Must(200, "POST", "/v1/credit/lines/deep/adjustments", w.ops, map[string]any{"limit": "1000.00", "reason": "start of the test"})
	w.buy("late", "300.00")
	w.buy("deep", "900.00")
	for i, month := range []string{"2026-11", "2026-12", "2027-01"} {
		s.SetClock(month + "-06T10:00:00+08:00")
		w.buy("good", "100.00")
		next := []string{"2026-12", "2027-01", "2027-02"}[i]
		s.SetClock(next + "-01T00:30:00+08:00")
		w.job("statements", next+"-01")
		s.SetClock(next + "-05T10:00:00+08:00")
		w.repay("good", "100.00", fmt.Sprintf("good-%d", i))
		if i == 0 {
			s.SetClock("2026-12-15T10:00:00+08:00") // accrual runs for days already ended
			// late never pays: 4 days past due
			for d := 11; d <= 14; d++ {
				w.job("accrue", fmt.Sprintf("2026-12-%02d", d))
			}
		}
	}
	s.SetClock("2027-02-12T10:00:00+08:00")
	w.job("limit_review", "2027-02-12")
	if got := limit("good"); got != "5500.00" {
		t.Fatalf("good shopper's limit = %s, want 5500.00 (raised 10%%)", got)
	}
	if got := limit("late"); got != "4000.00" {
		t.Fatalf("late shopper's limit = %s, want 4000.00 (cut 20%%)", got)
	}
	if got := limit("deep"); got != "900.00" {
		t.Fatalf("deep shopper's limit = %s, want 900.00 (cut 20%% but not below the 900.00 in use)", got)
	}
	if got := s.Must(200, "GET", "/v1/credit/lines/deep", w.ops, nil).Str("available"); got != "0.00" {
		t.Fatalf("deep shopper's available = %s after the cut, want 0.00", got)
	}
	ev := s.Must(200, "GET", "/v1/credit/lines/late/events", w.ops, nil)
	if !strings.Contains(string(ev.Raw), "days past due") {
		t.Fatalf("cut not audited: %s", ev.Raw)
	}
	if ev := s.Must(200, "GET", "/v1/credit/lines/deep/events", w.ops, nil); !strings.Contains(string(ev.Raw), "in use") {
		t.Fatalf("floored cut not audited with its reason: %s", ev.Raw)
	}
	after := limit("good")
	w.job("limit_review", "2027-02-12") // a completed run is not repeated
	if limit("good") != after {
		t.Fatal("a repeated review changed the limit again")
	}
}
