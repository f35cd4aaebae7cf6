package biz

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Payment statuses (API.md).
const (
	PaymentAuthorized = "authorized"
	PaymentDeclined   = "declined"
	PaymentCaptured   = "captured"
	PaymentCancelled  = "cancelled"
	PaymentRefunded   = "refunded"
)

// OwnerLender is the owner of a purchase the lender keeps (the asset center replaces it
// with a pool id when it sells the purchase).
const OwnerLender = "lender"

// Payment is one checkout payment. Zero times and dates mean "not yet".
type Payment struct {
	ID               int64
	UserID           string
	MerchantID       string
	MerchantOrderID  string
	Amount           money.Amount
	CapturedAmount   money.Amount
	RefundedAmount   money.Amount
	DiscountAmount   money.Amount // merchant discount booked at capture
	RefundedDiscount money.Amount // part of DiscountAmount given back by refunds
	Status           string
	DeclineReason    string
	MerchantCategory string
	Installments     int
	Description      string
	AuthorizedDate   clock.Date
	AuthorizedAt     time.Time
	CapturedAt       time.Time
	CaptureDate      clock.Date
	CancelledAt      time.Time
	UpdatedAt        time.Time
	// PlanID is the installment plan of the purchase (0: none); read from the purchase.
	PlanID int64
}

// Purchase is the receivable a capture creates: billing bills it by capture date, the
// installments engine may turn it into a plan, the asset center may sell it.
type Purchase struct {
	ID                   int64
	UserID               string
	PaymentID            int64
	MerchantID           string
	Amount               money.Amount // captured principal
	RefundedAmount       money.Amount
	PrincipalOutstanding money.Amount
	CaptureDate          clock.Date
	Installments         int
	StatementID          int64 // 0 until billed
	PlanID               int64 // 0 unless converted to installments
	Owner                string
	CreatedAt            time.Time
}

// Refund is one (partial) refund of a captured payment. ToPrincipal reduced the
// purchase's outstanding principal; ToCreditBalance became customer credit balance.
type Refund struct {
	ID               int64
	UserID           string
	PaymentID        int64
	MerchantID       string
	PurchaseID       int64
	Amount           money.Amount
	ToPrincipal      money.Amount
	ToCreditBalance  money.Amount
	DiscountReturned money.Amount
	Reason           string
	Status           string
	RefundDate       clock.Date
	CreatedAt        time.Time
}

// RefundSucceeded is the status of a booked refund.
const RefundSucceeded = "succeeded"

// PaymentRepo stores payments, purchases and refunds. Every method runs in the
// transaction carried by ctx, if any.
type PaymentRepo interface {
	// InsertPayment inserts p; inserted=false (and nothing written) when the merchant
	// already has a payment with p.MerchantOrderID.
	InsertPayment(ctx context.Context, p Payment) (inserted bool, err error)
	// PaymentByOrder loads a merchant's payment by its order id, reading the latest
	// committed row (a locking read), or returns ErrPaymentNotFound.
	PaymentByOrder(ctx context.Context, merchantID, merchantOrderID string) (Payment, error)
	// Payment loads a payment with its purchase's plan id, locking the row when
	// forUpdate, or returns ErrPaymentNotFound.
	Payment(ctx context.Context, id int64, forUpdate bool) (Payment, error)
	// UpdatePayment writes the mutable fields of p (status, amounts, discount, times).
	UpdatePayment(ctx context.Context, p Payment) error
	// DueAuthorizations lists up to limit payments still authorized with an authorization
	// date on or before date, oldest first (one index range, no sort).
	DueAuthorizations(ctx context.Context, date clock.Date, limit int) ([]int64, error)
	// InsertPurchase inserts the purchase of a capture.
	InsertPurchase(ctx context.Context, p Purchase) error
	// PurchaseByPayment loads the purchase of a payment (locking it when forUpdate) or
	// returns ErrPurchaseNotFound.
	PurchaseByPayment(ctx context.Context, paymentID int64, forUpdate bool) (Purchase, error)
	// UpdatePurchaseRefund writes RefundedAmount and PrincipalOutstanding of p.
	UpdatePurchaseRefund(ctx context.Context, p Purchase) error
	// SetPurchasePlan records the installment plan a purchase was converted into.
	SetPurchasePlan(ctx context.Context, userID string, purchaseID, planID int64) error
	// InsertRefund inserts a refund.
	InsertRefund(ctx context.Context, r Refund) error
	// Refunds lists the refunds of a payment, oldest first.
	Refunds(ctx context.Context, paymentID int64) ([]Refund, error)
}

