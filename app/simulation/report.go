package simulation

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a simulation. It holds only business figures, so the same
// seed against a fresh database gives the same JSON (wall time and request counts are
// in Timing, which is not part of the JSON).
type Report struct {
	Seed        uint64          `json:"seed"`
	Users       int             `json:"users"`
	Months      int             `json:"months"`
	Start       string          `json:"start"`
	End         string          `json:"end"`
	Engine      string          `json:"engine"`
	Apps        Applications    `json:"applications"`
	Orig        Originations    `json:"originations"`
	Repay       Repayments      `json:"repayments"`
	Outstanding string          `json:"outstanding"`
	Revenue     Revenue         `json:"revenue"`
	Losses      Losses          `json:"losses"`
	Monthly     []MonthRow      `json:"monthly"`
	Pools       []PoolRow       `json:"pools"`
	Invariants  []Check         `json:"invariants"`
	Notes       []string        `json:"notes"`
	Errors      map[string]int  `json:"errors"`
	Timing      Timing          `json:"-"`
	behaviours  map[string]int  // shoppers per repayment behaviour (in Repay)
	notesSeen   map[string]bool //
}

// Applications: approval rates by score band.
type Applications struct {
	Submitted    int       `json:"submitted"`
	Approved     int       `json:"approved"`
	ApprovalRate string    `json:"approval_rate"`
	TotalLimit   string    `json:"total_limit"`
	ByBand       []BandRow `json:"by_score_band"`
}

// BandRow is one score band.
type BandRow struct {
	Band         string `json:"band"`
	Applied      int    `json:"applied"`
	Approved     int    `json:"approved"`
	ApprovalRate string `json:"approval_rate"`
	AverageLimit string `json:"average_limit"`
}

// Originations are checkout figures.
type Originations struct {
	Attempts              int            `json:"attempts"`
	Authorized            int            `json:"authorized"`
	AuthorizedAmount      string         `json:"authorized_amount"`
	Originated            string         `json:"originated"` // authorized less cancelled (captured by merchants or auto-capture)
	Declined              map[string]int `json:"declined"`
	Captured              int            `json:"captured_by_merchant"`
	Cancelled             int            `json:"cancelled"`
	Installment           int            `json:"installment_purchases"`
	InstallmentAmount     string         `json:"installment_amount"`
	StatementPlans        int            `json:"statement_installment_plans"`
	StatementPlanAmount   string         `json:"statement_installment_balance"`
	StatementPlansRefused map[string]int `json:"statement_installment_refused"`
	Refunds               int            `json:"refunds"`
	RefundAmount          string         `json:"refund_amount"`
	ByCategory            map[string]int `json:"by_category"`
}

// Repayments by behaviour.
type Repayments struct {
	Count       int            `json:"count"`
	Amount      string         `json:"amount"`
	Autopay     int            `json:"autopay_users"`
	Behaviours  map[string]int `json:"shoppers_by_behaviour"`
	ByBehaviour map[string]int `json:"repayments_by_behaviour"`
}

// Revenue from the ledger's income accounts (credits − debits).
type Revenue struct {
	MerchantDiscount string `json:"merchant_discount"`
	InstallmentFees  string `json:"installment_fees"`
	Interest         string `json:"interest"`
	Penalties        string `json:"penalties"`
	Total            string `json:"total"`
	Source           string `json:"source"`
}

// Losses: charge-offs and seriously delinquent balances against originations.
type Losses struct {
	ChargeOffs    string `json:"charge_offs"`
	LossRate      string `json:"loss_rate"`
	M3PlusBalance string `json:"m3plus_balance"`
	M3PlusRate    string `json:"m3plus_rate"`
	Originated    string `json:"originations"`
}

// MonthRow is the portfolio at the end of one month.
type MonthRow struct {
	Period            string            `json:"period"`
	Authorized        string            `json:"authorized"`
	Outstanding       string            `json:"outstanding"`
	Buckets           []BucketRow       `json:"delinquency"`
	FundingAvailable  string            `json:"funding_available"`
	LenderOutstanding string            `json:"lender_principal_outstanding"`
	Source            string            `json:"source"`
	PoolFactors       map[string]string `json:"pool_factors,omitempty"`
}

