// Package simulation drives a Huabei server over its public HTTP API with the test clock:
// shoppers apply, buy, repay (or not) according to their score, the simulator runs the
// jobs of every business date, and treasury builds, sells and services pools. Every
// decision comes from a seeded PCG generator per (user, day), so a seed gives the same
// report against a fresh database whatever the request concurrency.
package simulation

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Options configure a simulation.
type Options struct {
	Users   int
	Months  int
	Seed    uint64
	Start   clock.Date // first business date (default 2027-01-01)
	Workers int        // concurrent requests per day (default 8)
	// Progress receives a progress bar (nil: none).
	Progress io.Writer
	// DailyDayend runs the dayend job for every business date (default: Sundays, month
	// ends and the last date).
	DailyDayend bool
	// Revolving gives each pool a two-month revolving period with monthly revolving
	// purchases (the report is then not reproducible: see treasury).
	Revolving bool
	// Engine is recorded in the report ("sqlite", "mysql", "server").
	Engine string
}

// Simulator holds the state of one run.
type Simulator struct {
	o      Options
	c      *Client
	users  []*user
	rep    *Report
	days   int
	start  clock.Date
	end    clock.Date
	prefix string

	unavailable map[string]bool // feature → endpoint missing
	mu          sync.Mutex      // guards rep.Errors and unavailable during parallel phases
	poolStates  []*poolState
	snapshots   []MonthRow
	jobsMissing map[string]bool
	phase       map[string]time.Duration
}

type user struct {
	idx       int
	id        string
	joinDay   int
	risk      float64
	score     int
	approved  bool
	limit     money.Amount
	beh       behaviour
	stopAfter int // default: statements repaid before stopping
	spend     float64
	autopay   bool
	actions   map[int][]action

	// month plan
	planPeriod string
	planDay    int
	planBeh    behaviour
	repaidStmt int
	pauseUntil int

	st userStats
}

type action struct {
	kind      string // capture, cancel, refund
	paymentID string
	merchant  string
	amount    money.Amount
}

type userStats struct {
	attempts, authorized, captured, cancelled, installments, refunds, repayments int
	authAmount, instAmount, refundAmount, repayAmount, cancelAmount              money.Amount
	declined, byCategory, errors, stmtPlanRefused                                map[string]int
	stmtPlans                                                                    int
	stmtPlanAmount                                                               money.Amount

	monthAuth map[string]money.Amount
}

func (s *userStats) inc(m *map[string]int, k string) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k]++
}

// Run executes the simulation against the server behind c.
func Run(ctx context.Context, c *Client, o Options) (*Report, error) {
	if o.Users <= 0 || o.Months <= 0 {
		return nil, fmt.Errorf("simulation: users and months must be positive")
	}
	if o.Start.IsZero() {
		o.Start, _ = clock.ParseDate("2027-01-01")
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	s := &Simulator{o: o, c: c, start: o.Start, end: o.Start.AddMonths(o.Months), unavailable: map[string]bool{}, jobsMissing: map[string]bool{}, phase: map[string]time.Duration{}}
	s.days = s.end.DaysSince(s.start)
	s.prefix = fmt.Sprintf("s%d", o.Seed)
	s.rep = &Report{Seed: o.Seed, Users: o.Users, Months: o.Months, Start: s.start.String(), End: s.end.String(), Engine: o.Engine, Errors: map[string]int{}}
	began := time.Now()
	s.setupUsers()

	var bar *progressbar.ProgressBar
	if o.Progress != nil {
		bar = progressbar.NewOptions(s.days+1, progressbar.OptionSetWriter(o.Progress), progressbar.OptionSetDescription("simulating days"),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.Progress) }))
	}
	for day := 0; day <= s.days; day++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.runDay(ctx, day); err != nil {
			return nil, err
		}
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	t0 := time.Now()
	if err := s.finish(ctx); err != nil {
		return nil, err
	}
	s.phase["report"] += time.Since(t0)
	s.rep.Timing = Timing{Wall: time.Since(began), Requests: c.Requests(), Retries: c.retries.Load(), Phases: s.phase}
	return s.rep, nil
}

func (s *Simulator) rng(stream, a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(s.o.Seed^0x9e3779b97f4a7c15, stream<<56^a<<28^b))
}