// Transactor runs fn in one database transaction carried by ctx; nested calls join the
// outer one (satisfied by *data.Data).
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// CreditAuthRequest asks the credit domain to run its risk rules and hold Amount on the
// user's line.
type CreditAuthRequest struct {
	UserID           string
	MerchantID       string
	MerchantCategory string
	Amount           money.Amount
	PaymentID        int64
}

// CreditAuthDecision is the credit domain's answer; Reason is a stable code when declined.
type CreditAuthDecision struct {
	Approved bool
	Reason   string
}

// CreditLines is what payments need of the credit domain. Every call joins the caller's
// transaction.
type CreditLines interface {
	// Authorize runs the risk rules and, when approved, holds the amount on the line.
	Authorize(ctx context.Context, r CreditAuthRequest) (CreditAuthDecision, error)
	// CaptureHold turns captured of a held amount into outstanding principal and releases
	// the rest of the hold.
	CaptureHold(ctx context.Context, userID string, held, captured money.Amount) error
	// ReleaseHold releases an authorization hold.
	ReleaseHold(ctx context.Context, userID string, amount money.Amount) error
	// ReleaseOutstanding frees outstanding principal (refunds).
	ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount) error
}

// Ledger posts journal entries in the caller's transaction (billing/ledger).
type Ledger interface {
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, error)
}

// CaptureHook is told about every purchase inside the capture transaction (the
// installments engine turns a requested number of installments into a plan). It returns
// the plan id it created, or 0. An error rolls the capture back.
type CaptureHook interface {
	PurchaseCaptured(ctx context.Context, p Purchase) (planID int64, err error)
}

// RefundHook is told about every refund inside the refund transaction, with the purchase
// as it was before the refund (installments re-spread or cancel the plan). An error rolls
// the refund back.
type RefundHook interface {
	PurchaseRefunded(ctx context.Context, before Purchase, r Refund) error
}

// Scope limits what a caller may touch: a merchant only its own payments. The zero
// Scope (operations, jobs) may touch every payment.
type Scope struct {
	MerchantID string
}

func (s Scope) check(p Payment) error {
	if s.MerchantID != "" && s.MerchantID != p.MerchantID {
		return ErrPaymentForbidden
	}
	return nil
}

// PaymentConfig is the payments section of the configuration.
type PaymentConfig struct {
	// AutoCaptureDays: authorizations this many days old are captured by the job.
	AutoCaptureDays int
	// DiscountRate is the merchant discount rate of categories without their own.
	DiscountRate decimal.Decimal
	// CategoryDiscountRates override DiscountRate per merchant category.
	CategoryDiscountRates map[string]decimal.Decimal
	// Categories are the accepted merchant categories (empty: any).
	Categories []string
	// DefaultCategory is used when a request names none.
	DefaultCategory string
	// Installments are the installment products (the `installments:` section): checkout
	// refuses installments a purchase cannot have instead of capturing a single payment.
	Installments *installment.Catalog
}

// DefaultPaymentConfig returns the product defaults of DESIGN §5.
func DefaultPaymentConfig() PaymentConfig {
	return PaymentConfig{
		AutoCaptureDays: 10,
		DiscountRate:    decimal.RequireFromString("0.006"),
		DefaultCategory: "general",
		Installments:    mustCatalog(installment.DefaultConfig()),
	}
}

// discountRate returns the merchant discount rate of a category.
func (c PaymentConfig) discountRate(category string) decimal.Decimal {
	if r, ok := c.CategoryDiscountRates[category]; ok {
		return r
	}
	return c.DiscountRate
}

func (c PaymentConfig) knownCategory(category string) bool {
	if len(c.Categories) == 0 {
		return true
	}
	for _, k := range c.Categories {
		if k == category {
			return true
		}
	}
	return false
}
