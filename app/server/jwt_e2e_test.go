package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/configs"
)

// signed signs claims with the e2e secret (HS256).
func signed(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(e2etest.Secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenStatus calls GET /v1/ops/clock over HTTP and OpsService.GetClock over gRPC with
// tok and returns the HTTP status and the gRPC code.
func tokenStatus(t *testing.T, s *e2etest.Server, conn *grpc.ClientConn, tok string) (int, codes.Code) {
	t.Helper()
	r := s.Call("GET", "/v1/ops/clock", tok, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	_, err := v1.NewOpsServiceClient(conn).GetClock(ctx, &v1.GetClockRequest{})
	return r.Status, status.Code(err)
}

func dial(t *testing.T, s *e2etest.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestTokenClaimsChecked sends tokens that are correctly signed but break one rule each,
// over HTTP and gRPC of the real binary, and expects 401 / Unauthenticated on both
// (issue 16, defect 9); a well-formed token passes.
func TestTokenClaimsChecked(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Env: []string{"HUABEI_JOBS_CRON=off"}})
	conn := dial(t, s)
	now := time.Now()
	base := func(kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "jwt-ops", "role": "ops", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	if h, g := tokenStatus(t, s, conn, signed(t, base())); h != 200 || g != codes.OK {
		t.Fatalf("well-formed token: HTTP %d, gRPC %v", h, g)
	}
	if h, g := tokenStatus(t, s, conn, signed(t, base("pad", strings.Repeat("x", 5500)))); h != 200 || g != codes.OK {
		t.Fatalf("7.5 KB token: HTTP %d, gRPC %v, want accepted", h, g)
	}
	for name, claims := range map[string]jwt.MapClaims{
		"over 8 KiB":                base("pad", strings.Repeat("x", 9000)),
		"no exp":                    base("exp", nil),
		"exp 48h ahead":             base("exp", now.Add(48*time.Hour).Unix()),
		"exp a string":              base("exp", "9999999999"),
		"iat a string":              base("iat", "1700000000"),
		"iat 10 minutes ahead":      base("iat", now.Add(10*time.Minute).Unix()),
		"nbf a string":              base("nbf", "1700000000"),
		"sub a number":              base("sub", 42),
		"expired 2 minutes ago":     base("exp", now.Add(-2*time.Minute).Unix(), "iat", now.Add(-time.Hour).Unix()),
		"role a list of strings":    base("role", []string{"ops"}),
		"exp 1 second past the max": base("exp", now.Add(24*time.Hour+2*time.Minute).Unix()),
	} {
		if h, g := tokenStatus(t, s, conn, signed(t, claims)); h != 401 || g != codes.Unauthenticated {
			t.Errorf("%s: HTTP %d, gRPC %v, want 401 / Unauthenticated", name, h, g)
		}
	}
}

// TestTokenIssuerAudience: with auth.issuer and auth.audience configured, a token must
// carry both.
func TestTokenIssuerAudience(t *testing.T) {
	cfg := strings.Replace(string(configs.Default), `issuer: ""`, `issuer: "huabei-test"`, 1)
	cfg = strings.Replace(cfg, `audience: ""`, `audience: "huabei-api"`, 1)
	cfg = strings.Replace(cfg, `max_token_ttl: 24h`, `max_token_ttl: 2h`, 1)
	s := e2etest.Start(t, e2etest.Options{Config: cfg, Env: []string{"HUABEI_JOBS_CRON=off"}})
	conn := dial(t, s)
	now := time.Now()
	claims := func(iss, aud any, ttl time.Duration) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "jwt-ops", "role": "ops", "iat": now.Unix(), "exp": now.Add(ttl).Unix()}
		if iss != nil {
			c["iss"] = iss
		}
		if aud != nil {
			c["aud"] = aud
		}
		return c
	}
	if h, g := tokenStatus(t, s, conn, signed(t, claims("huabei-test", "huabei-api", time.Hour))); h != 200 || g != codes.OK {
		t.Fatalf("matching iss/aud: HTTP %d, gRPC %v", h, g)
	}
	if h, g := tokenStatus(t, s, conn, signed(t, claims("huabei-test", []string{"other", "huabei-api"}, time.Hour))); h != 200 || g != codes.OK {
		t.Fatalf("aud list holding ours: HTTP %d, gRPC %v", h, g)
	}
	for name, c := range map[string]jwt.MapClaims{
		"no iss":           claims(nil, "huabei-api", time.Hour),
		"wrong iss":        claims("someone-else", "huabei-api", time.Hour),
		"no aud":           claims("huabei-test", nil, time.Hour),
		"wrong aud":        claims("huabei-test", "other-api", time.Hour),
		"3h over a 2h max": claims("huabei-test", "huabei-api", 3*time.Hour),
	} {
		if h, g := tokenStatus(t, s, conn, signed(t, c)); h != 401 || g != codes.Unauthenticated {
			t.Errorf("%s: HTTP %d, gRPC %v, want 401 / Unauthenticated", name, h, g)
		}
	}
}
