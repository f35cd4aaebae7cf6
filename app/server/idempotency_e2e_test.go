package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/e2etest"
)

// TestIdempotencyKeyE2E shows the Idempotency-Key contract through a real money-moving
// POST: replay returns the stored payment, another body under the same key is a 422, and
// a key whose first request is still in flight (its lock held in Redis) is a 409.
func TestIdempotencyKeyE2E(t *testing.T) {
	s := e2etest.Start(t, e2etest.Options{Redis: true})
	ops := e2etest.Token("op1", auth.RoleOps)
	merchant := e2etest.Token("m-idem", auth.RoleMerchant)
	s.Must(200, "PUT", "/v1/credit/profiles/u-idem", ops, map[string]any{
		"kyc_verified": true, "age": 35, "education": "master", "employment": "employed", "employment_months": 120,
		"monthly_income": "30000.00", "assets": "500000.00", "housing": "own", "credit_history_months": 120,
		"late_payments_12m": 0, "max_dpd_24m": 0, "outstanding_debt": "0.00", "inquiries_6m": 0,
	})
	if r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": "u-idem"}); r.Str("decision") != "approved" {
		t.Fatalf("application: %s", r.Raw)
	}
	body := map[string]any{"user_id": "u-idem", "merchant_order_id": "o-1", "amount": "100.00"}
	first := s.Must(200, "POST", "/v1/payments", merchant, body, "Idempotency-Key: key-1")
	replay := s.Must(200, "POST", "/v1/payments", merchant, body, "Idempotency-Key: key-1")
	if first.Str("payment_id") == "" || replay.Str("payment_id") != first.Str("payment_id") || string(replay.Raw) != string(first.Raw) {
		t.Fatalf("replay differs:\n%s\n%s", first.Raw, replay.Raw)
	}
	other := map[string]any{"user_id": "u-idem", "merchant_order_id": "o-2", "amount": "100.00"}
	if r := s.Call("POST", "/v1/payments", merchant, other, "Idempotency-Key: key-1"); r.Status != 422 || r.Reason() != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("same key, other body: %d %s", r.Status, r.Raw)
	}

	// Hold the in-flight marker the way a first request does, then send the second.
	rdb := redis.NewClient(&redis.Options{Addr: datatest.RedisAddr()})
	defer rdb.Close()
	scope := "/huabei.billing.v1.PaymentService/CreatePayment|merchant:m-idem"
	if len(scope) > 64 {
		h := sha256.Sum256([]byte(scope))
		scope = hex.EncodeToString(h[:])[:64]
	}
	lockKey := "huabei:lock:idem:" + scope + ":key-2"
	if err := rdb.Set(context.Background(), lockKey, "held-by-test", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if r := s.Call("POST", "/v1/payments", merchant, other, "Idempotency-Key: key-2"); r.Status != 409 || r.Reason() != "IDEMPOTENCY_KEY_IN_FLIGHT" {
		t.Fatalf("in flight: %d %s", r.Status, r.Raw)
	}
	rdb.Del(context.Background(), lockKey)
	if r := s.Must(200, "POST", "/v1/payments", merchant, other, "Idempotency-Key: key-2"); r.Str("payment_id") == first.Str("payment_id") {
		t.Fatalf("second payment reused the first: %s", r.Raw)
	}
	// Nothing was held twice: two payments of 100.00.
	if r := s.Must(200, "GET", "/v1/credit/lines/u-idem", ops, nil); r.Str("held") != "200.00" {
		t.Fatalf("held = %s, want 200.00: %s", r.Str("held"), r.Raw)
	}
}
