package biz

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
)

// PaymentUseCase authorizes, captures, cancels and refunds checkout payments.
type PaymentUseCase struct {
	repo   PaymentRepo
	tx     Transactor
	credit CreditLines
	ledger Ledger
	clock  clock.Clock
	cfg    PaymentConfig
	log    *log.Helper

	captureHook CaptureHook
	refundHook  RefundHook
	accounts    AccountLocker
	collections CollectionsHook
	events      EventOutbox
}

// SetCollectionsHook routes the principal a refund takes off a purchase that a pool owns
// to that pool (a dilution the lender owes the SPV, like a collection).
func (uc *PaymentUseCase) SetCollectionsHook(h CollectionsHook) { uc.collections = h }

// AccountLocker takes billing's per-user lock. A refund takes it before it touches a
// purchase's principal, the way a repayment does, so the two serialize instead of one
// failing on principal the other just moved.
type AccountLocker interface {
	LockInstallmentAccount(ctx context.Context, userID string) error
}

// SetAccountLocker installs billing's per-user lock (wiring; nil in unit tests).
func (uc *PaymentUseCase) SetAccountLocker(l AccountLocker) { uc.accounts = l }

// NewPaymentUseCase builds the use case.
func NewPaymentUseCase(repo PaymentRepo, tx Transactor, credit CreditLines, l Ledger, events EventOutbox, clk clock.Clock, cfg PaymentConfig, logger log.Logger) *PaymentUseCase {
	if logger == nil {
		logger = log.DefaultLogger
	}
	if cfg.DefaultCategory == "" {
		cfg.DefaultCategory = DefaultPaymentConfig().DefaultCategory
	}
	if cfg.Installments == nil {
		cfg.Installments = DefaultPaymentConfig().Installments
	}
	return &PaymentUseCase{repo: repo, tx: tx, credit: credit, ledger: l, events: events, clock: clk, cfg: cfg,
		log: log.NewHelper(log.With(logger, "module", "billing/payments"))}
}

// SetCaptureHook installs the capture hook (wiring, before serving).
func (uc *PaymentUseCase) SetCaptureHook(h CaptureHook) { uc.captureHook = h }

// SetRefundHook installs the refund hook (wiring, before serving).
func (uc *PaymentUseCase) SetRefundHook(h RefundHook) { uc.refundHook = h }

// Config returns the configuration in use.
func (uc *PaymentUseCase) Config() PaymentConfig { return uc.cfg }

// AuthorizeRequest is a merchant's request to be paid from a shopper's line.
type AuthorizeRequest struct {
	UserID           string
	MerchantID       string
	MerchantOrderID  string
	Amount           money.Amount
	MerchantCategory string // "" → configured default
	Installments     int    // 0, 3, 6, 9 or 12
	Description      string
}

// Authorize runs the credit risk rules, holds the amount and records the payment in one
// transaction (the caller's, if any). A decline is a recorded payment with status
// declined, not an error. A repeated (merchant, order id) returns the first payment and
// changes nothing.
func (uc *PaymentUseCase) Authorize(ctx context.Context, r AuthorizeRequest) (Payment, error) {
	if r.MerchantCategory == "" {
		r.MerchantCategory = uc.cfg.DefaultCategory
	}
	if !uc.cfg.knownCategory(r.MerchantCategory) {
		return Payment{}, ErrUnknownMerchantCategory
	}
	if err := checkCheckoutInstallments(uc.cfg.Installments, r.Amount, r.Installments, "installments"); err != nil {
		return Payment{}, err
	}
	start := time.Now()
	now := uc.clock.Now()
	base := Payment{
		ID: ids.New(), UserID: r.UserID, MerchantID: r.MerchantID, MerchantOrderID: r.MerchantOrderID,
		Amount: r.Amount, MerchantCategory: r.MerchantCategory, Installments: r.Installments,
		Description: r.Description, AuthorizedDate: clock.DateOf(now), AuthorizedAt: now, UpdatedAt: now,
	}
	var out Payment
	var repeat bool
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p := base
		p.Status = PaymentAuthorized
		// Insert first: a repeated order stops here without touching the line.
		inserted, err := uc.repo.InsertPayment(ctx, p)
		if err != nil {
			return err
		}
		if !inserted {
			out, err = uc.repo.PaymentByOrder(ctx, r.MerchantID, r.MerchantOrderID)
			repeat = true
			return err
		}
		repeat = false
		dec, err := uc.credit.Authorize(ctx, CreditAuthRequest{
			UserID: p.UserID, MerchantID: p.MerchantID, MerchantCategory: p.MerchantCategory, Amount: p.Amount, PaymentID: p.ID,
		})
		if err != nil {
			return err
		}
		if !dec.Approved {
			p.Status = PaymentDeclined
			p.DeclineReason = dec.Reason
			if err := uc.repo.UpdatePayment(ctx, p); err != nil {
				return err
			}
		}
		out = p
		return uc.events.Emit(ctx, authorizationEvent(p))
	})
	if err != nil {
		return Payment{}, err
	}
	if !repeat {
		authorizeSeconds.Observe(time.Since(start).Seconds())
		paymentsTotal.WithLabelValues(out.Status, out.DeclineReason).Inc()
	}
	return out, nil
}

// lockOwnPayment loads a payment for update inside the caller's transaction and checks
// the caller may act on it (capture, cancel, refund).
func (uc *PaymentUseCase) lockOwnPayment(ctx context.Context, id int64, s Scope) (Payment, error) {
	p, err := uc.repo.Payment(ctx, id, true)
	if err != nil {
		return Payment{}, err
	}
	if err := s.check(p); err != nil {
		return Payment{}, err
	}
	return p, nil
}

// Get returns a payment the caller may see.
func (uc *PaymentUseCase) Get(ctx context.Context, id int64, s Scope) (Payment, error) {
	p, err := uc.repo.Payment(ctx, id, false)
	if err != nil {
		return Payment{}, err
	}
	if err := s.check(p); err != nil {
		return Payment{}, err
	}
	return p, nil
}

// Cancel voids an open authorization and releases its hold.
func (uc *PaymentUseCase) Cancel(ctx context.Context, id int64, s Scope) (Payment, error) {
	now := uc.clock.Now()
	var out Payment
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.lockOwnPayment(ctx, id, s)
		if err != nil {
			return err
		}
		if p.Status != PaymentAuthorized {
			return ErrPaymentNotAuthorized.WithMetadata(map[string]string{"status": p.Status})
		}
		if err := uc.credit.ReleaseHold(ctx, p.UserID, p.Amount); err != nil {
			return err
		}
		p.Status = PaymentCancelled
		p.CancelledAt = now
		p.UpdatedAt = now
		if err := uc.repo.UpdatePayment(ctx, p); err != nil {
			return err
		}
		out = p
		return uc.events.Emit(ctx, paymentEvent(outbox.PaymentCancelled, p, nil))
	})
	if err != nil {
		return Payment{}, err
	}
	paymentsTotal.WithLabelValues(PaymentCancelled, "").Inc()
	return out, nil
}

func captureEntryID(paymentID int64) string {
	return "payment:" + strconv.FormatInt(paymentID, 10) + ":capture"
}

func refundEntryID(paymentID, refundID int64) string {
	return fmt.Sprintf("payment:%d:refund:%d", paymentID, refundID)
}
