package biz

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestAssetWAL(t *testing.T) {
	cases := []struct {
		kind Amortization
		rate string
		n    int
		want string // 4 places, hand-checked: level = Σt·x^(t-1)/Σx^(t-1), x = 1 + rate/12
	}{
		{AmortLevel, "0.12", 12, "6.6185"},
		{AmortLevel, "0.18", 24, "13.2119"},
		{AmortLevel, "0", 12, "6.5000"},
		{AmortEqualPrincipal, "0.18", 12, "6.5000"},
		{AmortEqualPrincipal, "0.10", 3, "2.0000"},
		{AmortBullet, "0.10", 6, "6.0000"},
		{AmortBullet, "0.10", 0, "1.0000"},
	}
	for _, c := range cases {
		got := AssetWAL(c.kind, d(c.rate), c.n).StringFixed(4)
		if got != c.want {
			t.Errorf("AssetWAL(%s, %s, %d) = %s, want %s", c.kind, c.rate, c.n, got, c.want)
		}
	}
}

func TestScheduledPrincipal(t *testing.T) {
	cases := []struct {
		kind  Amortization
		bal   string
		rate  string
		n     int
		first string
		last  string
	}{
		// payment 1066.19 (12000·0.01·1.01^12/(1.01^12−1) = 1066.1855 half-up); month 1 interest 120.00.
		{AmortLevel, "12000.00", "0.12", 12, "946.19", ""},
		{AmortEqualPrincipal, "100.00", "0.12", 3, "33.34", "33.33"},
		{AmortBullet, "500.00", "0.12", 4, "0.00", "500.00"},
	}
	for _, c := range cases {
		s := ScheduledPrincipal(c.kind, money.MustParse(c.bal), d(c.rate), c.n)
		if len(s) != c.n {
			t.Fatalf("%s: %d periods, want %d", c.kind, len(s), c.n)
		}
		var sum money.Amount
		for _, p := range s {
			sum += p
		}
		if sum != money.MustParse(c.bal) {
			t.Errorf("%s: schedule sums to %s, want %s", c.kind, sum, c.bal)
		}
		if s[0].String() != c.first {
			t.Errorf("%s: first = %s, want %s", c.kind, s[0], c.first)
		}
		if c.last != "" && s[c.n-1].String() != c.last {
			t.Errorf("%s: last = %s, want %s", c.kind, s[c.n-1], c.last)
		}
	}
}

