package biz

import (
	"reflect"
	"testing"

	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/configs"
)

// TestShippedConfigMatchesDefaults: the credit section of configs/config.yaml states the
// same policy as DefaultConfig, and scanning over the defaults keeps what a file omits.
func TestShippedConfigMatchesDefaults(t *testing.T) {
	c, err := conf.LoadBytes(configs.Default)
	if err != nil {
		t.Fatal(err)
	}
	got := DefaultConfig()
	if err := c.Scan("credit", &got); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config.yaml credit section:\n%+v\nDefaultConfig:\n%+v", got, want)
	}
	partial, err := conf.LoadBytes([]byte("server:\n  mode: dev\ncredit:\n  cutoff_score: 600\n  risk:\n    max_payments_per_hour: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	got = DefaultConfig()
	if err := partial.Scan("credit", &got); err != nil {
		t.Fatal(err)
	}
	if got.CutoffScore != 600 || got.Risk.MaxPaymentsPerHour != 5 || got.Risk.MaxPaymentsPerDay != 100 || len(got.Bands) != 7 {
		t.Fatalf("partial override: %+v", got)
	}
	if _, err := got.Policy(); err != nil {
		t.Fatal(err)
	}
}
