package biz

import "context"

// CreditLineDirectory tells whether a user has a credit line (the credit domain).
type CreditLineDirectory interface {
	HasCreditLine(ctx context.Context, userID string) (bool, error)
}

// AccountExistence tells whether billing holds an account row for a user (billing/data).
type AccountExistence interface {
	AccountExists(ctx context.Context, userID string) (bool, error)
}

// AccountDirectory decides whether billing knows a user: one with a credit line (a new
// line has no billing account until its first statement or repayment), or one with a
// billing account but no line (books loaded in bulk, e.g. by huabeictl bench).
type AccountDirectory struct {
	lines    CreditLineDirectory
	accounts AccountExistence
}

// NewAccountDirectory builds the directory.
func NewAccountDirectory(lines CreditLineDirectory, accounts AccountExistence) *AccountDirectory {
	return &AccountDirectory{lines: lines, accounts: accounts}
}

// Require returns ErrAccountNotFound for a user billing does not know.
func (d *AccountDirectory) Require(ctx context.Context, userID string) error {
	ok, err := d.lines.HasCreditLine(ctx, userID)
	if err != nil || ok {
		return err
	}
	if ok, err = d.accounts.AccountExists(ctx, userID); err != nil || ok {
		return err
	}
	return ErrAccountNotFound.WithMetadata(map[string]string{"user_id": userID})
}
