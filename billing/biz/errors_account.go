package biz

import "github.com/go-kratos/kratos/v2/errors"

// ErrAccountNotFound is returned when billing does not know the user: no credit line and
// no billing account. Reading such an account or repaying into it is refused (404); money
// received for nobody would otherwise sit as a credit balance of a user who cannot spend
// it or ask for it back.
var ErrAccountNotFound = errors.NotFound("ACCOUNT_NOT_FOUND", "no credit line or billing account for this user")
