package service_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the statement golden files in testdata/")

// goldenStatement compares a statement response with testdata/<name>.json, after
// blanking the ids that differ between runs (payment_id, plan_id). -update rewrites it.
func goldenStatement(t *testing.T, name string, raw []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	if lines, ok := v["lines"].([]any); ok {
		for _, l := range lines {
			m := l.(map[string]any)
			for _, k := range []string{"payment_id", "plan_id"} {
				if m[k] != "" {
					m[k] = "<id>"
				}
			}
		}
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update to create it)", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("statement %s differs from %s:\n got: %s\nwant: %s", name, path, got, want)
	}
}
