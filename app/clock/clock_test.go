package clock

import (
	"testing"
	"time"
)

func TestDateOf(t *testing.T) {
	// 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Shanghai.
	got := DateOf(time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC))
	if got.String() != "2026-12-01" {
		t.Fatalf("DateOf = %s", got)
	}
	d, _ := ParseDate("2026-12-10")
	if d.AddDays(21).String() != "2026-12-31" || d.AddDays(22).DaysSince(d) != 22 {
		t.Fatal("date arithmetic")
	}
	if FromInt(d.Int()) != d {
		t.Fatal("Int round trip")
	}
	if _, err := ParseDate("2026-13-01"); err == nil {
		t.Fatal("bad date accepted")
	}
}

func TestTestClock(t *testing.T) {
	var c Test
	target := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(target)
	if d := c.Now().Sub(target); d < 0 || d > time.Minute {
		t.Fatalf("clock off by %v", d)
	}
}