// setupUsers draws every shopper's latent risk, join day and spending habits.
func (s *Simulator) setupUsers() {
	joinWindow := max(1, s.days/3)
	for i := 0; i < s.o.Users; i++ {
		r := s.rng(1, uint64(i), 0)
		u := &user{idx: i, id: fmt.Sprintf("%s-u%06d", s.prefix, i+1), actions: map[int][]action{}}
		u.risk = r.Float64()
		u.joinDay = r.IntN(joinWindow)
		u.spend = math.Min(20, math.Max(0.5, 2.5*math.Exp(0.6*r.NormFloat64()))) / 30 // purchases per day (median 2.5 a month)
		s.users = append(s.users, u)
	}
}

func (s *Simulator) dateOf(day int) clock.Date { return s.start.AddDays(day) }

// runDay moves the clock to 09:00 of the day, runs the jobs due, lets every shopper act,
// then treasury; the last "day" (the end date) only runs jobs and takes the final snapshot.
func (s *Simulator) runDay(ctx context.Context, day int) error {
	d := s.dateOf(day)
	if err := s.setClock(ctx, d); err != nil {
		return err
	}
	t0 := time.Now()
	if day > 0 {
		y := d.AddDays(-1)
		s.runJob(ctx, "accrue", y)
		// dayend (trial balance, reconciliation, balance snapshot) is the slowest job and
		// a check rather than a money movement: weekly, at month ends and on the last day
		// unless DailyDayend.
		if s.o.DailyDayend || y.Start().Weekday() == time.Sunday || d.Start().Day() == 1 || day == s.days {
			s.runJob(ctx, "dayend", y)
		}
		s.runJob(ctx, "abs_servicing", y)
	}
	s.phase["jobs"] += time.Since(t0)
	if d.Start().Day() == 1 && day > 0 {
		t1 := time.Now()
		s.snapshot(ctx, d.AddDays(-1))
		s.phase["snapshots"] += time.Since(t1)
	}
	t0 = time.Now()
	if d.Start().Day() == 1 {
		// The end date is a 1st too: its statements bill the last month's interest and fees.
		s.runJob(ctx, "statements", d)
	}
	if day == s.days {
		s.phase["jobs"] += time.Since(t0)
		return nil
	}
	if d.Start().Day() == 2 {
		s.runJob(ctx, "limit_review", d)
	}
	s.runJob(ctx, "auto_capture", d)
	s.runJob(ctx, "autopay", d)
	s.phase["jobs"] += time.Since(t0)

	t0 = time.Now()
	s.parallel(ctx, func(ctx context.Context, u *user) { s.userDay(ctx, u, day) })
	s.phase["shoppers"] += time.Since(t0)
	t0 = time.Now()
	s.treasury(ctx, day)
	s.phase["treasury"] += time.Since(t0)
	return nil
}

// parallel runs fn for every user on a small worker pool; each user's requests stay
// sequential, and results land in the user's own state.
func (s *Simulator) parallel(ctx context.Context, fn func(context.Context, *user)) {
	ch := make(chan *user)
	var wg sync.WaitGroup
	for w := 0; w < s.o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range ch {
				fn(ctx, u)
			}
		}()
	}
	for _, u := range s.users {
		ch <- u
	}
	close(ch)
	wg.Wait()
}

func (s *Simulator) setClock(ctx context.Context, d clock.Date) error {
	now := d.Start().Add(9 * time.Hour).Format(time.RFC3339)
	if err := s.c.Do(ctx, "POST", "/v1/ops/clock", auth.RoleOps, "sim-ops", map[string]string{"now": now}, "", nil); err != nil {
		return fmt.Errorf("simulation: test clock: %w", err)
	}
	return nil
}

type jobRun struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Processed int    `json:"processed"`
	Error     string `json:"error"`
}

func (s *Simulator) runJob(ctx context.Context, name string, d clock.Date) {
	if s.jobsMissing[name] {
		return
	}
	defer func(t time.Time) { s.phase["job "+name] += time.Since(t) }(time.Now())
	// A failed run is run again (what an operator does; a completed run is never
	// repeated by the runner), up to three attempts; every failure is noted.
	for attempt := 1; attempt <= 3; attempt++ {
		var run jobRun
		err := s.c.Do(ctx, "POST", "/v1/ops/jobs/"+name+"/runs", auth.RoleOps, "sim-ops", map[string]any{"business_date": d.String()}, "", &run)
		switch {
		case NoRoute(err):
			s.jobsMissing[name] = true
			s.rep.note("job %s: not available on this server (skipped)", name)
			return
		case err != nil:
			s.rep.note("job %s for %s failed (attempt %d): %v", name, d, attempt, err)
		case run.Status == "failed":
			s.rep.note("job %s for %s failed (attempt %d): %s", name, d, attempt, run.Error)
		default:
			return
		}
	}
	s.rep.Errors["job "+name+": failed 3 times"]++
}

