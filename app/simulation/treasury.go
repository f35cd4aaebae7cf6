package simulation

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

type poolState struct {
	row         PoolRow
	transferred bool
	buybacks    money.Amount
	revolving   money.Amount
	revolveOff  bool
}

type poolReply struct {
	PoolID string `json:"pool_id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Cutoff string `json:"cutoff_date"`
	Stats  struct {
		AssetCount   int    `json:"asset_count"`
		ObligorCount int    `json:"obligor_count"`
		Balance      string `json:"balance"`
		WAC          string `json:"wac"`
		WAL          string `json:"wal"`
	} `json:"stats"`
}

// treasury: on the 15th of the 2nd, 5th, 8th... month a pool of current assets is cut and
// sold to an SPV at 98.50% of par; on the 20th defaulted assets (>90 DPD) are bought back
// from every sold pool; with Options.Revolving, on the 25th collections buy new assets
// during a two-month revolving period. Revolving purchases take eligible assets in
// capture-date-then-id order until the collections run out, and ids are assigned in the
// order concurrent requests arrive, so revolving makes the report vary between runs.
func (s *Simulator) treasury(ctx context.Context, day int) {
	if s.missing("pools") {
		return
	}
	d := s.dateOf(day)
	dom := d.Start().Day()
	mi := monthsBetween(s.start, d)
	switch {
	case dom == 15 && mi%3 == 1:
		s.sellPool(ctx, d, mi)
	case dom == 20:
		for _, p := range s.poolStates {
			if !p.transferred {
				continue
			}
			var out struct {
				AssetCount int    `json:"asset_count"`
				Amount     string `json:"amount"`
			}
			err := s.c.Do(ctx, "POST", "/v1/abs/pools/"+q(p.row.id)+"/buybacks", auth.RoleTreasury, "sim-treasury",
				map[string]any{"reason": "defaulted"}, fmt.Sprintf("%s-%s-buyback", p.row.Name, d), &out)
			if err != nil {
				s.recordErr(err)
				continue
			}
			p.buybacks += amt(out.Amount)
		}
	case dom == 25 && s.o.Revolving:
		for _, p := range s.poolStates {
			if !p.transferred || p.revolveOff {
				continue
			}
			var out struct {
				AssetCount int    `json:"asset_count"`
				Balance    string `json:"balance"`
			}
			err := s.c.Do(ctx, "POST", "/v1/abs/pools/"+q(p.row.id)+"/revolving-purchases", auth.RoleTreasury, "sim-treasury",
				map[string]any{"as_of": d.String()}, fmt.Sprintf("%s-%s-revolve", p.row.Name, d), &out)
			if err != nil {
				// The revolving period has ended (or revolving is refused): stop asking.
				p.revolveOff = true
				s.rep.note("pool %s: revolving purchases stopped on %s (%s)", p.row.Name, d, Reason(err))
				continue
			}
			p.revolving += amt(out.Balance)
		}
	}
}

func (s *Simulator) sellPool(ctx context.Context, d clock.Date, mi int) {
	name := fmt.Sprintf("%s-pool-%s", s.prefix, d.Period())
	revolving := 0
	if s.o.Revolving {
		revolving = 2
	}
	body := map[string]any{"name": name, "cutoff_date": d.String(), "revolving_months": revolving,
		"criteria": map[string]any{"min_score": 600, "min_principal": "50.00", "max_obligor_share": obligorShare(s.o.Users)}}
	var pr poolReply
	err := s.c.Do(ctx, "POST", "/v1/abs/pools", auth.RoleTreasury, "sim-treasury", body, name, &pr)
	if NoRoute(err) {
		s.markMissing("pools", "POST /v1/abs/pools")
		return
	}
	if err != nil {
		s.recordErr(err)
		s.rep.note("pool %s: not built: %v", name, err)
		return
	}
	p := &poolState{row: PoolRow{Name: name, Cutoff: d.String(), id: pr.PoolID, Price: "98.50"}}
	s.poolStates = append(s.poolStates, p)
	if pr.Stats.AssetCount == 0 {
		s.rep.note("pool %s: no eligible assets at cut-off", name)
		p.row.Status = pr.Status
		return
	}
	var tr struct {
		Balance  string `json:"balance"`
		Proceeds string `json:"proceeds"`
		Status   string `json:"status"`
	}
	err = s.c.Do(ctx, "POST", "/v1/abs/pools/"+q(pr.PoolID)+"/transfer", auth.RoleTreasury, "sim-treasury",
		map[string]any{"buyer": fmt.Sprintf("Huabei ABS Trust %d", mi), "price": "98.50"}, name+"-transfer", &tr)
	if err != nil {
		s.recordErr(err)
		s.rep.note("pool %s: transfer failed: %v", name, err)
		return
	}
	p.transferred = true
	p.row.Proceeds = tr.Proceeds
}

// obligorShare caps any obligor at 2% of a pool, looser for small simulations (a cap
// below a few obligors' share would empty the pool).
func obligorShare(users int) string {
	f := math.Min(0.5, math.Max(0.02, 5/float64(users)))
	return decimal.NewFromFloat(f).StringFixed(4)
}

func monthsBetween(a, b clock.Date) int {
	ta, tb := a.Start(), b.Start()
	return (tb.Year()-ta.Year())*12 + int(tb.Month()) - int(ta.Month())
}

// ---- month-end snapshot ----

var bucketNames = []string{"current", "M1", "M2", "M3", "M3+"}

func normBucket(b string) string {
	switch strings.ToUpper(strings.TrimSpace(b)) {
	case "", "CURRENT", "M0":
		return "current"
	case "M1":
		return "M1"
	case "M2":
		return "M2"
	case "M3":
		return "M3"
	default:
		return "M3+"
	}
}

type lineReply struct {
	Status         string `json:"status"`
	Limit          string `json:"limit"`
	EffectiveLimit string `json:"effective_limit"`
	Outstanding    string `json:"outstanding"`
	Held           string `json:"held"`
}

// snapshot records the portfolio at the end of business date d (after its accrual).
func (s *Simulator) snapshot(ctx context.Context, d clock.Date) {
	row := MonthRow{Period: d.Period()}
	counts := map[string]int{}
	bal := map[string]money.Amount{}
	var outstanding money.Amount
	got := false
	if !s.missing("portfolio") {
		var pf map[string]any
		err := s.c.Do(ctx, "GET", "/v1/ops/portfolio", auth.RoleOps, "sim-ops", nil, "", &pf)
		switch {
		case NoRoute(err):
			s.mu.Lock()
			s.unavailable["portfolio"] = true
			s.mu.Unlock()
			s.rep.note("portfolio: GET /v1/ops/portfolio not available — delinquency aggregated from per-user accounts and lines")
		case err != nil:
			s.recordErr(err)
		default:
			if o, ok := parsePortfolio(pf, counts, bal); ok {
				outstanding, got = o, true
				row.Source = "GET /v1/ops/portfolio"
			} else {
				s.rep.note("portfolio: GET /v1/ops/portfolio answer not understood — aggregated from accounts")
			}
		}
	}
	if !got {
		row.Source = "accounts+lines"
		type res struct {
			bucket string
			out    money.Amount
			ok     bool
		}
		results := make([]res, len(s.users))
		accountMissing := s.missing("account")
		s.parallel(ctx, func(ctx context.Context, u *user) {
			if !u.approved {
				return
			}
			var ln lineReply
			if err := s.c.Do(ctx, "GET", "/v1/credit/lines/"+q(u.id), auth.RoleOps, "sim-ops", nil, "", &ln); err != nil {
				s.userErr(u, err)
				return
			}
			r := res{out: amt(ln.Outstanding), bucket: "current", ok: true}
			// Only an overdue line (minimum not paid by the due date) is past due, so only
			// those need the account's days past due.
			if !accountMissing && ln.Status != "active" {
				var acc accountReply
				err := s.c.Do(ctx, "GET", "/v1/users/"+q(u.id)+"/account", auth.RoleOps, "sim-ops", nil, "", &acc)
				if NoRoute(err) {
					s.markMissing("account", "GET /v1/users/{user_id}/account; every line counted as current")
				} else if err != nil {
					s.userErr(u, err)
				} else {
					r.bucket = normBucket(acc.DelinquencyBucket)
				}
			}
			results[u.idx] = r
		})
		for _, r := range results {
			if !r.ok || r.out <= 0 && r.bucket == "current" {
				continue
			}
			counts[r.bucket]++
			bal[r.bucket] += r.out
			outstanding += r.out
		}
	}
	for _, b := range bucketNames {
		row.Buckets = append(row.Buckets, BucketRow{Bucket: b, Count: counts[b], Balance: bal[b].String()})
	}
	row.Outstanding = outstanding.String()
	if !s.missing("funding") {
		var f struct {
			Available         string `json:"available"`
			LenderOutstanding string `json:"lender_principal_outstanding"`
		}
		err := s.c.Do(ctx, "GET", "/v1/abs/funding", auth.RoleOps, "sim-ops", nil, "", &f)
		if NoRoute(err) {
			s.markMissing("funding", "GET /v1/abs/funding")
		} else if err != nil {
			s.recordErr(err)
		} else {
			row.FundingAvailable, row.LenderOutstanding = f.Available, f.LenderOutstanding
		}
	}
	s.snapshots = append(s.snapshots, row)
}

// parsePortfolio understands {outstanding|outstanding_principal, buckets|delinquency:
// [{bucket, count, balance}]}.
func parsePortfolio(pf map[string]any, counts map[string]int, bal map[string]money.Amount) (money.Amount, bool) {
	var out money.Amount
	found := false
	for _, k := range []string{"outstanding_principal", "outstanding", "principal_outstanding"} {
		if v, ok := pf[k].(string); ok {
			out, found = amt(v), true
			break
		}
	}
	var rows []any
	for _, k := range []string{"buckets", "delinquency", "by_bucket"} {
		if v, ok := pf[k].([]any); ok {
			rows = v
			break
		}
	}
	if rows == nil || !found {
		return 0, false
	}
	for _, r := range rows {
		m, ok := r.(map[string]any)
		if !ok {
			return 0, false
		}
		b, _ := m["bucket"].(string)
		b = normBucket(b)
		switch c := m["count"].(type) {
		case float64:
			counts[b] += int(c)
		case string:
			var n int
			fmt.Sscan(c, &n)
			counts[b] += n
		}
		for _, k := range []string{"balance", "principal", "outstanding"} {
			if v, ok := m[k].(string); ok {
				bal[b] += amt(v)
				break
			}
		}
	}
	return out, true
}

// ---- the end ----

type tbReply struct {
	Balanced bool   `json:"balanced"`
	Debits   string `json:"debits"`
	Credits  string `json:"credits"`
	Accounts []struct {
		Account string `json:"account"`
		Type    string `json:"type"`
		Debits  string `json:"debits"`
		Credits string `json:"credits"`
		Balance string `json:"balance"`
	} `json:"accounts"`
	Reconciliation struct {
		Differences []map[string]any `json:"differences"`
		Failures    []map[string]any `json:"failures"`
	} `json:"reconciliation"`
}

func ratio(a, b money.Amount) string {
	if b == 0 {
		return "0.0000"
	}
	return decimal.NewFromInt(int64(a)).Div(decimal.NewFromInt(int64(b))).StringFixed(4)
}

func (s *Simulator) finish(ctx context.Context) error {
	r := s.rep
	last := s.end.AddDays(-1)

	// Aggregate shoppers in index order.
	r.Orig.Declined, r.Orig.ByCategory = map[string]int{}, map[string]int{}
	r.Repay.Behaviours, r.Repay.ByBehaviour = map[string]int{}, map[string]int{}
	bandApplied, bandApproved, bandLimit := map[string]int{}, map[string]int{}, map[string]money.Amount{}
	var authAmt, instAmt, refundAmt, repayAmt, cancelAmt, totalLimit, stmtPlanAmt money.Amount
	r.Orig.StatementPlansRefused = map[string]int{}
	monthAuth := map[string]money.Amount{}
	for _, u := range s.users {
		if u.score > 0 || u.approved {
			r.Apps.Submitted++
			b := scoreBand(u.score)
			bandApplied[b]++
			if u.approved {
				r.Apps.Approved++
				bandApproved[b]++
				bandLimit[b] += u.limit
				totalLimit += u.limit
				r.Repay.Behaviours[u.beh.String()]++
				if u.autopay {
					r.Repay.Autopay++
				}
			}
		}
		st := u.st
		r.Orig.Attempts += st.attempts
		r.Orig.Authorized += st.authorized
		r.Orig.Captured += st.captured
		r.Orig.Cancelled += st.cancelled
		r.Orig.Installment += st.installments
		r.Orig.Refunds += st.refunds
		r.Repay.Count += st.repayments
		if st.repayments > 0 {
			r.Repay.ByBehaviour[u.beh.String()] += st.repayments
		}
		authAmt += st.authAmount
		instAmt += st.instAmount
		refundAmt += st.refundAmount
		cancelAmt += st.cancelAmount
		repayAmt += st.repayAmount
		for k, v := range st.declined {
			r.Orig.Declined[k] += v
		}
		for k, v := range st.byCategory {
			r.Orig.ByCategory[k] += v
		}
		r.Orig.StatementPlans += st.stmtPlans
		stmtPlanAmt += st.stmtPlanAmount
		for k, v := range st.stmtPlanRefused {
			r.Orig.StatementPlansRefused[k] += v
		}
		for k, v := range st.errors {
			r.Errors[k] += v
		}
		for k, v := range st.monthAuth {
			monthAuth[k] += v
		}
	}
	r.Apps.ApprovalRate = fracInt(r.Apps.Approved, r.Apps.Submitted)
	r.Apps.TotalLimit = totalLimit.String()
	for _, b := range scoreBands {
		row := BandRow{Band: b, Applied: bandApplied[b], Approved: bandApproved[b], ApprovalRate: fracInt(bandApproved[b], bandApplied[b]), AverageLimit: "0.00"}
		if bandApproved[b] > 0 {
			row.AverageLimit = (bandLimit[b] / money.Amount(bandApproved[b])).String()
		}
		r.Apps.ByBand = append(r.Apps.ByBand, row)
	}
	r.Orig.AuthorizedAmount, r.Orig.InstallmentAmount, r.Orig.RefundAmount = authAmt.String(), instAmt.String(), refundAmt.String()
	r.Repay.Amount = repayAmt.String()
	r.Orig.StatementPlanAmount = stmtPlanAmt.String()

	// Pools: final state and servicer reports for every completed month since cut-off.
	for _, p := range s.poolStates {
		var pr poolReply
		if err := s.c.Do(ctx, "GET", "/v1/abs/pools/"+q(p.row.id), auth.RoleTreasury, "sim-treasury", nil, "", &pr); err != nil {
			s.recordErr(err)
		} else {
			p.row.Status, p.row.Assets, p.row.Obligors = pr.Status, pr.Stats.AssetCount, pr.Stats.ObligorCount
			p.row.Balance, p.row.WAC, p.row.WAL = pr.Stats.Balance, pr.Stats.WAC, pr.Stats.WAL
		}
		p.row.Buybacks, p.row.Revolving = p.buybacks.String(), p.revolving.String()
		if p.transferred {
			cut, _ := clock.ParseDate(p.row.Cutoff)
			for m := cut; m.Period() <= last.Period(); m = m.AddMonths(1) {
				var rp map[string]any
				err := s.c.Do(ctx, "GET", "/v1/abs/pools/"+q(p.row.id)+"/reports/"+m.Period(), auth.RoleTreasury, "sim-treasury", nil, "", &rp)
				if err != nil {
					s.recordErr(err)
					s.rep.note("pool %s: report %s: %v", p.row.Name, m.Period(), Reason(err))
					continue
				}
				str := func(k string) string { v, _ := rp[k].(string); return v }
				pm := PoolMonth{Period: m.Period(), Beginning: str("beginning_balance"), PrincipalCollected: str("principal_collected"),
					Defaults: str("defaults"), Buybacks: str("buybacks"), Purchases: str("purchases"), Ending: str("ending_balance"),
					PoolFactor: str("pool_factor"), CPR: str("cpr"), CDR: str("cdr"), CumulativeDefault: str("cumulative_default_rate")}
				p.row.Reports = append(p.row.Reports, pm)
				for i := range s.snapshots {
					if s.snapshots[i].Period == m.Period() {
						if s.snapshots[i].PoolFactors == nil {
							s.snapshots[i].PoolFactors = map[string]string{}
						}
						s.snapshots[i].PoolFactors[p.row.Name] = pm.PoolFactor
					}
				}
			}
		}
		r.Pools = append(r.Pools, p.row)
	}
	for i := range s.snapshots {
		s.snapshots[i].Authorized = monthAuth[s.snapshots[i].Period].String()
	}
	r.Monthly = s.snapshots

	// Invariants. Trial balance and reconciliation as of the last business date.
	var tb tbReply
	err := s.c.Do(ctx, "GET", "/v1/ops/ledger/trial-balance?date="+last.String(), auth.RoleOps, "sim-ops", nil, "", &tb)
	var chargeOffs money.Amount
	if err != nil {
		r.Invariants = append(r.Invariants, Check{Name: "trial balance balanced", Detail: "trial balance unavailable: " + err.Error()})
		r.Invariants = append(r.Invariants, Check{Name: "reconciliation differences empty", Detail: "trial balance unavailable"})
		r.Revenue.Source = "unavailable"
	} else {
		r.Invariants = append(r.Invariants, Check{Name: "trial balance balanced", Pass: tb.Balanced && amt(tb.Debits) == amt(tb.Credits),
			Detail: fmt.Sprintf("debits %s, credits %s on %s", tb.Debits, tb.Credits, last)})
		n, f := len(tb.Reconciliation.Differences), len(tb.Reconciliation.Failures)
		detail := fmt.Sprintf("%d differences, %d failed checks", n, f)
		if n > 0 {
			// Name pools, not their ids, so the report stays reproducible.
			names := map[string]string{}
			for _, p := range s.poolStates {
				names["pool:"+p.row.id] = "pool " + p.row.Name
			}
			for i, d := range tb.Reconciliation.Differences {
				if i == 3 {
					detail += "; …"
					break
				}
				owner := fmt.Sprint(d["owner"])
				if nm, ok := names[owner]; ok {
					owner = nm
				}
				detail += fmt.Sprintf("; %v %v %s: ledger %v, subledger %v (difference %v)", d["check"], d["account"], owner, d["ledger"], d["subledger"], d["difference"])
			}
		}
		if f > 0 {
			detail += fmt.Sprintf("; first failure: %v", tb.Reconciliation.Failures[0])
		}
		r.Invariants = append(r.Invariants, Check{Name: "reconciliation differences empty", Pass: n == 0 && f == 0, Detail: detail})
		inc := map[string]money.Amount{}
		for _, a := range tb.Accounts {
			code := a.Account
			if i := strings.IndexByte(code, ':'); i >= 0 {
				code = code[:i]
			}
			switch {
			case strings.HasPrefix(code, "income."):
				inc[code] += amt(a.Credits) - amt(a.Debits)
			case strings.HasPrefix(code, "expense.credit_loss"):
				chargeOffs += amt(a.Debits) - amt(a.Credits)
			}
		}
		rv := &r.Revenue
		md, fee, in, pen := inc["income.merchant_discount"], inc["income.installment_fee"], inc["income.interest"], inc["income.penalty"]
		rv.MerchantDiscount, rv.InstallmentFees, rv.Interest, rv.Penalties = md.String(), fee.String(), in.String(), pen.String()
		rv.Total = (md + fee + in + pen).String()
		rv.Source = "ledger trial balance " + last.String()
	}

	// No line over its limit; final outstanding principal from the lines.
	type lineRes struct {
		ok, over bool
		out      money.Amount
		detail   string
	}
	lines := make([]lineRes, len(s.users))
	s.parallel(ctx, func(ctx context.Context, u *user) {
		if !u.approved {
			return
		}
		var ln lineReply
		if err := s.c.Do(ctx, "GET", "/v1/credit/lines/"+q(u.id), auth.RoleOps, "sim-ops", nil, "", &ln); err != nil {
			lines[u.idx] = lineRes{detail: err.Error()}
			return
		}
		lim := amt(ln.EffectiveLimit)
		if ln.EffectiveLimit == "" {
			lim = amt(ln.Limit)
		}
		out, held := amt(ln.Outstanding), amt(ln.Held)
		lines[u.idx] = lineRes{ok: true, out: out, over: out+held > lim,
			detail: fmt.Sprintf("%s: outstanding %s + held %s > limit %s", u.id, ln.Outstanding, ln.Held, lim)}
	})
	checked, over, failed := 0, 0, 0
	var outstanding money.Amount
	firstBad := ""
	for i, l := range lines {
		if !s.users[i].approved {
			continue
		}
		if !l.ok {
			failed++
			if firstBad == "" {
				firstBad = l.detail
			}
			continue
		}
		checked++
		outstanding += l.out
		if l.over {
			over++
			if firstBad == "" {
				firstBad = l.detail
			}
		}
	}
	detail := fmt.Sprintf("%d lines checked, %d over limit, %d unreadable", checked, over, failed)
	if firstBad != "" {
		detail += "; first: " + firstBad
	}
	r.Invariants = append(r.Invariants, Check{Name: "no line over its limit", Pass: over == 0 && failed == 0, Detail: detail})
	r.Outstanding = outstanding.String()

	captured := authAmt - cancelAmt
	r.Orig.Originated = captured.String()
	r.Losses = Losses{ChargeOffs: chargeOffs.String(), LossRate: ratio(chargeOffs, captured), Originated: captured.String(), M3PlusBalance: "0.00", M3PlusRate: "0.0000"}
	if n := len(r.Monthly); n > 0 {
		var m3 money.Amount
		for _, b := range r.Monthly[n-1].Buckets {
			if b.Bucket == "M3+" || b.Bucket == "M3" {
				m3 += amt(b.Balance)
			}
		}
		r.Losses.M3PlusBalance = m3.String()
		r.Losses.M3PlusRate = ratio(m3, captured)
	}
	if len(r.Errors) > 0 {
		r.note("some API calls failed unexpectedly: see errors")
	}
	return nil
}

func fracInt(a, b int) string {
	if b == 0 {
		return "0.0000"
	}
	return decimal.NewFromFloat(math.Round(float64(a)/float64(b)*10000) / 10000).StringFixed(4)
}

var _ = sync.Mutex{}
