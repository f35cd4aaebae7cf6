package reliability

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// burst fires n concurrent requests and returns the count per status; out[0] is the
// number of one-second rate windows the burst may have touched.
func burst(t *testing.T, s *e2etest.Server, n int, method, path, token string) map[int]int {
	t.Helper()
	c := newLiveClient(s)
	var mu sync.Mutex
	out := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, raw, err := c.do(method, path, token, nil, "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out[-1]++
				return
			}
			if status == 429 && !strings.Contains(string(raw), "RATE_LIMITED") {
				out[-429]++ // a 429 without the stable reason
			}
			out[status]++
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	out[0] = int(time.Since(began).Seconds()) + 2
	return out
}

// TestReliabilityAbuse checks the per-caller rate limits (429 RATE_LIMITED, per user
// and per merchant, configured in limits:) and the request body limit (413).
func TestReliabilityAbuse(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Engine: "sqlite", Env: []string{"HUABEI_JOBS_CRON=off"},
		Config: relaxedConfig("limits:\n  requests_per_second: 0\n  per_role: {shopper: 5, merchant: 10}\n")})
	w := seedWorld(t, s)
	shopper := e2etest.Token(ownUser, auth.RoleShopper)
	merchant := e2etest.Token(ownMerchant, auth.RoleMerchant)
	ops := e2etest.Token(opsSubject, auth.RoleOps)
	n := 40
	got := burst(t, s, n, "GET", "/v1/credit/lines/"+ownUser, shopper)
	if got[429] == 0 || got[-429] > 0 || got[200] == 0 || got[200] > 5*got[0] || got[-1] > 0 {
		t.Errorf("shopper burst of %d at 5/s: %v (want some 200s, the rest 429 RATE_LIMITED)", n, got)
	}
	limited := got[429]
	// Another user is not affected by the first one's burst (limits are per caller).
	if r := s.Call("GET", "/v1/credit/lines/"+otherUser, e2etest.Token(otherUser, auth.RoleShopper), nil); r.Status != 200 {
		t.Errorf("other shopper after the burst: %d %s", r.Status, r.Raw)
	}
	got = burst(t, s, n, "GET", "/v1/payments/"+w.ownPayment, merchant)
	if got[429] == 0 || got[-429] > 0 || got[200] == 0 || got[200] > 10*got[0] || got[-1] > 0 {
		t.Errorf("merchant burst of %d at 10/s: %v", n, got)
	}
	limited += got[429]
	// ops has no limit configured here.
	if got := burst(t, s, n, "GET", "/v1/credit/lines/"+ownUser, ops); got[200] != n {
		t.Errorf("ops burst without a limit: %v", got)
	}

	// Body limit: declared length and chunked bodies over 1 MiB are refused with 413.
	big := `{"now":"` + strings.Repeat("x", 2<<20) + `"}`
	if r := s.Call("POST", "/v1/ops/clock", ops, big); r.Status != 413 || r.Reason() != "BODY_TOO_LARGE" {
		t.Errorf("oversized body: %d %.200s", r.Status, r.Raw)
	}
	req, _ := http.NewRequest("POST", s.URL+"/v1/credit/lines/"+ownUser+"/adjustments", io.MultiReader(strings.NewReader(`{"reason":"`), bytes.NewReader(bytes.Repeat([]byte("y"), 3<<20)), strings.NewReader(`"}`)))
	req.Header.Set("Authorization", "Bearer "+ops)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked oversized body: %d %.200s", resp.StatusCode, body)
	}
	report(summaryRow{Scenario: "abuse: per-user/per-merchant rate limit, body limit", Operations: 3*n + 2,
		Faults: fmt.Sprintf("%d × 429 RATE_LIMITED, 2 × 413 BODY_TOO_LARGE", limited)})
}
