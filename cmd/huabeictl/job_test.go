package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/huabei/huabei/app/data/datatest"
)

// TestJobRunRefusesDates: `huabeictl job run` refuses a business date after the business
// clock (422 BUSINESS_DATE_IN_FUTURE) and statements on a day that is not the statement
// day (422 NOT_STATEMENT_DAY), on both engines, and still runs a valid date (issue 15 bug 5).
func TestJobRunRefusesDates(t *testing.T) {
	for _, engine := range datatest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Setenv("HUABEI_MODE", "dev")
			t.Setenv("HUABEI_REDIS_ADDR", "")
			t.Setenv("HUABEI_JOBS_CRON", "off")
			t.Setenv("HUABEI_DATA_DIR", t.TempDir())
			t.Setenv("HUABEI_MYSQL_DSN", "")
			if engine == "mysql" {
				t.Setenv("HUABEI_MYSQL_DSN", datatest.NewMySQLDatabase(t))
			}
			run := func(args ...string) (string, error) {
				root := newRoot()
				var out, errb bytes.Buffer
				root.SetOut(&out)
				root.SetErr(&errb)
				root.SetArgs(append([]string{"job", "run"}, args...))
				err := root.Execute()
				return out.String(), err
			}
			// The business clock here is the wall clock: 2099 is always in the future.
			if _, err := run("accrue", "--date", "2099-01-01"); err == nil || !strings.Contains(err.Error(), "BUSINESS_DATE_IN_FUTURE") {
				t.Fatalf("future date: %v", err)
			}
			if _, err := run("statements", "--date", "2026-11-17"); err == nil || !strings.Contains(err.Error(), "NOT_STATEMENT_DAY") {
				t.Fatalf("statements on the 17th: %v", err)
			}
			out, err := run("statements", "--date", "2026-11-01")
			if err != nil || !strings.Contains(out, "statements 2026-11-01: succeeded") {
				t.Fatalf("statements on the statement day: %q %v", out, err)
			}
		})
	}
}
