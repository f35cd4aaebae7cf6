package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/app/server"
)

// fuzzRequest builds one hostile request for route r.
type fuzzRequest struct {
	method, path, desc string
	body               any
	headers            []string
}

func makeFuzzRequest(r server.RouteInfo, vars map[string]string, rnd *rand.Rand) fuzzRequest {
	md := inputMessage(r.Operation)
	path := fillPath(r.Path, vars, "1")
	q := fuzzRequest{method: r.Method, path: path}
	var obj map[string]any
	if md != nil {
		obj = plausibleObject(md, vars, rnd, 0)
	} else {
		obj = map[string]any{}
	}
	// Path variables bind over body fields: drop them from the body.
	for _, v := range pathVars(r.Path) {
		delete(obj, v)
	}
	strategy := rnd.IntN(10)
	switch {
	case strategy < 5 && md != nil && md.Fields().Len() > 0:
		// one field hostile, the rest plausible
		fd := md.Fields().Get(rnd.IntN(md.Fields().Len()))
		v := hostile(fd, rnd)
		obj[string(fd.Name())] = v
		q.desc = fmt.Sprintf("field %s=%.60v", fd.Name(), v)
		if fd.Kind() == protoreflect.MessageKind && rnd.IntN(2) == 0 {
			// or one nested field hostile
			sub := plausibleObject(fd.Message(), vars, rnd, 1)
			if fd.Message().Fields().Len() > 0 {
				nf := fd.Message().Fields().Get(rnd.IntN(fd.Message().Fields().Len()))
				sub[string(nf.Name())] = hostile(nf, rnd)
				q.desc = fmt.Sprintf("field %s.%s", fd.Name(), nf.Name())
			}
			obj[string(fd.Name())] = sub
		}
		for _, pv := range pathVars(r.Path) {
			if pv == string(fd.Name()) && r.Method != "GET" {
				// a path variable: mutate the path instead
				q.path = fillPath(r.Path, mapWith(vars, pv, badPathSegments[rnd.IntN(len(badPathSegments))]), "1")
				q.desc = "path " + q.path
			}
		}
	case strategy < 7 && len(pathVars(r.Path)) > 0:
		pv := pathVars(r.Path)[rnd.IntN(len(pathVars(r.Path)))]
		q.path = fillPath(r.Path, mapWith(vars, pv, badPathSegments[rnd.IntN(len(badPathSegments))]), "1")
		q.desc = "path " + q.path
	case strategy < 8:
		// unknown fields and wrong nesting beside plausible ones
		obj["unknown_"+strconv.Itoa(rnd.IntN(100))] = badStrings[rnd.IntN(len(badStrings))]
		obj["amount_cents"] = -1
		q.desc = "unknown fields"
	case strategy < 9 && r.Method != "GET":
		b := badBodies[rnd.IntN(len(badBodies))]
		if rnd.IntN(8) == 0 {
			b = `{"x":"` + strings.Repeat("a", 2<<20) + `"}` // over the 1 MiB body limit
		}
		q.body = b
		q.desc = fmt.Sprintf("raw body %.40q", b)
	default:
		// hostile Idempotency-Key and headers with a plausible body
		keys := []string{strings.Repeat("k", 5000), "用户🙂", "", "a b c", "\t", strconv.Itoa(rnd.IntN(1e9))}
		q.headers = []string{"Idempotency-Key: " + keys[rnd.IntN(len(keys))], "Content-Type: text/plain"}
		q.desc = "headers"
	}
	if q.body == nil {
		if r.Method == "GET" || r.Method == "DELETE" {
			v := url.Values{}
			for k, x := range obj {
				v.Set(k, fmt.Sprint(x))
			}
			if len(v) > 0 {
				q.path += "?" + v.Encode()
			}
		} else {
			js, err := json.Marshal(obj)
			if err != nil {
				js = []byte("{}")
			}
			q.body = js
		}
	}
	return q
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// TestReliabilityHTTPFuzz sends random and boundary requests to every route with a
// valid token of an allowed role: never a 5xx, and a refused request changes nothing
// (database checksum before/after every request).
func TestReliabilityHTTPFuzz(t *testing.T) {
	routes := routeTable(t)
	engines := []string{"sqlite"}
	if full() {
		engines = e2etest.Engines()
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine, Env: []string{"HUABEI_JOBS_CRON=off"}})
			w := seedWorld(t, s)
			sum := openChecksum(t, s)
			before, beforeTables := sum.Sum(t)
			rnd := rand.New(rand.NewPCG(20261123, 10))
			perRoute := pick(8, 60)
			calls, refused, accepted, fiveXX, changed, wrote := 0, 0, 0, 0, 0, 0
			for _, r := range routes {
				if len(r.Roles) == 0 {
					continue
				}
				role := r.Roles[rnd.IntN(len(r.Roles))]
				tok := e2etest.Token(subjectFor(role), role)
				vars := matrixVars(w, role, true, rnd)
				for i := 0; i < perRoute; i++ {
					q := makeFuzzRequest(r, vars, rnd)
					resp := s.Call(q.method, q.path, tok, q.body, q.headers...)
					calls++
					after, afterTables := sum.Sum(t)
					switch {
					case resp.Status >= 500:
						fiveXX++
						t.Errorf("%s %s (%s): %d %s", q.method, q.path, q.desc, resp.Status, resp.Raw)
					case resp.Status >= 400:
						refused++
						if after != before {
							changed++
							t.Errorf("%s %s (%s): refused with %d but changed tables %v", q.method, q.path, q.desc, resp.Status, changedTables(beforeTables, afterTables))
						}
					default:
						accepted++
						if after != before {
							wrote++ // the checksum sees accepted writes
						}
					}
					before, beforeTables = after, afterTables
				}
			}
			t.Logf("http fuzz %s: %d requests: %d refused (4xx), %d accepted, %d 5xx, %d refused-but-changed (%d accepted requests wrote)", engine, calls, refused, accepted, fiveXX, changed, wrote)
			report(summaryRow{Scenario: "HTTP fuzz, every route (" + engine + ")", Operations: calls,
				Faults: fmt.Sprintf("%d hostile requests refused, %d 5xx, %d state changes on refusal", refused, fiveXX, changed)})
		})
	}
}
