package service_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huabei/huabei/app/e2etest"
)

// TestStartupRejectsBadScorecard: a broken scorecard file, or one scoring fields that are
// not in the credit profile, stops start-up with a message naming the file.
func TestStartupRejectsBadScorecard(t *testing.T) {
	bin := e2etest.Binary(t)
	dir := t.TempDir()
	files := map[string]struct{ body, want string }{
		"broken.json":  {`{"base_points": 600, "features": [`, "is not usable"},
		"foreign.json": {`{"base_points":600,"base_odds":50,"pdo":20,"features":[{"name":"shoe_size","type":"numeric","bins":[{"min":null,"max":null,"points":1}],"missing":{"points":0}}]}`, `feature "shoe_size" is not a credit profile field`},
		"missing.json": {"", "is not usable"},
	}
	for name, tc := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if tc.body != "" {
				if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg := filepath.Join(dir, name+".yaml")
			yaml := "server:\n  mode: dev\ncredit:\n  scorecard_path: " + path + "\n"
			if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(os.Environ(), "HUABEI_CONFIG="+cfg, "HUABEI_DATA_DIR="+t.TempDir(), "HUABEI_MYSQL_DSN=", "HUABEI_REDIS_ADDR=",
				"HUABEI_HTTP_ADDR=127.0.0.1:0", "HUABEI_GRPC_ADDR=127.0.0.1:0", "HUABEI_MODE=dev")
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("server did not refuse to start (err %v):\n%s", err, out)
			}
			if !strings.Contains(string(out), path) || !strings.Contains(string(out), tc.want) {
				t.Fatalf("start-up message does not name %s / %q:\n%s", path, tc.want, out)
			}
		})
	}
}
