package biz

import (
	"errors"
	"fmt"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
)

// mustCatalog builds the catalog of a configuration known to be valid (the defaults).
func mustCatalog(c installment.Config) *installment.Catalog {
	cat, err := installment.NewCatalog(c)
	if err != nil {
		panic(err)
	}
	return cat
}

// checkCheckoutInstallments refuses terms installments of amount when the catalog would
// not build their schedule: the capture hook turns exactly that schedule into a plan, so
// what passes here becomes a plan at capture. field names the request field to blame.
func checkCheckoutInstallments(cat *installment.Catalog, amount money.Amount, terms int, field string) error {
	if terms == 0 {
		return nil
	}
	_, err := cat.Schedule(amount, terms)
	var msg string
	switch {
	case err == nil:
		return nil
	case errors.Is(err, installment.ErrTermsNotOffered):
		msg = fmt.Sprintf("%s: %d installments are not offered", field, terms)
	case errors.Is(err, installment.ErrBelowMinimum), errors.Is(err, installment.ErrPrincipal):
		msg = fmt.Sprintf("%s: %s is below the minimum of %s for installments", field, amount, cat.MinPrincipal)
	default:
		return err
	}
	e := kerrors.Clone(ErrCheckoutInstallments)
	e.Message = msg
	return e.WithMetadata(map[string]string{"field": field, "installments": fmt.Sprint(terms), "minimum": cat.MinPrincipal.String()})
}
