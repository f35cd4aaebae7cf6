package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data/datatest"
)

// Secret is the JWT secret test servers run with.
const Secret = "e2e-test-secret-0123456789"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary builds cmd/huabei once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		// make test builds the binary once for every test package.
		if p := os.Getenv("HUABEI_E2E_BINARY"); p != "" {
			binPath = p
			if _, err := os.Stat(p); err != nil {
				buildErr = fmt.Errorf("HUABEI_E2E_BINARY: %w", err)
			}
			return
		}
		dir, err := os.MkdirTemp("", "huabei-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "huabei")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/huabei")
		cmd.Dir = repoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build cmd/huabei: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Options choose the server's backing services.
type Options struct {
	// Engine is "sqlite" (default) or "mysql".
	Engine string
	// Redis connects the server to the test Redis.
	Redis bool
	// Env adds environment variables (KEY=VALUE), e.g. HUABEI_MODE=production.
	Env []string
	// Config is YAML written to a file and passed as HUABEI_CONFIG (replaces the
	// embedded default; include the sections you need).
	Config string
	// DataDir / MySQLDSN reuse an existing database (restart tests); empty means fresh.
	DataDir  string
	MySQLDSN string
}

// Server is a running cmd/huabei process.
type Server struct {
	URL      string
	GRPCAddr string
	DataDir  string
	MySQLDSN string
	opts     Options
	cmd      *exec.Cmd
	logs     *bytes.Buffer
	client   *http.Client
	t        testing.TB
	mu       sync.Mutex
	stopped  bool
	exited   chan struct{}
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start builds (once) and starts a server, waits for /healthz and stops it when the test
// ends. Its log is printed if the test fails.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	if o.Engine == "" {
		o.Engine = "sqlite"
	}
	s := &Server{opts: o, t: t, logs: &bytes.Buffer{}, client: &http.Client{Timeout: 60 * time.Second}}
	switch o.Engine {
	case "sqlite":
		s.DataDir = o.DataDir
		if s.DataDir == "" {
			s.DataDir = t.TempDir()
		}
	case "mysql":
		s.MySQLDSN = o.MySQLDSN
		if s.MySQLDSN == "" {
			s.MySQLDSN = datatest.NewMySQLDatabase(t)
		}
	default:
		t.Fatalf("unknown engine %q", o.Engine)
	}
	s.start(bin)
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.Logs())
		}
	})
	return s
}

func (s *Server) start(bin string) {
	t := s.t
	addr := freePort(t)
	s.GRPCAddr = freePort(t)
	s.URL = "http://" + addr
	env := append(os.Environ(),
		"HUABEI_HTTP_ADDR="+addr, "HUABEI_GRPC_ADDR="+s.GRPCAddr, "HUABEI_JWT_SECRET="+Secret,
		"HUABEI_DATA_DIR="+s.DataDir, "HUABEI_MYSQL_DSN="+s.MySQLDSN, "HUABEI_REDIS_ADDR=", "HUABEI_MODE=dev")
	if s.opts.Redis {
		env = append(env, "HUABEI_REDIS_ADDR="+datatest.RedisAddr())
	}
	if s.opts.Config != "" {
		p := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(p, []byte(s.opts.Config), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "HUABEI_CONFIG="+p)
	}
	env = append(env, s.opts.Env...)
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout = &lockedWriter{mu: &s.mu, w: s.logs}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd = cmd
	s.stopped = false
	s.exited = exited
	s.mu.Unlock()
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("server exited during start-up:\n%s", s.Logs())
		default:
		}
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server not healthy after 120s:\n%s", s.Logs())
}

// Stop terminates the server gracefully (SIGTERM).
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill terminates the server with SIGKILL (crash tests).
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, stopped, exited := s.cmd, s.stopped, s.exited
	s.stopped = true
	s.mu.Unlock()
	if cmd == nil || stopped || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// Restart starts the server again on the same database (after Stop or Kill).
func (s *Server) Restart() {
	s.t.Helper()
	s.start(Binary(s.t))
}

// Logs returns what the server printed so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Token mints a token for sub/role with the test secret.
func Token(sub string, role auth.Role) string {
	tok, err := auth.Mint(Secret, sub, role, time.Hour, time.Now())
	if err != nil {
		panic(err)
	}
	return tok
}

// Response is a decoded JSON response.
type Response struct {
	Status int
	Body   map[string]any
	Raw    []byte
	Header http.Header
}

// Str returns a top-level string field ("" if absent).
func (r Response) Str(key string) string {
	v, _ := r.Body[key].(string)
	return v
}

// Num returns a top-level number field (0 if absent).
func (r Response) Num(key string) float64 {
	v, _ := r.Body[key].(float64)
	return v
}

// Reason returns the error reason of an error response.
func (r Response) Reason() string { return r.Str("reason") }

// Call sends method path with body (marshalled to JSON unless already []byte/string)
// and token ("" for none); headers are "Key: Value" strings.
func (s *Server) Call(method, path, token string, body any, headers ...string) Response {
	s.t.Helper()
	r, err := s.TryCall(method, path, token, body, headers...)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// TryCall is Call that returns transport errors instead of failing the test (for calls
// that may race a server crash on purpose).
func (s *Server) TryCall(method, path, token string, body any, headers ...string) (Response, error) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Raw: raw, Header: resp.Header}
	_ = json.Unmarshal(raw, &out.Body)
	return out, nil
}

// Must is Call that fails the test unless the status is want.
func (s *Server) Must(want int, method, path, token string, body any, headers ...string) Response {
	s.t.Helper()
	r := s.Call(method, path, token, body, headers...)
	if r.Status != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// SetClock moves the server's test clock (now: RFC 3339 or YYYY-MM-DD).
func (s *Server) SetClock(now string) {
	s.t.Helper()
	s.Must(200, "POST", "/v1/ops/clock", Token("e2e-ops", auth.RoleOps), map[string]string{"now": now})
}

// Engines lists the engines e2e tests run on (same switch as datatest).
func Engines() []string { return datatest.Engines() }