func (s *Simulator) recordErr(err error) {
	key := err.Error()
	if ae, ok := err.(*APIError); ok {
		key = fmt.Sprintf("%s: %d %s", ae.Path, ae.Status, ae.Reason)
	} else if len(key) > 80 {
		key = key[:80]
	}
	s.mu.Lock()
	s.rep.Errors[key]++
	s.mu.Unlock()
}

func (s *Simulator) missing(feature string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unavailable[feature]
}

// markMissing records that a feature's endpoint is absent (once, with a note).
func (s *Simulator) markMissing(feature, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unavailable[feature] {
		s.unavailable[feature] = true
		s.rep.note("%s: endpoint not available (%s) — skipped", feature, what)
	}
}

// ---- shoppers ----

type applyReply struct {
	Decision string `json:"decision"`
	Score    int    `json:"score"`
	Limit    string `json:"limit"`
}

type paymentReply struct {
	PaymentID     string `json:"payment_id"`
	Status        string `json:"status"`
	DeclineReason string `json:"decline_reason"`
	Amount        string `json:"amount"`
}

type accountReply struct {
	Unbilled          string `json:"unbilled"`
	StatementBalance  string `json:"statement_balance"`
	MinimumDue        string `json:"minimum_due"`
	DueDate           string `json:"due_date"`
	PastDue           string `json:"past_due"`
	CreditBalance     string `json:"credit_balance"`
	DaysPastDue       int    `json:"days_past_due"`
	DelinquencyBucket string `json:"delinquency_bucket"`
}

