package app_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/conf"
)

// TestRoutesAreDocumentedAndProtected wires the whole service in process and checks the
// route table against the OpenAPI document generated from the protos (so `make api` was
// re-run after a proto changed) and that every /v1 route requires a role.
func TestRoutesAreDocumentedAndProtected(t *testing.T) {
	t.Setenv("HUABEI_DATA_DIR", t.TempDir())
	t.Setenv("HUABEI_MYSQL_DSN", "")
	t.Setenv("HUABEI_REDIS_ADDR", "")
	t.Setenv("HUABEI_JOBS_CRON", "off")
	cfg, err := conf.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, cleanup, err := app.New(context.Background(), cfg, log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError)))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	spec, err := os.ReadFile("server/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routes := a.Servers.Routes.Table()
	if len(routes) < 30 {
		t.Fatalf("only %d routes wired", len(routes))
	}
	for _, r := range routes {
		if !strings.Contains(string(spec), "\n    "+r.Path+":") {
			t.Errorf("%s %s is not in app/server/openapi.yaml: run make api", r.Method, r.Path)
		}
		if strings.HasPrefix(r.Path, "/v1/") && len(r.Roles) == 0 {
			t.Errorf("%s %s has no roles", r.Method, r.Path)
		}
	}
}
