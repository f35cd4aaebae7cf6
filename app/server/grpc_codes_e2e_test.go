package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/configs"
	creditv1 "github.com/huabei/huabei/credit/api/v1"
)

// TestGRPCErrorCodes checks, over real gRPC against the binary, that every client error
// reaches the caller with its own gRPC code and its reason (issue 16, defect 8): before,
// a 422 arrived as Unknown, indistinguishable from a crash.
func TestGRPCErrorCodes(t *testing.T) {
	cfg := strings.Replace(string(configs.Default), "per_role: {}", "per_role: {shopper: 1}", 1)
	s := e2etest.Start(t, e2etest.Options{Config: cfg, Env: []string{"HUABEI_JOBS_CRON=off"}})
	s.SetClock("2026-11-05T10:00:00+08:00")
	ops := e2etest.Token("e2e-ops", auth.RoleOps)
	s.Must(200, "PUT", "/v1/credit/profiles/codes-alice", ops, map[string]any{
		"kyc_verified": true, "age": 28, "education": "college", "employment": "employed",
		"employment_months": 24, "monthly_income": "6000.00", "assets": "30000.00", "housing": "rent",
		"credit_history_months": 36, "late_payments_12m": 0, "max_dpd_24m": 0,
		"outstanding_debt": "20000.00", "inquiries_6m": 2,
	})
	if r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "codes-alice"}); r.Str("decision") != "approved" {
		t.Fatalf("application: %s", r.Raw)
	}

	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	withToken := func(tok string, kv ...string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, append([]string{"authorization", "Bearer " + tok}, kv...)...)
	}
	opsCtx := withToken(ops)
	credit := creditv1.NewCreditServiceClient(conn)
	clk := v1.NewOpsServiceClient(conn)

	check := func(name string, err error, want codes.Code, reason string) {
		t.Helper()
		if got := status.Code(err); got != want {
			t.Errorf("%s: code %v (%v), want %v", name, got, err, want)
			return
		}
		if got := kerrors.FromError(err).Reason; got != reason {
			t.Errorf("%s: reason %q, want %q", name, got, reason)
		}
	}

	_, err = clk.GetClock(ctx, &v1.GetClockRequest{})
	check("no token (401)", err, codes.Unauthenticated, "UNAUTHENTICATED")
	_, err = clk.GetClock(withToken(e2etest.Token("codes-alice", auth.RoleShopper)), &v1.GetClockRequest{})
	check("wrong role (403)", err, codes.PermissionDenied, "FORBIDDEN")
	_, err = clk.SetClock(opsCtx, &v1.SetClockRequest{Now: "bad"})
	check("bad input (400)", err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = credit.GetLine(opsCtx, &creditv1.GetLineRequest{UserId: "codes-nobody"})
	check("no line (404)", err, codes.NotFound, "CREDIT_LINE_NOT_FOUND")
	_, err = credit.UnfreezeLine(opsCtx, &creditv1.LineStatusRequest{UserId: "codes-alice", Reason: "test"})
	check("not frozen (409)", err, codes.Aborted, "CREDIT_LINE_NOT_FROZEN")

	keyed := withToken(ops, "idempotency-key", "codes-key-1")
	if _, err := credit.Apply(keyed, &creditv1.ApplyRequest{UserId: "codes-alice"}); err != nil {
		t.Fatalf("keyed application: %v", err)
	}
	_, err = credit.Apply(keyed, &creditv1.ApplyRequest{UserId: "codes-bob"})
	check("key reused (422)", err, codes.FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")

	// limits.per_role.shopper is 1 a second: of five calls in a row at most two fall in
	// different seconds, so at least one is refused.
	shopper := withToken(e2etest.Token("codes-alice", auth.RoleShopper))
	limited := 0
	for i := 0; i < 5; i++ {
		_, err := credit.GetLine(shopper, &creditv1.GetLineRequest{UserId: "codes-alice"})
		if err == nil {
			continue
		}
		check("rate limited (429)", err, codes.ResourceExhausted, "RATE_LIMITED")
		limited++
	}
	if limited == 0 {
		t.Errorf("five calls at 1 a second: none refused")
	}
}
