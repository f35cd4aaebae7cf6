package reliability

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/server"
	"github.com/huabei/huabei/configs"
)

// full reports the full run (make test-reliability); otherwise every scenario runs a
// short, bounded form inside make test.
func full() bool { return os.Getenv("HUABEI_RELIABILITY") == "full" }

// pick returns short in the short form and long in the full form.
func pick(short, long int) int {
	if full() {
		return long
	}
	return short
}

// routeTable builds the app in process on a throwaway SQLite database and returns its
// route table: the same code the server binary runs, so a new route is covered as soon as
// it is registered.
func routeTable(t testing.TB) []server.RouteInfo {
	t.Helper()
	cfg, err := conf.LoadBytes(configs.Default)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.DataDir = t.TempDir()
	cfg.Data.MySQLDSN = ""
	cfg.Data.RedisAddr = ""
	cfg.Server.Mode = conf.ModeDev
	a, cleanup, err := app.New(context.Background(), cfg, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError)))
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	defer cleanup()
	routes := a.Servers.Routes.Table()
	sort.SliceStable(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes
}

// methodDescriptor returns the RPC of a route's operation (a gRPC full method name), or
// nil when the registry does not know it.
func methodDescriptor(operation string) protoreflect.MethodDescriptor {
	svc, method, ok := strings.Cut(strings.TrimPrefix(operation, "/"), "/")
	if !ok {
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil
	}
	return sd.Methods().ByName(protoreflect.Name(method))
}

// inputMessage returns the request message of a route's operation, or nil.
func inputMessage(operation string) protoreflect.MessageDescriptor {
	if md := methodDescriptor(operation); md != nil {
		return md.Input()
	}
	return nil
}

// hasField reports whether the route's request message has a field named name.
func hasField(r server.RouteInfo, name string) bool {
	m := inputMessage(r.Operation)
	return m != nil && m.Fields().ByName(protoreflect.Name(name)) != nil
}

// pathVars lists the {vars} of a route path.
func pathVars(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// fillPath substitutes every {var} with vals[var] (missing vars get def).
func fillPath(path string, vals map[string]string, def string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			v, ok := vals[seg[1:len(seg)-1]]
			if !ok {
				v = def
			}
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

func hasRole(roles []auth.Role, r auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// --- database checksum -----------------------------------------------------------------

// checksumExcluded are tables that legitimately change on refused requests or by
// themselves: stored idempotent responses, job bookkeeping, the migration table and the
// webhook delivery log the background relay writes.
var checksumExcluded = map[string]bool{
	"idempotency_key": true, "job_run": true, "goose_db_version": true, "webhook_delivery": true,
}

// checksumQuery is the rows of a table the checksum covers. The relay stamps outbox events
// with their delivery position in the background, so only what the business transaction
// wrote counts (a refused request that records an event still shows).
func checksumQuery(tbl string) string {
	switch tbl {
	case "app_setting":
		return "SELECT * FROM app_setting WHERE name NOT LIKE '%clock%' ORDER BY 1"
	case "outbox_event":
		return "SELECT seq, type, merchant_id, data, created_at FROM outbox_event ORDER BY seq"
	}
	return "SELECT * FROM " + tbl + " ORDER BY 1"
}

// dbChecksum hashes every row of every business table, ordered, plus the app settings
// except the test clock.
type dbChecksum struct {
	db     *sql.DB
	tables []string
}

func openChecksum(t testing.TB, s *e2etest.Server) *dbChecksum {
	t.Helper()
	var db *sql.DB
	var err error
	var q string
	if s.MySQLDSN != "" {
		db, err = sql.Open("mysql", s.MySQLDSN)
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(s.DataDir, "huabei.db")+"?mode=ro&_pragma=busy_timeout(20000)")
		q = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	}
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	c := &dbChecksum{db: db}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !checksumExcluded[strings.ToLower(name)] {
			c.tables = append(c.tables, name)
		}
	}
	sort.Strings(c.tables)
	if len(c.tables) == 0 {
		t.Fatal("checksum: no tables")
	}
	return c
}

// Sum returns the hash of the database and the per-table hashes (to name what changed).
func (c *dbChecksum) Sum(t testing.TB) (string, map[string]string) {
	t.Helper()
	all := sha256.New()
	per := map[string]string{}
	for _, tbl := range c.tables {
		q := checksumQuery(tbl)
		h := sha256.New()
		var lastErr error
		for attempt := 0; attempt < 5; attempt++ {
			h.Reset()
			lastErr = hashRows(c.db, q, h)
			if lastErr == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lastErr != nil {
			t.Fatalf("checksum %s: %v", tbl, lastErr)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		per[tbl] = sum
		fmt.Fprintf(all, "%s=%s;", tbl, sum)
	}
	return hex.EncodeToString(all.Sum(nil)), per
}

type writer interface{ Write([]byte) (int, error) }

func hashRows(db *sql.DB, q string, h writer) error {
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			fmt.Fprintf(h, "%d:%s|", len(v), v)
		}
		_, _ = h.Write([]byte{'\n'})
	}
	return rows.Err()
}

// changedTables names the tables whose hashes differ.
func changedTables(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// --- summary -----------------------------------------------------------------------------

// summaryRow is one line of the reliability summary table.
type summaryRow struct {
	Scenario   string
	Operations int
	Faults     string
	Lost       int
	Duplicated int
	Recovery   string
}

var (
	summaryMu   sync.Mutex
	summaryRows []summaryRow
)

func report(r summaryRow) {
	summaryMu.Lock()
	defer summaryMu.Unlock()
	summaryRows = append(summaryRows, r)
}

func summaryTable() string {
	summaryMu.Lock()
	defer summaryMu.Unlock()
	var b strings.Builder
	mode := "short"
	if full() {
		mode = "full"
	}
	fmt.Fprintf(&b, "Reliability summary (%s run)\n\n", mode)
	b.WriteString("| scenario | operations | faults injected | lost | duplicated | recovery time |\n")
	b.WriteString("|---|---:|---|---:|---:|---|\n")
	for _, r := range summaryRows {
		rec := r.Recovery
		if rec == "" {
			rec = "-"
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %d | %s |\n", r.Scenario, r.Operations, r.Faults, r.Lost, r.Duplicated, rec)
	}
	return b.String()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if len(summaryRows) > 0 {
		tbl := summaryTable()
		fmt.Println(tbl)
		if full() {
			_ = os.MkdirAll("testdata", 0o755)
			_ = os.WriteFile(filepath.Join("testdata", "summary.txt"), []byte(tbl), 0o644)
		}
	}
	os.Exit(code)
}

// fmtDur renders a recovery time to the millisecond.
func fmtDur(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
