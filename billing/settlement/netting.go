package settlement

import "github.com/huabei/huabei/app/money"

// Line kinds.
const (
	LineCapture      = "capture"       // a capture of the business date: + amount − discount
	LineRefund       = "refund"        // a refund of the business date: − amount + discount returned
	LineCarryForward = "carry_forward" // an earlier negative net (SourceID: that settlement)
)

// Line is one row of a settlement file. Amount and Discount carry the sign of their
// effect on the payout (a refund's are negative); Net = Amount − Discount.
type Line struct {
	Kind            string
	SourceID        int64 // payment id (capture), refund id (refund) or settlement id (carry)
	PaymentID       int64 // 0 for a carry
	MerchantOrderID string
	Amount          money.Amount
	Discount        money.Amount
}

// Net is what the line adds to the payout.
func (l Line) Net() money.Amount { return l.Amount - l.Discount }

// Totals are a settlement's figures.
type Totals struct {
	GrossCaptured money.Amount // Σ captured
	Refunds       money.Amount // Σ refunded (positive)
	Discount      money.Amount // discount kept: on captures less what refunds gave back
	Carried       money.Amount // earlier negative nets taken in (≤ 0)
	Net           money.Amount // GrossCaptured − Refunds − Discount + Carried = Σ line nets
	PaymentCount  int          // distinct payments among the lines
}

// Net sums lines into a settlement's totals. No rounding happens here: every amount was
// rounded where it was booked (capture discount half-up, refund share half-up), so the
// payout equals the sum of what the ledger credited the merchant, fen for fen.
func Net(lines []Line) Totals {
	var t Totals
	payments := map[int64]bool{}
	for _, l := range lines {
		switch l.Kind {
		case LineCapture:
			t.GrossCaptured += l.Amount
			t.Discount += l.Discount
		case LineRefund:
			t.Refunds -= l.Amount
			t.Discount += l.Discount
		case LineCarryForward:
			t.Carried += l.Net()
		}
		if l.PaymentID != 0 {
			payments[l.PaymentID] = true
		}
		t.Net += l.Net()
	}
	t.PaymentCount = len(payments)
	return t
}
