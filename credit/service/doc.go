// Package service maps the credit API (credit/api/v1) onto the credit use cases and
// registers its HTTP routes and role table.
package service
