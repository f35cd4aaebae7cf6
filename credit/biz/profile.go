package biz

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/credit/scorecard"
)

// Enumerations of the profile's categorical fields (API.md).
var (
	Educations  = []string{"none", "high_school", "college", "bachelor", "master", "doctorate"}
	Employments = []string{"unemployed", "student", "employed", "self_employed", "retired"}
	Housings    = []string{"rent", "own", "family", "other"}
)

// Profile is one version of a user's credit data. Nil pointers and empty strings are
// missing values (the scorecard's missing bins). It holds personal data: never log it.
type Profile struct {
	UserID              string
	Version             int
	KYCVerified         bool
	Age                 *int
	Education           string
	Employment          string
	EmploymentMonths    *int
	MonthlyIncome       *money.Amount
	Assets              *money.Amount
	Housing             string
	CreditHistoryMonths *int
	LatePayments12m     *int
	MaxDPD24m           *int
	OutstandingDebt     *money.Amount
	Inquiries6m         *int
	Actor               string
	CreatedAt           time.Time
}

// ProfileRepo stores profile versions; a new version never overwrites an old one.
type ProfileRepo interface {
	// Insert stores p as the user's next version and sets p.Version.
	Insert(ctx context.Context, p *Profile) error
	// Latest returns the newest version or ErrProfileNotFound.
	Latest(ctx context.Context, userID string) (*Profile, error)
}

// profileFieldKinds lists the fields a scorecard may read and how they are encoded in a
// scorecard.Record.
var profileFieldKinds = map[string]string{
	"kyc_verified": "bool", "age": "int", "education": "enum", "employment": "enum",
	"employment_months": "int", "monthly_income": "amount", "assets": "amount", "housing": "enum",
	"credit_history_months": "int", "late_payments_12m": "int", "max_dpd_24m": "int",
	"outstanding_debt": "amount", "inquiries_6m": "int",
}

// Record encodes the profile for the scorecard: integers and yuan amounts as decimal
// strings, booleans "true"/"false", missing values absent.
func (p *Profile) Record() scorecard.Record {
	r := make(scorecard.Record, 13)
	r["kyc_verified"] = strconv.FormatBool(p.KYCVerified)
	putInt := func(k string, v *int) {
		if v != nil {
			r[k] = strconv.Itoa(*v)
		}
	}
	putAmt := func(k string, v *money.Amount) {
		if v != nil {
			r[k] = v.String()
		}
	}
	putStr := func(k, v string) {
		if v != "" {
			r[k] = v
		}
	}
	putInt("age", p.Age)
	putStr("education", p.Education)
	putStr("employment", p.Employment)
	putInt("employment_months", p.EmploymentMonths)
	putAmt("monthly_income", p.MonthlyIncome)
	putAmt("assets", p.Assets)
	putStr("housing", p.Housing)
	putInt("credit_history_months", p.CreditHistoryMonths)
	putInt("late_payments_12m", p.LatePayments12m)
	putInt("max_dpd_24m", p.MaxDPD24m)
	putAmt("outstanding_debt", p.OutstandingDebt)
	putInt("inquiries_6m", p.Inquiries6m)
	return r
}

// CheckScorecard verifies that every feature the scorecard reads is a profile field of a
// compatible type, so a scorecard for other data stops start-up instead of scoring every
// applicant on missing bins.
func CheckScorecard(sc *scorecard.Scorecard) error {
	if len(sc.Characteristics) == 0 {
		return fmt.Errorf("credit: scorecard %q has no features", sc.Name)
	}
	for _, f := range sc.Characteristics {
		kind, ok := profileFieldKinds[f.Name]
		if !ok {
			return fmt.Errorf("credit: scorecard %q: feature %q is not a credit profile field", sc.Name, f.Name)
		}
		numeric := kind == "int" || kind == "amount"
		if numeric != (f.Type == scorecard.TypeNumeric) {
			return fmt.Errorf("credit: scorecard %q: feature %q is %s but the profile field is %s", sc.Name, f.Name, f.Type, kind)
		}
	}
	return nil
}

// ProfileUseCase stores credit data.
type ProfileUseCase struct {
	repo ProfileRepo
	tx   Transactor
}

// Transactor runs fn in one database transaction (nested calls join).
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// NewProfileUseCase returns the use case.
func NewProfileUseCase(repo ProfileRepo, tx Transactor) *ProfileUseCase {
	return &ProfileUseCase{repo: repo, tx: tx}
}

// Put stores p (already validated by the API layer) as the user's next version.
func (u *ProfileUseCase) Put(ctx context.Context, p *Profile) error {
	return u.tx.InTx(ctx, func(ctx context.Context) error { return u.repo.Insert(ctx, p) })
}

// Latest returns the user's newest profile version.
func (u *ProfileUseCase) Latest(ctx context.Context, userID string) (*Profile, error) {
	return u.repo.Latest(ctx, userID)
}