func amt(s string) money.Amount {
	a, err := money.Parse(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return a
}

// userDay is one shopper's business day, decided by the (seed, user, day) generator.
func (s *Simulator) userDay(ctx context.Context, u *user, day int) {
	if day < u.joinDay {
		return
	}
	rng := s.rng(2, uint64(u.idx), uint64(day))
	d := s.dateOf(day)
	if day == u.joinDay {
		s.onboard(ctx, u, rng)
		return
	}
	if !u.approved {
		return
	}
	// Merchant captures, cancellations and refunds scheduled for today, in order.
	for _, a := range u.actions[day] {
		s.doAction(ctx, u, day, a, rng)
	}
	delete(u.actions, day)

	// Statement plan for the month: behaviour this month and the repayment day.
	if period := d.Period(); u.planPeriod != period {
		u.planPeriod = period
		u.planBeh = u.beh
		n := rng.Float64()
		if u.beh == payFull && !u.autopay && n < 0.08 {
			u.planBeh = payMinimum
		} else if u.beh <= payMinimum && !u.autopay && n > 0.97 {
			u.planBeh = payLate
		}
		switch u.planBeh {
		case payFull:
			u.planDay = 2 + rng.IntN(8) // 2nd–9th, before the due date
		case payMinimum:
			u.planDay = 5 + rng.IntN(6) // 5th–10th
		default:
			u.planDay = 13 + rng.IntN(14) // after the due date
		}
	}
	if d.Start().Day() == u.planDay && !u.autopay {
		s.repay(ctx, u, d, rng)
	}

	// Purchases.
	if day < u.pauseUntil {
		return
	}
	for n := poisson(rng, u.spend); n > 0; n-- {
		if !s.purchase(ctx, u, day, rng) {
			break
		}
	}
}

func (s *Simulator) onboard(ctx context.Context, u *user, rng *rand.Rand) {
	p := drawProfile(rng, u.risk)
	if err := s.c.Do(ctx, "PUT", "/v1/credit/profiles/"+q(u.id), auth.RoleOps, "sim-ops", p, "", nil); err != nil {
		s.userErr(u, err)
		return
	}
	var ar applyReply
	if err := s.c.Do(ctx, "POST", "/v1/credit/applications", auth.RoleOps, "sim-ops", map[string]string{"user_id": u.id}, "", &ar); err != nil {
		s.userErr(u, err)
		return
	}
	u.score = ar.Score
	u.approved = ar.Decision == "approved"
	u.limit = amt(ar.Limit)
	u.beh = drawBehaviour(rng, u.score)
	u.stopAfter = rng.IntN(3)
	if u.approved && u.beh == payFull && rng.Float64() < 0.4 && !s.missing("autopay") {
		err := s.c.Do(ctx, "PUT", "/v1/users/"+q(u.id)+"/autopay", auth.RoleShopper, u.id, map[string]bool{"enabled": true}, "", nil)
		switch {
		case NoRoute(err):
			s.markMissing("autopay", "PUT /v1/users/{user_id}/autopay")
		case err != nil:
			s.userErr(u, err)
		default:
			u.autopay = true
		}
	}
}

func (s *Simulator) userErr(u *user, err error) {
	key := err.Error()
	if ae, ok := err.(*APIError); ok {
		key = fmt.Sprintf("%s: %d %s", ae.Path, ae.Status, ae.Reason)
	}
	u.st.inc(&u.st.errors, key)
}

// purchase authorizes one checkout and schedules what the merchant does with it.
// It returns false when the shopper should stop buying today.
func (s *Simulator) purchase(ctx context.Context, u *user, day int, rng *rand.Rand) bool {
	c := drawCategory(rng)
	m := merchantID(c.Name, rng.IntN(merchantsPerCategory))
	a := drawAmount(rng, c, u.limit)
	terms := 0
	if c.Installable && a >= 600_00 && rng.Float64() < 0.4 && !s.missing("installments") {
		terms = drawTerms(rng)
	}
	u.st.attempts++
	order := fmt.Sprintf("%s-%d-%d", u.id, day, u.st.attempts)
	body := map[string]any{"user_id": u.id, "merchant_order_id": order, "amount": a.String(), "merchant_category": c.Name, "description": c.Name + " purchase"}
	if terms > 0 {
		body["installments"] = terms
	}
	// Plan the merchant's side now, so every draw happens whatever the answer.
	plan := rng.Float64()
	after := rng.IntN(6)
	refund := rng.Float64()
	refundAfter := 2 + rng.IntN(18)
	refundShare := 0.1 + 0.5*rng.Float64()

	var p paymentReply
	err := s.c.Do(ctx, "POST", "/v1/payments", auth.RoleMerchant, m, body, "", &p)
	if err != nil && terms > 0 && !NoRoute(err) && Reason(err) != "" && strings.Contains(strings.ToLower(err.Error()), "install") {
		s.markMissing("installments", "POST /v1/payments with installments: "+Reason(err))
	}
	if err != nil {
		s.userErr(u, err)
		return false
	}
	if p.Status == "declined" {
		u.st.inc(&u.st.declined, p.DeclineReason)
		switch p.DeclineReason {
		case "ACCOUNT_OVERDUE", "ACCOUNT_FROZEN", "NO_CREDIT_LINE":
			u.pauseUntil = day + 7
		}
		return false
	}
	u.st.authorized++
	u.st.authAmount += a
	u.st.inc(&u.st.byCategory, c.Name)
	if u.st.monthAuth == nil {
		u.st.monthAuth = map[string]money.Amount{}
	}
	u.st.monthAuth[s.dateOf(day).Period()] += a
	if terms > 0 {
		u.st.installments++
		u.st.instAmount += a
	}
	switch {
	case plan < 0.05:
		u.actions[day+1+after%3] = append(u.actions[day+1+after%3], action{kind: "cancel", paymentID: p.PaymentID, merchant: m, amount: a})
	case plan < 0.75:
		act := action{kind: "capture", paymentID: p.PaymentID, merchant: m}
		if after == 0 {
			s.doAction(ctx, u, day, act, rng)
		} else {
			u.actions[day+after] = append(u.actions[day+after], act)
		}
		if refund < 0.05 {
			ra := a
			if refund >= 0.02 {
				ra = money.Amount(math.Round(float64(a) * refundShare))
			}
			rd := day + after + refundAfter
			u.actions[rd] = append(u.actions[rd], action{kind: "refund", paymentID: p.PaymentID, merchant: m, amount: max(ra, 1)})
		}
	}
	// otherwise the authorization is left to auto_capture
	return true
}

func (s *Simulator) doAction(ctx context.Context, u *user, day int, a action, _ *rand.Rand) {
	path := "/v1/payments/" + q(a.paymentID)
	var err error
	switch a.kind {
	case "capture":
		var p paymentReply
		err = s.c.Do(ctx, "POST", path+"/capture", auth.RoleMerchant, a.merchant, map[string]any{}, "", &p)
		if err == nil {
			u.st.captured++
		}
	case "cancel":
		err = s.c.Do(ctx, "POST", path+"/cancel", auth.RoleMerchant, a.merchant, map[string]any{}, "", nil)
		if err == nil {
			u.st.cancelled++
			u.st.cancelAmount += a.amount
		}
	case "refund":
		err = s.c.Do(ctx, "POST", path+"/refunds", auth.RoleMerchant, a.merchant,
			map[string]any{"amount": a.amount.String(), "reason": "returned"}, fmt.Sprintf("%s-%d-refund", a.paymentID, day), nil)
		if err == nil {
			u.st.refunds++
			u.st.refundAmount += a.amount
		}
	}
	if err != nil {
		s.userErr(u, err)
	}
}

// repay pays according to the month's behaviour from the shopper's account view.
func (s *Simulator) repay(ctx context.Context, u *user, d clock.Date, rng *rand.Rand) {
	if s.missing("repayments") {
		return
	}
	if u.planBeh == payDefault || (u.beh == payDefault && u.repaidStmt >= u.stopAfter) {
		return
	}
	var acc accountReply
	err := s.c.Do(ctx, "GET", "/v1/users/"+q(u.id)+"/account", auth.RoleShopper, u.id, nil, "", &acc)
	if NoRoute(err) {
		s.markMissing("repayments", "GET /v1/users/{user_id}/account")
		return
	}
	if err != nil {
		s.userErr(u, err)
		return
	}
	stmt, minDue, past := amt(acc.StatementBalance), amt(acc.MinimumDue), amt(acc.PastDue)
	// Some minimum payers split the statement into installments (账单分期) instead and
	// then pay what falls due now.
	convert, terms := rng.Float64(), []int{3, 6, 12}[rng.IntN(3)]
	if u.planBeh == payMinimum && u.beh != payDefault && past == 0 && stmt >= 300_00 && convert < 0.3 && strings.HasPrefix(acc.DueDate, d.Period()) && !s.missing("statement installments") {
		var plan struct {
			PlanID string `json:"plan_id"`
		}
		err := s.c.Do(ctx, "POST", "/v1/users/"+q(u.id)+"/installment-plans", auth.RoleShopper, u.id,
			map[string]any{"statement_period": d.Period(), "terms": terms}, fmt.Sprintf("%s-%s-stmtplan", u.id, d), &plan)
		switch {
		case NoRoute(err):
			s.markMissing("statement installments", "POST /v1/users/{user_id}/installment-plans")
		case err != nil && Reason(err) != "" && Reason(err) != "INTERNAL":
			u.st.inc(&u.st.stmtPlanRefused, Reason(err))
		case err != nil:
			s.userErr(u, err)
		default:
			u.st.stmtPlans++
			u.st.stmtPlanAmount += stmt
			if err := s.c.Do(ctx, "GET", "/v1/users/"+q(u.id)+"/account", auth.RoleShopper, u.id, nil, "", &acc); err != nil {
				s.userErr(u, err)
				return
			}
			stmt, minDue, past = amt(acc.StatementBalance), amt(acc.MinimumDue), amt(acc.PastDue)
			u.planBeh = payFull
		}
	}
	var pay money.Amount
	switch u.planBeh {
	case payMinimum:
		pay = minDue
	default: // full, late: clear the statement
		pay = max(stmt, past, minDue)
	}
	if u.beh == payDefault {
		pay = minDue
	}
	if pay <= 0 {
		return
	}
	body := map[string]any{"amount": pay.String(), "target": "due", "channel_ref": fmt.Sprintf("sim-%s-%s", u.id, d)}
	err = s.c.Do(ctx, "POST", "/v1/users/"+q(u.id)+"/repayments", auth.RoleShopper, u.id, body, fmt.Sprintf("%s-%s-repay", u.id, d), nil)
	if NoRoute(err) {
		s.markMissing("repayments", "POST /v1/users/{user_id}/repayments")
		return
	}
	if err != nil {
		s.userErr(u, err)
		return
	}
	u.repaidStmt++
	u.st.repayments++
	u.st.repayAmount += pay
}

// sortedKeys returns map keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
