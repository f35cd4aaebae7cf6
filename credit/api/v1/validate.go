package v1

import (
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/field"
	"github.com/huabei/huabei/app/money"
)

// Profile enumerations (API.md); credit/biz holds the same lists.
var (
	educations  = []string{"none", "high_school", "college", "bachelor", "master", "doctorate"}
	employments = []string{"unemployed", "student", "employed", "self_employed", "retired"}
	housings    = []string{"rent", "own", "family", "other"}
)

// maxProfileAmount bounds income, assets and debt (1,000,000,000.00 yuan).
const maxProfileAmount = money.Amount(1_000_000_000_00)

func optRange(name string, v *int32, lo, hi int64) error {
	if v == nil {
		return nil
	}
	return field.Range(name, int64(*v), lo, hi)
}

func optEnum(name, v string, allowed []string) error {
	if v == "" {
		return nil
	}
	_, err := field.Enum(name, v, allowed...)
	return err
}

// ProfileAmount parses an optional profile amount (≥ 0, bounded); nil when absent.
func ProfileAmount(name, s string) (*money.Amount, error) {
	if s == "" {
		return nil, nil
	}
	a, err := field.NonNegativeAmount(name, s)
	if err != nil {
		return nil, err
	}
	if a > maxProfileAmount {
		return nil, apierr.Invalid(name, "must be at most "+maxProfileAmount.String())
	}
	return &a, nil
}

// Validate checks every field; the first problem is a 400 naming the field.
func (r *PutProfileRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	if r.KycVerified == nil {
		return apierr.Invalid("kyc_verified", "is required")
	}
	checks := []error{
		optRange("age", r.Age, 0, 150),
		optEnum("education", r.Education, educations),
		optEnum("employment", r.Employment, employments),
		optRange("employment_months", r.EmploymentMonths, 0, 1200),
		optEnum("housing", r.Housing, housings),
		optRange("credit_history_months", r.CreditHistoryMonths, 0, 1200),
		optRange("late_payments_12m", r.LatePayments_12M, 0, 366),
		optRange("max_dpd_24m", r.MaxDpd_24M, 0, 731),
		optRange("inquiries_6m", r.Inquiries_6M, 0, 1000),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	for _, a := range []struct{ name, v string }{
		{"monthly_income", r.MonthlyIncome}, {"assets", r.Assets}, {"outstanding_debt", r.OutstandingDebt},
	} {
		if _, err := ProfileAmount(a.name, a.v); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the user id.
func (r *GetProfileRequest) Validate() error { _, err := field.UserID("user_id", r.UserId); return err }

// Validate checks the user id.
func (r *ApplyRequest) Validate() error { _, err := field.UserID("user_id", r.UserId); return err }

// Validate checks the user id.
func (r *GetLineRequest) Validate() error { _, err := field.UserID("user_id", r.UserId); return err }

// Validate checks the fields' syntax; limits against the policy are checked by the use case.
func (r *AdjustLineRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	if _, _, err := field.OptionalAmount("limit", r.Limit); err != nil {
		return err
	}
	if r.TempLimit != "" {
		if _, err := field.NonNegativeAmount("temp_limit", r.TempLimit); err != nil {
			return err
		}
	}
	if r.Limit == "" && r.TempLimit == "" {
		return apierr.Invalid("limit", "limit or temp_limit is required")
	}
	return validReason(r.Reason)
}

func validReason(s string) error {
	if s == "" {
		return apierr.Invalid("reason", "is required")
	}
	_, err := field.Text("reason", s, 255)
	return err
}

// Validate checks the user id and reason.
func (r *LineStatusRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	return validReason(r.Reason)
}

// Validate checks the user id, cursor and page size.
func (r *ListLineEventsRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	if r.Cursor != "" {
		if _, err := field.ID("cursor", r.Cursor); err != nil {
			return err
		}
	}
	if r.PageSize != 0 {
		return field.Range("page_size", int64(r.PageSize), 1, 200)
	}
	return nil
}
