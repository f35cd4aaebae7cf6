package field

import (
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/errors"
)

func TestAmount(t *testing.T) {
	for in, want := range map[string]string{
		"":      "amount: is required",
		"1.234": "amount: at most 2 decimal places",
		"-1":    "amount: must not be negative",
		"0":     "amount: must be greater than 0",
		"abc":   "amount: must be a decimal amount",
		"1e99":  "amount: must be a decimal amount",
	} {
		_, err := Amount("amount", in)
		e := errors.FromError(err)
		if e == nil || e.Code != 400 || !strings.HasPrefix(e.Message, want) || e.Metadata["field"] != "amount" {
			t.Errorf("Amount(%q) = %v, want 400 %q", in, err, want)
		}
	}
	if a, err := Amount("amount", "199.00"); err != nil || a != 19900 {
		t.Fatalf("Amount = %v, %v", a, err)
	}
}

func TestOthers(t *testing.T) {
	if _, err := ID("payment_id", "x1"); err == nil {
		t.Error("bad id accepted")
	}
	if _, err := UserID("user_id", "u 1"); err == nil {
		t.Error("user id with space accepted")
	}
	if _, err := UserID("user_id", "u-1_a.b"); err != nil {
		t.Error(err)
	}
	if _, err := Period("period", "2026-13"); err == nil {
		t.Error("bad period accepted")
	}
	if d, err := Period("period", "2026-12"); err != nil || d.String() != "2026-12-01" {
		t.Error("period", d, err)
	}
	if _, err := Enum("target", "x", "due", "all"); err == nil {
		t.Error("bad enum accepted")
	}
	if _, err := Text("description", "\xff", 10); err == nil {
		t.Error("invalid utf-8 accepted")
	}
}
