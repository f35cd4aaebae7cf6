package reliability

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/server"
)

// publicRoutes lists routes that are meant to be callable without a token. Empty: every
// /v1 route needs a role, and a route registered without one fails the matrix.
var publicRoutes = map[string]bool{}

// matrixVars returns the path values for a caller acting on its own resources (own) or on
// another user's or merchant's (!own).
func matrixVars(w world, role auth.Role, own bool, rnd *rand.Rand) map[string]string {
	user, pay, merchant := ownUser, w.ownPayment, ownMerchant
	if !own {
		user, pay, merchant = otherUser, w.otherPayment, otherMerchant
	}
	if role == auth.RoleOps || role == auth.RoleTreasury {
		// staff act on anybody: "own" is a real user either way
		pay = w.ownPayment
	}
	return map[string]string{
		"user_id":       user,
		"merchant_id":   merchant,
		"payment_id":    pay,
		"period":        "2026-10",
		"business_date": "2026-11-01",
		"name":          "statements",
		"plan_id":       strconv.FormatInt(rnd.Int64N(1<<53)+1, 10),
		"pool_id":       strconv.FormatInt(rnd.Int64N(1<<53)+1, 10),
		"refund_id":     strconv.FormatInt(rnd.Int64N(1<<53)+1, 10),
	}
}

// matrixRequest builds the request a caller sends: path values substituted and, when
// the request message carries a user_id outside the path, that user in the body/query.
func matrixRequest(r server.RouteInfo, vars map[string]string) (path string, body any) {
	path = fillPath(r.Path, vars, "1")
	inBody := hasField(r, "user_id")
	for _, v := range pathVars(r.Path) {
		if v == "user_id" {
			inBody = false
		}
	}
	if r.Method == "GET" || r.Method == "DELETE" {
		if inBody {
			path += "?user_id=" + url.QueryEscape(vars["user_id"])
		}
		return path, nil
	}
	// Plausible values for the fields validation insists on, so the ownership check is
	// what answers (validation runs before the handler).
	b := map[string]any{}
	if m := inputMessage(r.Operation); m != nil {
		for name, v := range map[string]any{"amount": "1.00", "terms": 3, "statement_period": "2026-10", "reason": "access matrix"} {
			if m.Fields().ByName(protoreflect.Name(name)) != nil {
				b[name] = v
			}
		}
	}
	if inBody {
		b["user_id"] = vars["user_id"]
	}
	return path, b
}

// ownsResources reports whether role's access to r depends on whose resource it is:
// shoppers on anything carrying a user_id, merchants on payments and /merchants/{merchant_id}.
func ownsResources(r server.RouteInfo, role auth.Role) bool {
	switch role {
	case auth.RoleShopper:
		return hasField(r, "user_id")
	case auth.RoleMerchant:
		for _, v := range pathVars(r.Path) {
			if v == "payment_id" || v == "merchant_id" {
				return true
			}
		}
	}
	return false
}

// TestReliabilityAccessMatrix calls every route × every role × own/other resource ×
// bad tokens on a real server and checks 401/403/allowed, never a 5xx.
func TestReliabilityAccessMatrix(t *testing.T) {
	routes := routeTable(t)
	if len(routes) < 10 {
		t.Fatalf("route table has only %d routes", len(routes))
	}
	s := e2etest.Start(t, e2etest.Options{Engine: "sqlite", Env: []string{"HUABEI_JOBS_CRON=off"}})
	w := seedWorld(t, s)
	rnd := rand.New(rand.NewPCG(10, 1))
	calls, forged, denied := 0, 0, 0
	failures := map[string]int{}
	fail := func(r server.RouteInfo, format string, args ...any) {
		key := r.Method + " " + r.Path
		failures[key]++
		if failures[key] <= 3 {
			t.Errorf("%s %s: %s", r.Method, r.Path, fmt.Sprintf(format, args...))
		}
	}
	for _, r := range routes {
		if len(r.Roles) == 0 && !publicRoutes[r.Method+" "+r.Path] {
			fail(r, "route has no roles: it would be public (operation %s)", r.Operation)
			continue
		}
		if inputMessage(r.Operation) == nil {
			t.Logf("%s %s: operation %s not in the proto registry (ownership by body not checked)", r.Method, r.Path, r.Operation)
		}
		for _, role := range auth.AllRoles {
			tok := e2etest.Token(subjectFor(role), role)
			allowed := hasRole(r.Roles, role)
			for _, own := range []bool{true, false} {
				if !own && (!allowed || !ownsResources(r, role)) {
					continue
				}
				path, body := matrixRequest(r, matrixVars(w, role, own, rnd))
				resp := s.Call(r.Method, path, tok, body)
				calls++
				switch {
				case resp.Status >= 500:
					fail(r, "%s own=%v: %d %s", role, own, resp.Status, resp.Raw)
				case !allowed:
					denied++
					if resp.Status != 403 || resp.Reason() != "FORBIDDEN" {
						fail(r, "role %s is not allowed: want 403 FORBIDDEN, got %d %s", role, resp.Status, resp.Raw)
					}
				case !own:
					denied++
					if resp.Status != 403 {
						fail(r, "%s on another's resource (%s): want 403, got %d %s", role, path, resp.Status, resp.Raw)
					}
				default:
					if resp.Status == 401 || resp.Status == 403 || resp.Status == 405 ||
						(resp.Status == 404 && resp.Str("message") == "no such route") {
						fail(r, "allowed role %s on its own resource (%s): got %d %s", role, path, resp.Status, resp.Raw)
					}
				}
			}
		}
		// Bad tokens carrying an allowed role: always 401.
		role := auth.RoleOps
		if len(r.Roles) > 0 {
			role = r.Roles[0]
		}
		path, body := matrixRequest(r, matrixVars(w, role, true, rnd))
		toks := badTokens(subjectFor(role), role)
		names := make([]string, 0, len(toks))
		for n := range toks {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			resp := s.Call(r.Method, path, toks[name], body)
			calls++
			forged++
			if resp.Status != 401 || resp.Reason() != "UNAUTHENTICATED" {
				fail(r, "%s token: want 401 UNAUTHENTICATED, got %d %s", name, resp.Status, resp.Raw)
			}
		}
	}
	t.Logf("access matrix: %d routes, %d calls (%d bad tokens, %d wrong role/other resource)", len(routes), calls, forged, denied)
	report(summaryRow{Scenario: "access matrix (" + strconv.Itoa(len(routes)) + " routes)", Operations: calls,
		Faults: fmt.Sprintf("%d bad tokens, %d wrong-role/other-resource", forged, denied)})
}
