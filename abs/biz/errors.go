package biz

import "github.com/go-kratos/kratos/v2/errors"

var (
	// ErrPoolNotFound is returned when no pool has the requested id.
	ErrPoolNotFound = errors.NotFound("POOL_NOT_FOUND", "no pool with this id")
	// ErrPoolNotDraft is returned when an operation needs a draft pool (transfer of a cancelled pool).
	ErrPoolNotDraft = errors.Conflict("POOL_NOT_DRAFT", "the pool is not a draft")
	// ErrPoolNotTransferred is returned by servicing operations on a pool that was not sold.
	ErrPoolNotTransferred = errors.Conflict("POOL_NOT_TRANSFERRED", "the pool has not been transferred")
	// ErrTransferConflict is returned when a pool is already being (or was) sold to another buyer or price.
	ErrTransferConflict = errors.Conflict("POOL_TRANSFER_CONFLICT", "the pool is already transferred with another buyer or price")
	// ErrTransferIncomplete is returned when a transfer is completed while batches are still pending (a bug or a concurrent crash).
	ErrTransferIncomplete = errors.Conflict("POOL_TRANSFER_INCOMPLETE", "the pool transfer has batches still pending; retry")
	// ErrPoolEmpty is returned when a transfer is asked for a pool without assets.
	ErrPoolEmpty = errors.Conflict("POOL_EMPTY", "the pool has no assets")
	// ErrNotRevolving is returned by a revolving purchase outside the pool's revolving period.
	ErrNotRevolving = errors.Conflict("POOL_NOT_REVOLVING", "the pool is not in its revolving period")
	// ErrReportIdentity is returned when a servicer report's balance identity does not hold
	// (ending ≠ beginning − principal − defaults − buybacks + purchases): a servicing bug, never hidden.
	ErrReportIdentity = errors.InternalServer("REPORT_IDENTITY_BROKEN", "servicer report balance identity does not hold")
)
