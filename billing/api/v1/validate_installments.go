package v1

import (
	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/field"
)

// Validate implements the validation middleware's interface.
func (r *InstallmentQuoteRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	switch {
	case r.PaymentId == "" && r.StatementPeriod == "":
		return apierr.Invalid("payment_id", "give payment_id or statement_period")
	case r.PaymentId != "" && r.StatementPeriod != "":
		return apierr.Invalid("statement_period", "give payment_id or statement_period, not both")
	case r.PaymentId != "":
		if _, err := field.ID("payment_id", r.PaymentId); err != nil {
			return err
		}
	default:
		if _, err := field.Period("statement_period", r.StatementPeriod); err != nil {
			return err
		}
	}
	if r.Terms <= 0 || r.Terms > 360 {
		return apierr.Invalid("terms", "must be a number of periods offered (3, 6, 9 or 12)")
	}
	return nil
}

// Validate implements the validation middleware's interface.
func (r *GetInstallmentPlanRequest) Validate() error {
	if _, err := field.UserID("user_id", r.UserId); err != nil {
		return err
	}
	_, err := field.ID("plan_id", r.PlanId)
	return err
}
