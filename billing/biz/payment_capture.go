package biz

import (
	"context"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Capture captures amount of an open authorization (0: all of it), releases the rest of
// the hold, creates the purchase and books it: Dr receivable.principal:<user> amount,
// Cr merchant.payable:<merchant> amount − discount, Cr income.merchant_discount discount.
func (uc *PaymentUseCase) Capture(ctx context.Context, id int64, amount money.Amount, s Scope) (Payment, error) {
	now := uc.clock.Now()
	return uc.capture(ctx, id, amount, s, now, clock.DateOf(now))
}

func (uc *PaymentUseCase) capture(ctx context.Context, id int64, amount money.Amount, s Scope, now time.Time, date clock.Date) (Payment, error) {
	var out Payment
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.lockOwnPayment(ctx, id, s)
		if err != nil {
			return err
		}
		if p.Status != PaymentAuthorized {
			return ErrPaymentNotAuthorized.WithMetadata(map[string]string{"status": p.Status})
		}
		c := amount
		if c == 0 {
			c = p.Amount
		}
		if c < 0 || c > p.Amount {
			return ErrCaptureExceedsAuthorized.WithMetadata(map[string]string{"authorized": p.Amount.String()})
		}
		if c != p.Amount { // the authorized amount passed the check at authorization
			if err := checkCheckoutInstallments(uc.cfg.Installments, c, p.Installments, "amount"); err != nil {
				return err
			}
		}
		if err := uc.credit.CaptureHold(ctx, p.UserID, p.Amount, c); err != nil {
			return err
		}
		discount := c.MulRate(uc.cfg.discountRate(p.MerchantCategory), money.HalfUp)
		p.Status = PaymentCaptured
		p.CapturedAmount = c
		p.DiscountAmount = discount
		p.CapturedAt = now
		p.CaptureDate = date
		p.UpdatedAt = now
		if err := uc.repo.UpdatePayment(ctx, p); err != nil {
			return err
		}
		pu := Purchase{
			ID: ids.New(), UserID: p.UserID, PaymentID: p.ID, MerchantID: p.MerchantID, Amount: c,
			PrincipalOutstanding: c, CaptureDate: date, Installments: p.Installments, Owner: OwnerLender, CreatedAt: now,
		}
		if err := uc.repo.InsertPurchase(ctx, pu); err != nil {
			return err
		}
		postings := []ledger.Posting{{Account: ledger.AccountReceivablePrincipal, Owner: p.UserID, Debit: true, Amount: c}}
		postings = appendPosting(postings, ledger.AccountMerchantPayable, p.MerchantID, false, c-discount)
		postings = appendPosting(postings, ledger.AccountIncomeMerchantDiscount, "", false, discount)
		if _, err := uc.ledger.Post(ctx, ledger.Entry{
			IdempotencyID: captureEntryID(p.ID), Type: "payment.capture",
			Description: "capture of payment " + formatID(p.ID), BusinessDate: date, Postings: postings,
		}); err != nil {
			return err
		}
		if uc.captureHook != nil {
			planID, err := uc.captureHook.PurchaseCaptured(ctx, pu)
			if err != nil {
				return err
			}
			if planID != 0 {
				if err := uc.repo.SetPurchasePlan(ctx, pu.UserID, pu.ID, planID); err != nil {
					return err
				}
				p.PlanID = planID
			}
		}
		out = p
		return uc.events.Emit(ctx, paymentEvent(outbox.PaymentCaptured, p, nil))
	})
	if err != nil {
		return Payment{}, err
	}
	paymentsTotal.WithLabelValues(PaymentCaptured, "").Inc()
	return out, nil
}

// appendPosting adds a posting unless its amount is zero (the ledger refuses those).
func appendPosting(ps []ledger.Posting, account, owner string, debit bool, a money.Amount) []ledger.Posting {
	if a == 0 {
		return ps
	}
	return append(ps, ledger.Posting{Account: account, Owner: owner, Debit: debit, Amount: a})
}
