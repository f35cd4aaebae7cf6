// Package apierr holds the errors every domain shares at the API edge (bad argument,
// unauthenticated, forbidden, not found, unavailable, internal) as Kratos errors with
// stable UPPER_SNAKE reasons. Domain-specific errors live in each domain's biz/errors.go.
package apierr
