package biz

import "github.com/go-kratos/kratos/v2/errors"

// Domain errors of the ledger. Compare with errors.Is; details travel in metadata.
var (
	// ErrUnbalanced is returned by Post when the debits of an entry do not equal its credits.
	ErrUnbalanced = errors.BadRequest("LEDGER_UNBALANCED", "journal entry debits and credits differ")
	// ErrInvalidAmount is returned by Post when a posting amount is zero, negative or above money.MaxAmount.
	ErrInvalidAmount = errors.BadRequest("LEDGER_INVALID_AMOUNT", "posting amount must be a positive number of fen")
	// ErrEmptyEntry is returned by Post for an entry without postings, or with debits or credits only.
	ErrEmptyEntry = errors.BadRequest("LEDGER_EMPTY_ENTRY", "journal entry needs at least one debit and one credit")
	// ErrUnknownAccount is returned for an account code that is not in the chart of accounts.
	ErrUnknownAccount = errors.BadRequest("LEDGER_UNKNOWN_ACCOUNT", "unknown ledger account")
	// ErrInvalidOwner is returned when a per-owner account (receivable.principal) has no
	// owner, or an owner is longer than MaxOwnerLen.
	ErrInvalidOwner = errors.BadRequest("LEDGER_INVALID_OWNER", "invalid ledger account owner")
	// ErrInvalidEntry is returned by Post for a missing or over-long idempotency id, type or
	// description, a missing business date, or more than MaxPostings postings.
	ErrInvalidEntry = errors.BadRequest("LEDGER_INVALID_ENTRY", "invalid journal entry")
	// ErrIdempotencyConflict is returned by Post when an entry with the same idempotency id
	// was posted before with different postings.
	ErrIdempotencyConflict = errors.Conflict("LEDGER_IDEMPOTENCY_CONFLICT", "idempotency id already used for different postings")
	// ErrBalanceBelowFloor is returned by Post when an entry would take an account flagged
	// with a lower bound (AccountDef.Floor) below zero.
	ErrBalanceBelowFloor = errors.Conflict("LEDGER_BALANCE_BELOW_FLOOR", "entry would take the account balance below zero")
	// ErrCapacityExceeded is returned by Post when the entry would take the ledger's total
	// volume (the sum of all debits, which bounds every balance, every shard of a hot
	// account and every aggregate: trial-balance totals, funding sums) beyond MaxVolume,
	// where sums of balances would no longer fit the 64-bit columns. Nothing is written.
	ErrCapacityExceeded = errors.New(422, "LEDGER_CAPACITY_EXCEEDED", "the books cannot hold this amount: the ledger's total volume would exceed its representable range")
	// ErrEntryNotFound is returned by Repo lookups of an entry that does not exist.
	ErrEntryNotFound = errors.NotFound("LEDGER_ENTRY_NOT_FOUND", "journal entry not found")
	// ErrInvalidCursor is returned by Entries for a cursor it did not hand out.
	ErrInvalidCursor = errors.BadRequest("LEDGER_INVALID_CURSOR", "invalid page cursor")
	// ErrInvalidDate is returned by reads given a zero business date.
	ErrInvalidDate = errors.BadRequest("LEDGER_INVALID_DATE", "business date is required")
)