// BucketRow is one delinquency bucket.
type BucketRow struct {
	Bucket  string `json:"bucket"`
	Count   int    `json:"count"`
	Balance string `json:"balance"`
}

// PoolRow is one pool sold to an SPV and its servicer reports.
type PoolRow struct {
	Name      string      `json:"name"`
	Cutoff    string      `json:"cutoff_date"`
	Status    string      `json:"status"`
	Assets    int         `json:"asset_count"`
	Obligors  int         `json:"obligor_count"`
	Balance   string      `json:"balance"`
	WAC       string      `json:"wac"`
	WAL       string      `json:"wal"`
	Price     string      `json:"price"`
	Proceeds  string      `json:"proceeds"`
	Buybacks  string      `json:"buybacks"`
	Revolving string      `json:"revolving_purchases"`
	Reports   []PoolMonth `json:"reports"`
	id        string
}

// PoolMonth is one servicer report.
type PoolMonth struct {
	Period             string `json:"period"`
	Beginning          string `json:"beginning_balance"`
	PrincipalCollected string `json:"principal_collected"`
	Defaults           string `json:"defaults"`
	Buybacks           string `json:"buybacks"`
	Purchases          string `json:"purchases"`
	Ending             string `json:"ending_balance"`
	PoolFactor         string `json:"pool_factor"`
	CPR                string `json:"cpr"`
	CDR                string `json:"cdr"`
	CumulativeDefault  string `json:"cumulative_default_rate"`
}

// Check is an invariant with its outcome.
type Check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Timing is wall-clock information (not part of the JSON report).
type Timing struct {
	Wall     time.Duration
	Requests int64
	Retries  int64
	Phases   map[string]time.Duration
}

// Passed reports whether every invariant passed (and there was at least one).
func (r *Report) Passed() bool {
	if len(r.Invariants) == 0 {
		return false
	}
	for _, c := range r.Invariants {
		if !c.Pass {
			return false
		}
	}
	return true
}

func (r *Report) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if r.notesSeen == nil {
		r.notesSeen = map[string]bool{}
	}
	if r.notesSeen[s] {
		return
	}
	r.notesSeen[s] = true
	r.Notes = append(r.Notes, s)
}

// JSON renders the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	sort.Strings(r.Notes)
	return json.MarshalIndent(r, "", "  ")
}

