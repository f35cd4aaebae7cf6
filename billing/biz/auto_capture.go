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
	return uc.AutoCaptureWithProgress(ctx, businessDate, nil)
}

// AutoCaptureWithProgress is AutoCapture calling chunkDone, when set, after every chunk
// with how many of it were captured (the job runner records progress and renews its
// lease there). Captured and cancelled payments leave the set of due authorizations, so
// every chunk is read from the start of the index and no cursor is needed to resume.
func (uc *PaymentUseCase) AutoCaptureWithProgress(ctx context.Context, businessDate clock.Date,
	chunkDone func(ctx context.Context, captured int) error) (processed int, err error) {
	days := uc.cfg.AutoCaptureDays
	if days <= 0 {
		days = DefaultPaymentConfig().AutoCaptureDays
	}
	cutoff := businessDate.AddDays(-days)
	for {
		due, err := uc.repo.DueAuthorizations(ctx, cutoff, autoCaptureChunk)
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
				// cancelled or captured since the listing: out of the set as well
			case err != nil:
				return processed, err
			default:
				captured++
			}
		}
		processed += captured
		if chunkDone != nil && len(due) > 0 {
			if err := chunkDone(ctx, captured); err != nil {
				return processed, err
			}
		}
		if len(due) < autoCaptureChunk {
			return processed, nil
		}
	}
}
