// Package auth authenticates callers by an HS256 bearer JWT (sub, role), authorizes each
// operation by role from one table filled when routes are registered, and offers the
// ownership checks services use (a shopper may act only on their own user id, a merchant
// only on its own payments).
package auth
