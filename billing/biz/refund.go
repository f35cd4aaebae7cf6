package biz

import (
	"context"
	"math/big"
	"strconv"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// RefundRequest refunds part or all of a captured payment.
type RefundRequest struct {
	PaymentID int64
	Amount    money.Amount
	Reason    string
}

// Refund returns amount of a captured payment to the shopper. It first reduces the
// purchase's outstanding principal (freeing the line), and any excess (the purchase was
// already repaid) becomes customer credit balance. The merchant gives back the amount
// less its pro-rata share of the discount. A refund above captured − refunded changes
// nothing and fails with ErrRefundExceedsCaptured.
func (uc *PaymentUseCase) Refund(ctx context.Context, r RefundRequest, s Scope) (Refund, Payment, error) {
	now := uc.clock.Now()
	date := clock.DateOf(now)
	refundID := ids.New()
	var out Refund
	var outP Payment
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.lockOwnPayment(ctx, r.PaymentID, s)
		if err != nil {
			return err
		}
		if uc.accounts != nil {
			if err := uc.accounts.LockInstallmentAccount(ctx, p.UserID); err != nil {
				return err
			}
		}
		if p.Status != PaymentCaptured && p.Status != PaymentRefunded {
			return ErrPaymentNotCaptured.WithMetadata(map[string]string{"status": p.Status})
		}
		refundable := p.CapturedAmount - p.RefundedAmount
		if r.Amount <= 0 || r.Amount > refundable {
			return ErrRefundExceedsCaptured.WithMetadata(map[string]string{"refundable": refundable.String()})
		}
		pu, err := uc.repo.PurchaseByPayment(ctx, p.ID, true)
		if err != nil {
			return err
		}
		before := pu
		toPrincipal := money.Min(r.Amount, pu.PrincipalOutstanding)
		toCredit := r.Amount - toPrincipal
		refunded := p.RefundedAmount + r.Amount
		discountBack := CumulativeDiscount(p.DiscountAmount, refunded, p.CapturedAmount) - p.RefundedDiscount

		if toPrincipal > 0 {
			if err := uc.credit.ReleaseOutstanding(ctx, p.UserID, toPrincipal); err != nil {
				return err
			}
		}
		var postings []ledger.Posting
		postings = appendPosting(postings, ledger.AccountMerchantPayable, p.MerchantID, true, r.Amount-discountBack)
		postings = appendPosting(postings, ledger.AccountIncomeMerchantDiscount, "", true, discountBack)
		postings = appendPosting(postings, ledger.AccountReceivablePrincipal, p.UserID, false, toPrincipal)
		postings = appendPosting(postings, ledger.AccountCustomerCreditBalance, p.UserID, false, toCredit)
		if uc.collections != nil && toPrincipal > 0 && pu.Owner != "" && pu.Owner != OwnerLender {
			ps, err := uc.collections.PrincipalCollected(ctx, BilledPurchase{ID: pu.ID, PaymentID: pu.PaymentID, MerchantID: pu.MerchantID,
				Amount: pu.Amount, Outstanding: pu.PrincipalOutstanding, StatementID: pu.StatementID, Owner: pu.Owner}, toPrincipal)
			if err != nil {
				return err
			}
			postings = append(postings, ps...)
		}
		if _, err := uc.ledger.Post(ctx, ledger.Entry{
			IdempotencyID: refundEntryID(p.ID, refundID), Type: "payment.refund",
			Description: "refund of payment " + formatID(p.ID), BusinessDate: date, Postings: postings,
		}); err != nil {
			return err
		}
		pu.RefundedAmount += r.Amount
		pu.PrincipalOutstanding -= toPrincipal
		if err := uc.repo.UpdatePurchaseRefund(ctx, pu); err != nil {
			return err
		}
		p.RefundedAmount = refunded
		p.RefundedDiscount += discountBack
		if p.RefundedAmount == p.CapturedAmount {
			p.Status = PaymentRefunded
		}
		p.UpdatedAt = now
		if err := uc.repo.UpdatePayment(ctx, p); err != nil {
			return err
		}
		rf := Refund{
			ID: refundID, UserID: p.UserID, PaymentID: p.ID, MerchantID: p.MerchantID, PurchaseID: pu.ID,
			Amount: r.Amount, ToPrincipal: toPrincipal, ToCreditBalance: toCredit, DiscountReturned: discountBack,
			Reason: r.Reason, Status: RefundSucceeded, RefundDate: date, CreatedAt: now,
		}
		if err := uc.repo.InsertRefund(ctx, rf); err != nil {
			return err
		}
		if uc.refundHook != nil {
			if err := uc.refundHook.PurchaseRefunded(ctx, before, rf); err != nil {
				return err
			}
		}
		out, outP = rf, p
		return uc.events.Emit(ctx, paymentEvent(outbox.PaymentRefunded, p, &rf))
	})
	if err != nil {
		return Refund{}, Payment{}, err
	}
	paymentsTotal.WithLabelValues("refund", "").Inc()
	if outP.Status == PaymentRefunded {
		paymentsTotal.WithLabelValues(PaymentRefunded, "").Inc()
	}
	return out, outP, nil
}

// Refunds lists the refunds of a payment the caller may see.
func (uc *PaymentUseCase) Refunds(ctx context.Context, paymentID int64, s Scope) ([]Refund, error) {
	if _, err := uc.Get(ctx, paymentID, s); err != nil {
		return nil, err
	}
	return uc.repo.Refunds(ctx, paymentID)
}

// CumulativeDiscount is the part of a capture's merchant discount that belongs to the
// first refunded fen of captured: discount × refunded / captured, rounded half-up. It
// grows with refunded and equals discount when everything is refunded, so posting the
// difference per refund never returns more than the discount in total.
func CumulativeDiscount(discount, refunded, captured money.Amount) money.Amount {
	if captured <= 0 || refunded <= 0 || discount <= 0 {
		return 0
	}
	if refunded >= captured {
		return discount
	}
	// exact integers: (2·d·r + c) / (2c) is d·r/c rounded half-up for non-negative values
	n := new(big.Int).Mul(big.NewInt(int64(discount)), big.NewInt(int64(refunded)))
	n.Mul(n, big.NewInt(2))
	n.Add(n, big.NewInt(int64(captured)))
	q := n.Quo(n, new(big.Int).Mul(big.NewInt(int64(captured)), big.NewInt(2)))
	return money.Amount(q.Int64())
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
