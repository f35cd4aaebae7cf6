package service_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	v1 "github.com/huabei/huabei/credit/api/v1"
)

// TestCreditGRPC: the same service over gRPC shares the role table and validation.
func TestCreditGRPC(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{})
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := v1.NewCreditServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	as := func(sub string, role auth.Role) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2etest.Token(sub, role))
	}
	ops, grace := as("op", auth.RoleOps), as("grace", auth.RoleShopper)
	yes, age, months := true, int32(35), int32(60)
	if _, err := c.PutProfile(ops, &v1.PutProfileRequest{UserId: "grace", KycVerified: &yes, Education: "phd"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad enum over gRPC: %v", err)
	}
	if _, err := c.PutProfile(grace, &v1.PutProfileRequest{UserId: "grace", KycVerified: &yes}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("shopper writes a profile: %v", err)
	}
	if _, err := c.PutProfile(ops, &v1.PutProfileRequest{UserId: "grace", KycVerified: &yes, Age: &age, Education: "bachelor",
		Employment: "employed", EmploymentMonths: &months, MonthlyIncome: "15000.00", Housing: "own"}); err != nil {
		t.Fatal(err)
	}
	app, err := c.Apply(grace, &v1.ApplyRequest{UserId: "grace"})
	if err != nil || app.Decision != "approved" || app.Line == nil || app.Line.Limit != app.Limit {
		t.Fatalf("apply over gRPC: %v %v", app, err)
	}
	if _, err := c.GetLine(as("mallory", auth.RoleShopper), &v1.GetLineRequest{UserId: "grace"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("another shopper's line: %v", err)
	}
	line, err := c.GetLine(grace, &v1.GetLineRequest{UserId: "grace"})
	if err != nil || line.Available != app.Limit || line.Status != "active" {
		t.Fatalf("line over gRPC: %v %v", line, err)
	}
}
