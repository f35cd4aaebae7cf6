package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// newMessage returns an empty message of md (the generated type when registered).
func newMessage(md protoreflect.MessageDescriptor) protoreflect.ProtoMessage {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

// TestReliabilityAccessMatrixGRPC calls every operation of the route table over gRPC
// (the same role table guards both transports): bad tokens → Unauthenticated, roles not
// allowed → PermissionDenied, allowed roles never Unauthenticated/PermissionDenied on
// their own resources, and never Internal.
func TestReliabilityAccessMatrixGRPC(t *testing.T) {
	routes := routeTable(t)
	s := e2etest.Start(t, e2etest.Options{Engine: "sqlite", Env: []string{"HUABEI_JOBS_CRON=off"}})
	w := seedWorld(t, s)
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rnd := rand.New(rand.NewPCG(11, 1))
	calls, denied, forged := 0, 0, 0
	seen := map[string]bool{}
	for _, r := range routes {
		if seen[r.Operation] || len(r.Roles) == 0 {
			continue
		}
		seen[r.Operation] = true
		method := methodDescriptor(r.Operation)
		if method == nil {
			t.Errorf("%s: not in the proto registry", r.Operation)
			continue
		}
		md, out := method.Input(), method.Output()
		invoke := func(token string, role auth.Role) error {
			in := newMessage(md)
			set := func(name, v string) {
				if fd := md.Fields().ByName(protoreflect.Name(name)); fd != nil && fd.Kind() == protoreflect.StringKind && !fd.IsList() {
					in.ProtoReflect().Set(fd, protoreflect.ValueOfString(v))
				}
			}
			for k, v := range matrixVars(w, role, true, rnd) {
				set(k, v)
			}
			set("amount", "1.00")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if token != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
			}
			calls++
			return conn.Invoke(ctx, r.Operation, in, newMessage(out))
		}
		for _, role := range auth.AllRoles {
			err := invoke(e2etest.Token(subjectFor(role), role), role)
			code := status.Code(err)
			switch {
			case code == codes.Internal || code == codes.Unknown:
				t.Errorf("%s as %s: %v", r.Operation, role, err)
			case !hasRole(r.Roles, role):
				denied++
				if code != codes.PermissionDenied {
					t.Errorf("%s as %s (not allowed): want PermissionDenied, got %v", r.Operation, role, err)
				}
			case code == codes.PermissionDenied || code == codes.Unauthenticated:
				t.Errorf("%s as allowed role %s: %v", r.Operation, role, err)
			}
		}
		role := r.Roles[0]
		toks := badTokens(subjectFor(role), role)
		names := make([]string, 0, len(toks))
		for n := range toks {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			forged++
			if err := invoke(toks[name], role); status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s with %s token: want Unauthenticated, got %v", r.Operation, name, err)
			}
		}
	}
	t.Logf("gRPC access matrix: %d operations, %d calls", len(seen), calls)
	report(summaryRow{Scenario: fmt.Sprintf("access matrix over gRPC (%d operations)", len(seen)), Operations: calls,
		Faults: fmt.Sprintf("%d bad tokens, %d wrong-role", forged, denied)})
}
