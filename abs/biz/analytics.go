package biz

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// Amortization is how an asset's outstanding principal is scheduled to be repaid.
type Amortization string

const (
	// AmortLevel is an equal total payment each month at the asset's annual rate (等额本息).
	AmortLevel Amortization = "level"
	// AmortEqualPrincipal repays the same principal every month (等额本金; Huabei installments).
	AmortEqualPrincipal Amortization = "equal_principal"
	// AmortBullet repays all principal in the last remaining period (a single-payment purchase).
	AmortBullet Amortization = "bullet"
)

// ParseAmortization reads level, equal_principal or bullet.
func ParseAmortization(s string) (Amortization, bool) {
	switch a := Amortization(strings.TrimSpace(s)); a {
	case AmortLevel, AmortEqualPrincipal, AmortBullet:
		return a, true
	}
	return "", false
}

// AnalyticsAsset is the part of an asset the analytics read: one row of a loan tape or
// one frozen pool asset.
type AnalyticsAsset struct {
	AssetID          string
	ObligorID        string
	Balance          money.Amount    // outstanding principal
	AnnualRate       decimal.Decimal // fraction: 0.144 is 14.4%
	RemainingPeriods int             // months
	Amortization     Amortization
	Score            int    // 0 when unknown
	OriginationMonth string // YYYY-MM, "" when unknown
}

// PoolStats are the headline statistics of a pool or tape, already in API units.
type PoolStats struct {
	AssetCount      int
	ObligorCount    int
	Balance         money.Amount
	AverageBalance  money.Amount    // balance / count, half-up to the fen
	WAC             decimal.Decimal // balance-weighted annual rate, fraction to 4 places (half-up)
	WAM             decimal.Decimal // balance-weighted remaining months, 4 places (half-up)
	WAL             decimal.Decimal // Σ t·principal_t / Σ principal_t in months, 4 places (half-up)
	TopObligorShare decimal.Decimal // largest obligor balance / pool balance, 4 places (half-up)
}

// StratumRow is one bucket of a stratification table.
type StratumRow struct {
	Bucket  string
	Count   int
	Balance money.Amount
	Share   decimal.Decimal // balance share, 4 places; the rows of a table sum to exactly 1
}

// Strata names the stratification dimensions in API spelling.
var Strata = []string{"score", "remaining_term", "balance", "origination_month"}

// ValidStratum reports whether by is a known stratification dimension.
func ValidStratum(by string) bool {
	for _, s := range Strata {
		if s == by {
			return true
		}
	}
	return false
}

// walKey groups assets whose weighted-average life per yuan is identical, so the
// schedule is computed once per distinct (kind, rate, term) instead of once per asset:
// a book of a million assets has a few hundred distinct keys.
type walKey struct {
	kind Amortization
	rate string
	n    int
}

// PoolAnalyzer accumulates assets one at a time (no need to hold a million rows in
// memory) and produces stats and strata.
type PoolAnalyzer struct {
	count    int
	balance  money.Amount
	obligors map[string]money.Amount
	byRate   map[string]money.Amount // balance by rate text
	termBal  decimal.Decimal         // Σ balance × remaining months
	byWAL    map[walKey]money.Amount
	strata   map[string]map[string]*StratumRow
}

// NewPoolAnalyzer returns an empty analyzer.
func NewPoolAnalyzer() *PoolAnalyzer {
	p := &PoolAnalyzer{
		obligors: map[string]money.Amount{},
		byRate:   map[string]money.Amount{},
		byWAL:    map[walKey]money.Amount{},
		strata:   map[string]map[string]*StratumRow{},
	}
	for _, s := range Strata {
		p.strata[s] = map[string]*StratumRow{}
	}
	return p
}

// Add accumulates one asset. Assets with a non-positive balance are ignored.
func (p *PoolAnalyzer) Add(a AnalyticsAsset) {
	if a.Balance <= 0 {
		return
	}
	p.count++
	p.balance += a.Balance
	p.obligors[a.ObligorID] += a.Balance
	rate := a.AnnualRate.String()
	p.byRate[rate] += a.Balance
	n := a.RemainingPeriods
	if n < 1 {
		n = 1 // due now: counts as one period so WAL/WAM stay meaningful
	}
	p.termBal = p.termBal.Add(decimal.NewFromInt(int64(a.Balance)).Mul(decimal.NewFromInt(int64(n))))
	kind := a.Amortization
	if kind == "" {
		kind = AmortBullet
	}
	p.byWAL[walKey{kind, rate, n}] += a.Balance
	p.addStratum("score", ScoreBand(a.Score), a.Balance)
	p.addStratum("remaining_term", TermBand(a.RemainingPeriods), a.Balance)
	p.addStratum("balance", BalanceBand(a.Balance), a.Balance)
	m := a.OriginationMonth
	if m == "" {
		m = "unknown"
	}
	p.addStratum("origination_month", m, a.Balance)
}

