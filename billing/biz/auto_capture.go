package biz

import (
	"context"
	"errors"

	"github.com/huabei/huabei/app/clock"
)

// autoCaptureChunk is how many due authorizations are listed per query; each is then
// captured in its own short transaction.
const autoCaptureChunk = 100

// AutoCapture captures in full every authorization still open AutoCaptureDays after its
// business date, booking the captures on businessDate. Each payment is its own
// transaction, so a crash loses nothing and a re-run captures only what is left: a
// completed run repeated is a no-op. It returns how many payments it captured.
func (uc *PaymentUseCase) AutoCapture(ctx context.Context, businessDate clock.Date) (processed int, err error) {
	return uc.AutoCaptureFrom(ctx, businessDate, 0, nil)
}

// AutoCaptureFrom is AutoCapture resuming after payment id afterID (a job checkpoint);
// chunkDone, when set, is called after every chunk with the last payment id examined and
// how many of the chunk were captured (the job runner saves its checkpoint there).
func (uc *PaymentUseCase) AutoCaptureFrom(ctx context.Context, businessDate clock.Date, afterID int64,
	chunkDone func(ctx context.Context, lastID int64, captured int) error) (processed int, err error) {
	days := uc.cfg.AutoCaptureDays
	if days <= 0 {
		days = DefaultPaymentConfig().AutoCaptureDays
	}
	cutoff := businessDate.AddDays(-days)
	after := afterID
	for {
		due, err := uc.repo.DueAuthorizations(ctx, cutoff, after, autoCaptureChunk)
		if err != nil {
			return processed, err
		}
		captured := 0
		for _, id := range due {
			if err := ctx.Err(); err != nil {
				return processed, err
			}
			_, err := uc.capture(ctx, id, 0, Scope{}, uc.clock.Now(), businessDate)
			switch {
			case errors.Is(err, ErrPaymentNotAuthorized):
				// cancelled or captured since the listing
			case err != nil:
				return processed, err
			default:
				captured++
			}
			after = id
		}
		processed += captured
		if chunkDone != nil && len(due) > 0 {
			if err := chunkDone(ctx, after, captured); err != nil {
				return processed, err
			}
		}
		if len(due) < autoCaptureChunk {
			return processed, nil
		}
	}
}