func TestPoolStats(t *testing.T) {
	cases := []struct {
		name   string
		assets []AnalyticsAsset
		want   PoolStats
	}{
		{
			name: "level and equal principal",
			assets: []AnalyticsAsset{
				{AssetID: "a", ObligorID: "u1", Balance: money.Yuan(12000), AnnualRate: d("0.12"), RemainingPeriods: 12, Amortization: AmortLevel, Score: 700},
				{AssetID: "b", ObligorID: "u2", Balance: money.Yuan(6000), AnnualRate: d("0.18"), RemainingPeriods: 6, Amortization: AmortEqualPrincipal, Score: 620},
			},
			// WAC (12000·0.12 + 6000·0.18)/18000 = 0.14; WAM (12000·12 + 6000·6)/18000 = 10;
			// WAL (12000·6.618546 + 6000·3.5)/18000 = 5.579031; top obligor 12000/18000.
			want: PoolStats{AssetCount: 2, ObligorCount: 2, Balance: money.Yuan(18000), AverageBalance: money.Yuan(9000),
				WAC: d("0.14"), WAM: d("10"), WAL: d("5.5790"), TopObligorShare: d("0.6667")},
		},
		{
			name: "one obligor, bullets",
			assets: []AnalyticsAsset{
				{AssetID: "a", ObligorID: "u1", Balance: money.MustParse("100.00"), AnnualRate: d("0.10"), RemainingPeriods: 1, Amortization: AmortBullet},
				{AssetID: "b", ObligorID: "u1", Balance: money.MustParse("200.01"), AnnualRate: d("0.20"), RemainingPeriods: 4, Amortization: AmortBullet},
				{AssetID: "c", ObligorID: "u1", Balance: 0, AnnualRate: d("0.20"), RemainingPeriods: 4, Amortization: AmortBullet},
			},
			// WAC (100·0.10 + 200.01·0.20)/300.01 = 0.166668; WAM = WAL = (100·1 + 200.01·4)/300.01 = 3.000033;
			// average 300.01/2 = 150.005 → 150.01 half-up.
			want: PoolStats{AssetCount: 2, ObligorCount: 1, Balance: money.MustParse("300.01"), AverageBalance: money.MustParse("150.01"),
				WAC: d("0.1667"), WAM: d("3.0000"), WAL: d("3.0000"), TopObligorShare: d("1")},
		},
		{name: "empty", want: PoolStats{WAC: decimal.Zero, WAM: decimal.Zero, WAL: decimal.Zero, TopObligorShare: decimal.Zero}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewPoolAnalyzer()
			for _, a := range c.assets {
				p.Add(a)
			}
			got := p.Stats()
			if fmt.Sprint(got.AssetCount, got.ObligorCount, got.Balance, got.AverageBalance) !=
				fmt.Sprint(c.want.AssetCount, c.want.ObligorCount, c.want.Balance, c.want.AverageBalance) {
				t.Errorf("counts/balances = %v, want %v", got, c.want)
			}
			for _, f := range []struct {
				name      string
				got, want decimal.Decimal
			}{{"wac", got.WAC, c.want.WAC}, {"wam", got.WAM, c.want.WAM}, {"wal", got.WAL, c.want.WAL}, {"top", got.TopObligorShare, c.want.TopObligorShare}} {
				if f.got.StringFixed(4) != f.want.StringFixed(4) {
					t.Errorf("%s = %s, want %s", f.name, f.got.StringFixed(4), f.want.StringFixed(4))
				}
			}
		})
	}
}

func TestStrataSharesSumToOne(t *testing.T) {
	// Three equal balances: each exact share is 0.33333…; floors give 0.3333 ×3 = 0.9999
	// and the residue 0.0001 goes to the first bucket (ties: earlier bucket).
	p := NewPoolAnalyzer()
	for i, score := range []int{560, 610, 720} {
		p.Add(AnalyticsAsset{AssetID: fmt.Sprint(i), ObligorID: fmt.Sprint(i), Balance: money.Yuan(100), AnnualRate: d("0.1"),
			RemainingPeriods: i*6 + 1, Amortization: AmortBullet, Score: score, OriginationMonth: fmt.Sprintf("2026-0%d", i+1)})
	}
	rows := p.Strata("score")
	want := []string{"550-599:0.3334", "600-649:0.3333", "700-749:0.3333"}
	for i, r := range rows {
		if got := r.Bucket + ":" + r.Share.StringFixed(4); got != want[i] {
			t.Errorf("row %d = %s, want %s", i, got, want[i])
		}
	}
	// Many uneven buckets, every dimension: shares sum to exactly 1.
	p = NewPoolAnalyzer()
	for i := 0; i < 997; i++ {
		p.Add(AnalyticsAsset{AssetID: fmt.Sprint(i), ObligorID: fmt.Sprint(i % 37), Balance: money.Amount(1 + i*7919%100003),
			AnnualRate: d("0.15"), RemainingPeriods: i % 30, Amortization: AmortLevel, Score: 450 + i%400,
			OriginationMonth: fmt.Sprintf("2026-%02d", 1+i%12)})
	}
	for _, by := range Strata {
		sum := decimal.Zero
		count := 0
		var bal money.Amount
		for _, r := range p.Strata(by) {
			sum = sum.Add(r.Share)
			count += r.Count
			bal += r.Balance
		}
		if !sum.Equal(decimal.NewFromInt(1)) || count != 997 || bal != p.Stats().Balance {
			t.Errorf("%s: shares sum %s, count %d, balance %s", by, sum, count, bal)
		}
	}
}