func (p *PoolAnalyzer) addStratum(by, bucket string, bal money.Amount) {
	r := p.strata[by][bucket]
	if r == nil {
		r = &StratumRow{Bucket: bucket}
		p.strata[by][bucket] = r
	}
	r.Count++
	r.Balance += bal
}

// Stats returns the pool statistics. An empty pool has zero everything.
func (p *PoolAnalyzer) Stats() PoolStats {
	s := PoolStats{AssetCount: p.count, ObligorCount: len(p.obligors), Balance: p.balance,
		WAC: decimal.Zero, WAM: decimal.Zero, WAL: decimal.Zero, TopObligorShare: decimal.Zero}
	if p.count == 0 || p.balance <= 0 {
		return s
	}
	total := decimal.NewFromInt(int64(p.balance))
	s.AverageBalance = money.FromFenDecimal(total.Div(decimal.NewFromInt(int64(p.count))), money.HalfUp)

	wac := decimal.Zero
	for rate, bal := range p.byRate {
		wac = wac.Add(decimal.RequireFromString(rate).Mul(decimal.NewFromInt(int64(bal))))
	}
	s.WAC = wac.DivRound(total, 12).Round(4)
	s.WAM = p.termBal.DivRound(total, 12).Round(4)

	wal := decimal.Zero
	for k, bal := range p.byWAL {
		wal = wal.Add(AssetWAL(k.kind, decimal.RequireFromString(k.rate), k.n).Mul(decimal.NewFromInt(int64(bal))))
	}
	s.WAL = wal.DivRound(total, 12).Round(4)

	var top money.Amount
	for _, b := range p.obligors {
		if b > top {
			top = b
		}
	}
	s.TopObligorShare = decimal.NewFromInt(int64(top)).DivRound(total, 12).Round(4)
	return s
}

// Strata returns the stratification table for by (one of Strata), rows in bucket order.
// Shares are balance shares rounded to 4 places by the largest-remainder method: every
// share is first floored to 0.0001, then the leftover ten-thousandths (the rounding
// residue, at most one per row) go one each to the rows with the largest discarded
// remainders (ties: earlier bucket), so the shares always sum to exactly 1.0000.
func (p *PoolAnalyzer) Strata(by string) []StratumRow {
	m := p.strata[by]
	rows := make([]StratumRow, 0, len(m))
	for _, r := range m {
		rows = append(rows, *r)
	}
	sort.Slice(rows, func(i, j int) bool { return bucketLess(by, rows[i].Bucket, rows[j].Bucket) })
	AssignShares(rows)
	return rows
}

// AssignShares sets each row's Share to its balance share in ten-thousandths with the
// largest-remainder rule described at Strata.
func AssignShares(rows []StratumRow) {
	var total int64
	for _, r := range rows {
		total += int64(r.Balance)
	}
	if total <= 0 {
		for i := range rows {
			rows[i].Share = decimal.Zero
		}
		return
	}
	const units = 10000
	tot := decimal.NewFromInt(total)
	floors := make([]int64, len(rows))
	rems := make([]decimal.Decimal, len(rows))
	var given int64
	for i, r := range rows {
		exact := decimal.NewFromInt(int64(r.Balance)).Mul(decimal.NewFromInt(units))
		q := exact.Div(tot).Floor()
		floors[i] = q.IntPart()
		rems[i] = exact.Sub(q.Mul(tot)) // remainder numerator: compare exactly, no rounding
		given += floors[i]
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]].GreaterThan(rems[order[b]]) })
	for i := 0; given < units; i++ {
		floors[order[i%len(order)]]++
		given++
	}
	for i := range rows {
		rows[i].Share = decimal.New(floors[i], -4)
	}
}

