package biz

import (
	"testing"

	"github.com/huabei/huabei/app/money"
)

func TestReviewedLimit(t *testing.T) {
	policy := LimitPolicy{MinLimit: money.Yuan(500), MaxLimit: money.Yuan(50000)}
	p := DefaultReviewPolicy()
	cases := []struct {
		name  string
		limit money.Amount
		used  money.Amount
		st    Standing
		want  money.Amount
		ok    bool
	}{
		{"past due cuts 20% down to 100", money.Yuan(5050), money.Yuan(3999), Standing{DaysPastDue: 3}, money.Yuan(4000), true},
		{"cut never below the credit in use, rounded up", money.Yuan(5000), money.MustParse("4000.01"), Standing{DaysPastDue: 3}, money.Yuan(4100), true},
		{"usage at the limit: the cut changes nothing", money.Yuan(900), money.Yuan(900), Standing{DaysPastDue: 3}, money.Yuan(900), false},
		{"usage over the limit never raises it", money.Yuan(900), money.Yuan(1700), Standing{DaysPastDue: 3}, money.Yuan(900), false},
		{"cut never below the minimum", money.Yuan(600), 0, Standing{DaysPastDue: 40}, money.Yuan(500), true},
		{"three on time raise 10%", money.Yuan(5000), 0, Standing{StatementsDue: 3, PaidOnTime: 3}, money.Yuan(5500), true},
		{"raise capped at the maximum", money.Yuan(49000), 0, Standing{StatementsDue: 6, PaidOnTime: 6}, money.Yuan(50000), true},
		{"one late statement: no raise", money.Yuan(5000), 0, Standing{StatementsDue: 3, PaidOnTime: 2}, money.Yuan(5000), false},
		{"too short a record: no change", money.Yuan(5000), 0, Standing{StatementsDue: 2, PaidOnTime: 2}, money.Yuan(5000), false},
		{"at the maximum already", money.Yuan(50000), 0, Standing{StatementsDue: 3, PaidOnTime: 3}, money.Yuan(50000), false},
	}
	for _, c := range cases {
		got, reason, ok, err := p.ReviewedLimit(c.limit, c.used, c.st, policy)
		if err != nil || got != c.want || ok != c.ok || (ok && reason == "") {
			t.Errorf("%s: got %v %q %v %v, want %v %v", c.name, got, reason, ok, err, c.want, c.ok)
		}
	}
}
