package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/huabei/huabei/app/apierr"
)

func TestVerify(t *testing.T) {
	now := time.Now()
	good, _ := Mint("s3cret", "u1", RoleShopper, time.Hour, now)
	if p, err := Verify("s3cret", good); err != nil || p.Subject != "u1" || p.Role != RoleShopper {
		t.Fatalf("Verify = %v, %v", p, err)
	}
	expired, _ := Mint("s3cret", "u1", RoleShopper, time.Minute, now.Add(-time.Hour))
	wrongSecret, _ := Mint("other", "u1", RoleOps, time.Hour, now)
	badRole, _ := Mint("s3cret", "u1", Role("admin"), time.Hour, now)
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	for name, tok := range map[string]string{"expired": expired, "wrong secret": wrongSecret, "bad role": badRole, "alg none": none, "garbage": "x.y.z", "tampered": parts[0] + "." + parts[1] + "x." + parts[2]} {
		if _, err := Verify("s3cret", tok); err != apierr.ErrUnauthenticated {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestOwnership(t *testing.T) {
	shopper := WithPrincipal(context.Background(), Principal{"u1", RoleShopper})
	ops := WithPrincipal(context.Background(), Principal{"o", RoleOps})
	merchant := WithPrincipal(context.Background(), Principal{"m1", RoleMerchant})
	if CheckUser(shopper, "u1") != nil || CheckUser(shopper, "u2") == nil || CheckUser(ops, "u2") != nil || CheckUser(merchant, "u1") == nil {
		t.Fatal("CheckUser")
	}
	if CheckMerchant(merchant, "m1") != nil || CheckMerchant(merchant, "m2") == nil || CheckMerchant(ops, "m2") != nil || CheckMerchant(shopper, "m1") == nil {
		t.Fatal("CheckMerchant")
	}
}
