package reliability

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
)

// Fixed identities of the matrix and fuzz runs: an own and an "other" shopper and
// merchant, so 403s for other users' resources are not masked by 404s.
const (
	ownUser       = "rel-user-own"
	otherUser     = "rel-user-other"
	ownMerchant   = "rel-merchant-own"
	otherMerchant = "rel-merchant-other"
	opsSubject    = "rel-ops"
	treasurySub   = "rel-treasury"
)

var goodProfile = map[string]any{
	"kyc_verified": true, "age": 35, "education": "master", "employment": "employed",
	"employment_months": 60, "monthly_income": "25000.00", "assets": "300000.00", "housing": "own",
	"credit_history_months": 96, "late_payments_12m": 0, "max_dpd_24m": 0,
	"outstanding_debt": "1000.00", "inquiries_6m": 0,
}

// world is the seeded state of a server: users with credit lines and payments.
type world struct {
	ownPayment, otherPayment string
}

// seedUser gives userID a credit profile and an approved line.
func seedUser(t testing.TB, s *e2etest.Server, userID string) {
	t.Helper()
	ops := e2etest.Token(opsSubject, auth.RoleOps)
	s.Must(200, "PUT", "/v1/credit/profiles/"+userID, ops, goodProfile)
	r := s.Must(200, "POST", "/v1/credit/applications", ops, map[string]any{"user_id": userID})
	if r.Str("decision") != "approved" {
		t.Fatalf("seed %s: application not approved: %s", userID, r.Raw)
	}
}

// seedWorld sets the clock, opens two lines and makes one payment per merchant.
func seedWorld(t testing.TB, s *e2etest.Server) world {
	t.Helper()
	s.SetClock("2026-11-05T10:00:00+08:00")
	seedUser(t, s, ownUser)
	seedUser(t, s, otherUser)
	var w world
	r := s.Must(200, "POST", "/v1/payments", e2etest.Token(ownMerchant, auth.RoleMerchant),
		map[string]any{"user_id": ownUser, "merchant_order_id": "seed-own", "amount": "100.00"}, "Idempotency-Key: seed-own")
	w.ownPayment = r.Str("payment_id")
	r = s.Must(200, "POST", "/v1/payments", e2etest.Token(otherMerchant, auth.RoleMerchant),
		map[string]any{"user_id": otherUser, "merchant_order_id": "seed-other", "amount": "100.00"}, "Idempotency-Key: seed-other")
	w.otherPayment = r.Str("payment_id")
	if w.ownPayment == "" || w.otherPayment == "" {
		t.Fatalf("seed payments: %s", r.Raw)
	}
	return w
}

// subjectFor is the token subject a role calls with.
func subjectFor(role auth.Role) string {
	switch role {
	case auth.RoleShopper:
		return ownUser
	case auth.RoleMerchant:
		return ownMerchant
	case auth.RoleTreasury:
		return treasurySub
	default:
		return opsSubject
	}
}

func b64(v any) string {
	js, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(js)
}

// badTokens are tokens the server must refuse with 401, whatever the route.
func badTokens(sub string, role auth.Role) map[string]string {
	now := time.Now()
	claims := map[string]any{"sub": sub, "role": string(role), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	expired, _ := auth.Mint(e2etest.Secret, sub, role, time.Minute, now.Add(-2*time.Hour))
	wrongSecret, _ := auth.Mint("a-completely-different-secret-42", sub, role, time.Hour, now)
	badRole, _ := auth.Mint(e2etest.Secret, sub, auth.Role("admin"), time.Hour, now)
	emptySub, _ := auth.Mint(e2etest.Secret, "", role, time.Hour, now)
	valid := e2etest.Token(sub, role)
	// flip one character in the middle of the signature
	i := strings.LastIndexByte(valid, '.') + 5
	flip := byte('A')
	if valid[i] == 'A' {
		flip = 'B'
	}
	wrongSig := valid[:i] + string(flip) + valid[i+1:]
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims(claims)).SignedString([]byte(e2etest.Secret))
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "role": string(role)}).SignedString([]byte(e2etest.Secret))
	return map[string]string{
		"no token":        "",
		"garbage":         "not-a-jwt",
		"expired":         expired,
		"wrong signature": wrongSig,
		"wrong secret":    wrongSecret,
		"alg none":        b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(claims) + ".",
		"alg HS512":       hs512,
		"bad role claim":  badRole,
		"empty subject":   emptySub,
		"no expiry":       noExp,
	}
}
