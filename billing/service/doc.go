// Package service maps billing's API messages (billing/api/v1) to its use cases and
// registers the HTTP routes and roles: checkout payments, and the shopper account,
// statement, installment and repayment endpoints. No business rules live here.
package service
