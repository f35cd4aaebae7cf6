package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runAPR(t *testing.T, input string) (stdout string, err error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cashflows.json")
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newAPRCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"--input", path})
	err = cmd.Execute()
	return out.String(), err
}

// monthly builds n payments of amount on day `day` of each month from year/month.
func monthly(year, month, day, n int, amount string) string {
	parts := make([]string, n)
	for k := range n {
		m := month - 1 + k
		parts[k] = fmt.Sprintf(`{"date": "%04d-%02d-%02d", "amount": %q}`, year+m/12, m%12+1, day, amount)
	}
	return strings.Join(parts, ", ")
}

func TestAPRCommand(t *testing.T) {
	cases := []struct{ name, input, want string }{
		{"appendix J (c)(1)(i)", `{"unit_period": "month", "advances": [{"date": "1978-01-10", "amount": "5000.00"}],
			"payments": [` + monthly(1978, 2, 10, 24, "230.00") + `]}`, `{"apr":"0.0969","apr_percent":"9.69"}`},
		{"appendix J (c)(1)(ii) long first period", `{"unit_period": "month", "advances": [{"date": "1978-02-10", "amount": "6000.00"}],
			"payments": [` + monthly(1978, 4, 1, 36, "200.00") + `]}`, `{"apr":"0.1182","apr_percent":"11.82"}`},
		{"appendix J (c)(5)(i) single", `{"unit_period": "single", "advances": [{"date": "1978-01-03", "amount": "1000.00"}],
			"payments": [{"date": "1978-09-15", "amount": "1080.00"}]}`, `{"apr":"0.1145","apr_percent":"11.45"}`},
		{"huabei 12 periods at 8.8%", `{"unit_period": "month", "advances": [{"date": "2026-11-05", "amount": "1200.00"}],
			"payments": [` + monthly(2026, 12, 5, 12, "108.80") + `]}`, `{"apr":"0.1586","apr_percent":"15.86"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runAPR(t, c.input)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(out, "\n") != 1 || strings.TrimSpace(out) != c.want {
				t.Fatalf("output %q, want one line %s", out, c.want)
			}
			var parsed map[string]string
			if err := json.Unmarshal([]byte(out), &parsed); err != nil || len(parsed) != 2 {
				t.Fatalf("output is not the two-field JSON object: %v", err)
			}
		})
	}
}

func TestAPRCommandBadInput(t *testing.T) {
	adv := `"advances": [{"date": "2026-01-10", "amount": "100.00"}]`
	pay := `"payments": [{"date": "2026-02-10", "amount": "101.00"}]`
	cases := []struct{ name, input, mention string }{
		{"not json", `{"unit_period": `, "JSON"},
		{"unknown field", `{"unit_period": "month", "extra": 1, ` + adv + `, ` + pay + `}`, "extra"},
		{"unknown unit", `{"unit_period": "fortnight", ` + adv + `, ` + pay + `}`, "unit_period"},
		{"missing unit", `{` + adv + `, ` + pay + `}`, "unit_period"},
		{"no advances", `{"unit_period": "month", ` + pay + `}`, "advances"},
		{"no payments", `{"unit_period": "month", ` + adv + `}`, "payments"},
		{"bad date", `{"unit_period": "month", ` + adv + `, "payments": [{"date": "2026-02-30", "amount": "1.00"}]}`, "payments[0].date"},
		{"float amount", `{"unit_period": "month", ` + adv + `, "payments": [{"date": "2026-02-10", "amount": 101}]}`, "JSON"},
		{"three decimals", `{"unit_period": "month", ` + adv + `, "payments": [{"date": "2026-02-10", "amount": "1.001"}]}`, "payments[0].amount"},
		{"negative advance", `{"unit_period": "month", "advances": [{"date": "2026-01-10", "amount": "-5"}], ` + pay + `}`, "advances[0].amount"},
		{"payment before advance", `{"unit_period": "month", ` + adv + `, "payments": [{"date": "2025-02-10", "amount": "101.00"}]}`, "precedes"},
		{"single with two payments", `{"unit_period": "single", ` + adv + `, "payments": [{"date": "2026-02-10", "amount": "50.00"}, {"date": "2026-03-10", "amount": "51.00"}]}`, "single"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runAPR(t, c.input)
			if err == nil {
				t.Fatalf("accepted, printed %q", out)
			}
			if out != "" {
				t.Errorf("printed %q on error", out)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %q", err, c.mention)
			}
		})
	}
	if _, err := runAPR(t, ""); err == nil {
		t.Error("empty file accepted")
	}
	cmd := newAPRCmd()
	cmd.SetArgs(nil)
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--input") {
		t.Errorf("missing --input: %v", err)
	}
}

// TestAPRCommandExitCode runs the real main in a child process: bad input exits non-zero
// with the reason on stderr, good input exits 0.
func TestAPRCommandExitCode(t *testing.T) {
	if os.Getenv("HUABEICTL_APR_CHILD") == "1" {
		os.Args = append([]string{"huabeictl", "apr"}, strings.Fields(os.Getenv("HUABEICTL_APR_ARGS"))...)
		main()
		os.Exit(0)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	_ = os.WriteFile(good, []byte(`{"unit_period": "single", "advances": [{"date": "1978-07-15", "amount": "1000.00"}], "payments": [{"date": "1978-10-15", "amount": "1050.00"}]}`), 0o600)
	_ = os.WriteFile(bad, []byte(`{"unit_period": "month", "advances": [], "payments": []}`), 0o600)
	run := func(path string) (string, string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAPRCommandExitCode$")
		cmd.Env = append(os.Environ(), "HUABEICTL_APR_CHILD=1", "HUABEICTL_APR_ARGS=--input "+path)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	out, _, err := run(good)
	if err != nil || !strings.HasPrefix(out, `{"apr":"0.2000","apr_percent":"20.00"}`+"\n") {
		t.Fatalf("good input: %v, %q", err, out)
	}
	out, stderr, err := run(bad)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("bad input exited %v, stdout %q", err, out)
	}
	if !strings.Contains(stderr, "advances") || strings.Contains(out, "apr") {
		t.Errorf("bad input: stderr %q stdout %q", stderr, out)
	}
}
