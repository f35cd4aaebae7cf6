package server_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// TestGRPC calls the same service over gRPC: the bearer token travels as metadata and
// the role table is shared with HTTP.
func TestGRPC(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{})
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := v1.NewOpsServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := client.GetClock(ctx, &v1.GetClockRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v", err)
	}
	shopper := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2etest.Token("u1", auth.RoleShopper))
	if _, err := client.GetClock(shopper, &v1.GetClockRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("shopper: %v", err)
	}
	ops := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2etest.Token("op", auth.RoleOps))
	r, err := client.SetClock(ops, &v1.SetClockRequest{Now: "2027-05-01"})
	if err != nil || r.BusinessDate != "2027-05-01" {
		t.Fatalf("SetClock over gRPC = %v, %v", r, err)
	}
	if _, err := client.SetClock(ops, &v1.SetClockRequest{Now: "bad"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad value: %v", err)
	}
}
