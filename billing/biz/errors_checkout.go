package biz

import "github.com/go-kratos/kratos/v2/errors"

// ErrCheckoutInstallments is returned when a checkout asks for installments its amount
// cannot have: below the product's minimum principal or a number of periods no product
// offers (400, metadata field "installments"; "amount" for a partial capture that would
// fall below the minimum). Nothing is written: a payment the shopper meant to split must
// not be captured as one single payment.
var ErrCheckoutInstallments = errors.BadRequest("INVALID_ARGUMENT", "installments: not available for this amount").
	WithMetadata(map[string]string{"field": "installments"})