// AssetWAL is the weighted-average life in months of one asset's scheduled principal,
// Σ t·principal_t / principal, with payments at the end of months t = 1..n. It does not
// depend on the balance, so it is computed exactly (not per fen) and shared by every
// asset with the same kind, rate and term. The monthly rate is the annual rate / 12.
func AssetWAL(kind Amortization, annualRate decimal.Decimal, n int) decimal.Decimal {
	if n < 1 {
		n = 1
	}
	switch kind {
	case AmortBullet:
		return decimal.NewFromInt(int64(n))
	case AmortEqualPrincipal:
		return decimal.NewFromInt(int64(n + 1)).Div(decimal.NewFromInt(2))
	}
	r := annualRate.Div(decimal.NewFromInt(12))
	if r.Sign() <= 0 {
		return decimal.NewFromInt(int64(n + 1)).Div(decimal.NewFromInt(2))
	}
	// Level payment: principal_t ∝ (1+r)^(t-1); WAL = Σ t(1+r)^(t-1) / Σ (1+r)^(t-1).
	one := decimal.NewFromInt(1)
	g := one.Add(r)
	pow := one
	num, den := decimal.Zero, decimal.Zero
	for t := 1; t <= n; t++ {
		num = num.Add(pow.Mul(decimal.NewFromInt(int64(t))))
		den = den.Add(pow)
		pow = pow.Mul(g).Truncate(20)
	}
	return num.DivRound(den, 16)
}

// ScheduledPrincipal splits a balance into scheduled principal by future month
// (index 0 = month 1) in whole fen: level uses the annuity payment at the annual rate
// (payment half-up, last month takes the rest), equal_principal splits evenly with the
// remainder in the first month (money.Split), bullet pays all in the last month.
func ScheduledPrincipal(kind Amortization, balance money.Amount, annualRate decimal.Decimal, n int) []money.Amount {
	if n < 1 {
		n = 1
	}
	switch kind {
	case AmortEqualPrincipal:
		return money.Split(balance, n)
	case AmortLevel:
		r := annualRate.Div(decimal.NewFromInt(12))
		if r.Sign() <= 0 {
			return money.Split(balance, n)
		}
		out := make([]money.Amount, n)
		g := decimal.NewFromInt(1).Add(r).Pow(decimal.NewFromInt(int64(n)))
		pay := money.FromFenDecimal(decimal.NewFromInt(int64(balance)).Mul(r).Mul(g).Div(g.Sub(decimal.NewFromInt(1))), money.HalfUp)
		left := balance
		for t := 0; t < n; t++ {
			interest := money.FromFenDecimal(decimal.NewFromInt(int64(left)).Mul(r), money.HalfUp)
			p := pay - interest
			if t == n-1 || p > left {
				p = left
			}
			out[t] = p
			left -= p
		}
		return out
	}
	out := make([]money.Amount, n)
	out[n-1] = balance
	return out
}

// ScoreBand buckets an obligor score (0 = unknown).
func ScoreBand(score int) string {
	switch {
	case score <= 0:
		return "unknown"
	case score < 550:
		return "<550"
	case score < 600:
		return "550-599"
	case score < 650:
		return "600-649"
	case score < 700:
		return "650-699"
	case score < 750:
		return "700-749"
	}
	return "750+"
}

var scoreOrder = []string{"<550", "550-599", "600-649", "650-699", "700-749", "750+", "unknown"}

// TermBand buckets remaining months.
func TermBand(n int) string {
	switch {
	case n <= 1:
		return "0-1"
	case n <= 3:
		return "2-3"
	case n <= 6:
		return "4-6"
	case n <= 12:
		return "7-12"
	case n <= 24:
		return "13-24"
	}
	return "25+"
}

var termOrder = []string{"0-1", "2-3", "4-6", "7-12", "13-24", "25+"}

// BalanceBand buckets an outstanding balance in yuan, lower bound inclusive.
func BalanceBand(b money.Amount) string {
	switch {
	case b < money.Yuan(500):
		return "0-500"
	case b < money.Yuan(1000):
		return "500-1000"
	case b < money.Yuan(5000):
		return "1000-5000"
	case b < money.Yuan(10000):
		return "5000-10000"
	case b < money.Yuan(50000):
		return "10000-50000"
	}
	return "50000+"
}

var balanceOrder = []string{"0-500", "500-1000", "1000-5000", "5000-10000", "10000-50000", "50000+"}

func bucketLess(by, a, b string) bool {
	var order []string
	switch by {
	case "score":
		order = scoreOrder
	case "remaining_term":
		order = termOrder
	case "balance":
		order = balanceOrder
	default: // origination_month: YYYY-MM sorts as text; "unknown" last
		if a == "unknown" || b == "unknown" {
			return b == "unknown" && a != "unknown"
		}
		return a < b
	}
	return indexOf(order, a) < indexOf(order, b)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list)
}

// FormatShare renders a fraction to 4 places ("0.1440").
func FormatShare(d decimal.Decimal) string { return d.StringFixed(4) }

// String summarizes stats for logs.
func (s PoolStats) String() string {
	return fmt.Sprintf("count=%d obligors=%d balance=%s wac=%s wam=%s wal=%s", s.AssetCount, s.ObligorCount,
		s.Balance, s.WAC.StringFixed(4), s.WAM.StringFixed(4), s.WAL.StringFixed(4))
}