// WriteJSON writes the JSON report to path (creating its directory).
func (r *Report) WriteJSON(path string) error {
	b, err := r.JSON()
	if err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Print writes the human-readable report.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("\nHuabei portfolio simulation — seed %d, %d users, %d months (%s → %s), %s\n", r.Seed, r.Users, r.Months, r.Start, r.End, r.Engine)
	p("\nApplications: %d submitted, %d approved (%s), total limits %s\n", r.Apps.Submitted, r.Apps.Approved, pct(r.Apps.ApprovalRate), r.Apps.TotalLimit)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  score band\tapplied\tapproved\trate\tavg limit\t")
	for _, b := range r.Apps.ByBand {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\t\n", b.Band, b.Applied, b.Approved, pct(b.ApprovalRate), b.AverageLimit)
	}
	tw.Flush()
	o := r.Orig
	p("\nOriginations: %s — %d checkouts, %d authorized for %s (%d installment purchases, %s); %d captured by merchants (the rest auto-captured), %d cancelled, %d refunds (%s)\n",
		o.Originated, o.Attempts, o.Authorized, o.AuthorizedAmount, o.Installment, o.InstallmentAmount, o.Captured, o.Cancelled, o.Refunds, o.RefundAmount)
	if len(o.Declined) > 0 {
		p("  declined: %s\n", mapLine(o.Declined))
	}
	p("  by category: %s\n", mapLine(o.ByCategory))
	p("  statement installments: %d statements (balance %s) split into plans", o.StatementPlans, o.StatementPlanAmount)
	if len(o.StatementPlansRefused) > 0 {
		p("; refused: %s", mapLine(o.StatementPlansRefused))
	}
	p("\n")
	p("Repayments: %d for %s; shoppers by behaviour: %s; autopay users: %d\n", r.Repay.Count, r.Repay.Amount, mapLine(r.Repay.Behaviours), r.Repay.Autopay)
	p("Outstanding principal at end: %s\n", r.Outstanding)
	rv := r.Revenue
	p("Revenue (%s): merchant discount %s, installment fees %s, interest %s, penalties %s — total %s\n",
		rv.Source, rv.MerchantDiscount, rv.InstallmentFees, rv.Interest, rv.Penalties, rv.Total)
	p("Losses: charge-offs %s (loss rate %s of %s originated); M3+ balance %s (%s)\n",
		r.Losses.ChargeOffs, pct(r.Losses.LossRate), r.Losses.Originated, r.Losses.M3PlusBalance, pct(r.Losses.M3PlusRate))

	p("\nDelinquency by month (count / balance):\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  period\tauthorized\toutstanding\tcurrent\tM1\tM2\tM3\tM3+\tfunding available\t")
	for _, m := range r.Monthly {
		row := fmt.Sprintf("  %s\t%s\t%s\t", m.Period, m.Authorized, m.Outstanding)
		for _, b := range m.Buckets {
			row += fmt.Sprintf("%d / %s\t", b.Count, b.Balance)
		}
		fmt.Fprintln(tw, row+m.FundingAvailable+"\t")
	}
	tw.Flush()

	p("\nPools:\n")
	if len(r.Pools) == 0 {
		p("  (none)\n")
	}
	for _, pl := range r.Pools {
		p("  %s cut-off %s, %s: %d assets / %d obligors, balance %s, WAC %s, WAL %s; sold at %s for %s; buybacks %s, revolving %s\n",
			pl.Name, pl.Cutoff, pl.Status, pl.Assets, pl.Obligors, pl.Balance, pl.WAC, pl.WAL, pl.Price, pl.Proceeds, pl.Buybacks, pl.Revolving)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "    period\tbeginning\tprincipal\tdefaults\tbuybacks\tpurchases\tending\tfactor\tCPR\tCDR\tcum. default\t")
		for _, m := range pl.Reports {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.Period, m.Beginning, m.PrincipalCollected, m.Defaults, m.Buybacks,
				m.Purchases, m.Ending, m.PoolFactor, pct(m.CPR), pct(m.CDR), pct(m.CumulativeDefault))
		}
		tw.Flush()
	}
	if len(r.Notes) > 0 {
		p("\nNotes:\n")
		sort.Strings(r.Notes)
		for _, n := range r.Notes {
			p("  - %s\n", n)
		}
	}
	if len(r.Errors) > 0 {
		p("\nUnexpected API errors: %s\n", mapLine(r.Errors))
	}
	p("\nInvariants:\n")
	for _, c := range r.Invariants {
		s := "FAIL"
		if c.Pass {
			s = "PASS"
		}
		p("  [%s] %s: %s\n", s, c.Name, c.Detail)
	}
	if r.Timing.Wall > 0 {
		p("\nWall time %s, %d requests (%.0f/s), %d retries\n", r.Timing.Wall.Round(time.Millisecond), r.Timing.Requests,
			float64(r.Timing.Requests)/r.Timing.Wall.Seconds(), r.Timing.Retries)
		for _, k := range sortedKeys(r.Timing.Phases) {
			p("  %-10s %s\n", k, r.Timing.Phases[k].Round(time.Millisecond))
		}
	}
}

func mapLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// pct renders a decimal fraction ("0.1234") as a percentage ("12.34%").
func pct(frac string) string {
	if frac == "" {
		return "n/a"
	}
	var f float64
	if _, err := fmt.Sscan(frac, &f); err != nil {
		return frac
	}
	return fmt.Sprintf("%.2f%%", f*100)
}
