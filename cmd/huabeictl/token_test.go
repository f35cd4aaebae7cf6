package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestTokenCommandMintsAcceptedTokens: `huabeictl token` mints tokens the real server
// accepts under the stricter checks (exp present and within auth.max_token_ttl), and
// refuses a lifetime the server would refuse.
func TestTokenCommandMintsAcceptedTokens(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	t.Setenv("HUABEI_JWT_SECRET", e2etest.Secret)
	t.Setenv("HUABEI_CONFIG", "")
	for _, ttl := range []string{"1h", "24h"} {
		tok := strings.TrimSpace(runCtl(t, "token", "--sub", "ctl-ops", "--role", "ops", "--ttl", ttl))
		if _, err := (auth.Verifier{Secret: e2etest.Secret}).Verify(tok); err != nil {
			t.Fatalf("--ttl %s: minted token does not verify: %v", ttl, err)
		}
		if r := s.Call("GET", "/v1/ops/clock", tok, nil); r.Status != 200 {
			t.Fatalf("--ttl %s: server answered %d %s", ttl, r.Status, r.Raw)
		}
	}
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs([]string{"token", "--sub", "ctl-ops", "--role", "ops", "--ttl", "48h"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "max_token_ttl") {
		t.Fatalf("--ttl 48h: err %v, output %q; want refused naming auth.max_token_ttl", err, out.String())
	}
}
