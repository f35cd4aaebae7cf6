package simulation_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/simulation"
)

// run simulates 30 shoppers for two months against a fresh in-process server.
func run(t *testing.T, engine string, n int) *simulation.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := simulation.ServerOptions{DataDir: filepath.Join(t.TempDir(), "var"), OpeningCapital: simulation.DefaultCapital(30)}
	if engine == "mysql" {
		o.MySQLDSN = datatest.NewMySQLDatabase(t)
	}
	var logs bytes.Buffer
	o.Log = &logs
	srv, err := simulation.StartServer(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rep, err := simulation.Run(ctx, simulation.NewClient(srv.URL, srv.Secret), simulation.Options{Users: 30, Months: 2, Seed: 7, Workers: 4, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	if t.Failed() || !rep.Passed() {
		var b strings.Builder
		rep.Print(&b)
		t.Logf("run %d report:\n%s", n, b.String())
	}
	return rep
}

// TestSimulation runs the same small simulation twice per engine: every invariant passes
// (trial balance, reconciliation, no line over its limit), the run did business (approvals,
// purchases, repayments, statements), and the same seed gives the same report.
func TestSimulation(t *testing.T) {
	t.Setenv("HUABEI_JOBS_CRON", "off")
	for _, engine := range datatest.Engines() {
		t.Run(engine, func(t *testing.T) {
			a := run(t, engine, 1)
			for _, c := range a.Invariants {
				if !c.Pass {
					t.Errorf("invariant %q failed: %s", c.Name, c.Detail)
				}
			}
			if len(a.Invariants) != 3 {
				t.Errorf("want 3 invariants, got %+v", a.Invariants)
			}
			if a.Apps.Approved == 0 || a.Orig.Authorized == 0 || a.Repay.Count == 0 || len(a.Monthly) != 2 {
				t.Errorf("simulation did no business: approved %d, authorized %d, repayments %d, months %d",
					a.Apps.Approved, a.Orig.Authorized, a.Repay.Count, len(a.Monthly))
			}
			if len(a.Errors) > 0 {
				t.Errorf("unexpected API errors: %v", a.Errors)
			}
			b := run(t, engine, 2)
			ja, _ := a.JSON()
			jb, _ := b.JSON()
			if !bytes.Equal(ja, jb) {
				t.Errorf("same seed, different reports:\n%s\n---\n%s", diffLines(string(ja), string(jb)), "")
			}
		})
	}
}

func diffLines(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
		if len(out) > 40 {
			break
		}
	}
	return strings.Join(out, "\n")
}
