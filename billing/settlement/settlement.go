package settlement

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/app/outbox"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// Settlement statuses. carried_forward is internal: a negative net waiting in the
// merchant's next settlement (never paid, not listed).
const (
	StatusPending        = "pending"
	StatusPaid           = "paid"
	StatusFailed         = "failed"
	StatusCarriedForward = "carried_forward"
)

var (
	// ErrSettlementNotFound is returned for a settlement id the merchant does not have (404).
	ErrSettlementNotFound = kerrors.NotFound("SETTLEMENT_NOT_FOUND", "no such settlement for this merchant")
	// ErrDateNotOver is returned by the job for a business date that is not over yet:
	// settlement is T+1 (422).
	ErrDateNotOver = kerrors.New(422, "BUSINESS_DATE_NOT_OVER", "a business date is settled only after it ends (T+1)")
	// ErrUnpaid is returned by the job when a settlement is still unpaid after its payout
	// attempts; the failed run is retried (a re-run pays what is left, never twice).
	ErrUnpaid = errors.New("settlement: settlements left unpaid after the channel declined them")
)

// Settlement is one merchant's payout for one business date.
type Settlement struct {
	ID           int64
	MerchantID   string
	BusinessDate clock.Date
	Totals
	Status    string
	Attempts  int
	LastError string
	PaidAt    time.Time // zero until paid
	CreatedAt time.Time
}

// Repo stores settlements (billing/data); it reads the date's captures and refunds.
type Repo interface {
	// MerchantsWithActivity lists merchants with a capture or refund dated date.
	MerchantsWithActivity(ctx context.Context, date clock.Date) ([]string, error)
	// ActivityLines are the merchant's capture and refund lines dated date.
	ActivityLines(ctx context.Context, merchantID string, date clock.Date) ([]Line, error)
	// CarriedForward lists the merchant's carried-forward settlements dated before date
	// that no later settlement took in yet.
	CarriedForward(ctx context.Context, merchantID string, before clock.Date) ([]Settlement, error)
	// Insert stores s with its lines unless the merchant already has the date's
	// settlement (inserted false); a line already in another settlement is an error.
	Insert(ctx context.Context, s Settlement, lines []Line) (inserted bool, err error)
	// Unpaid lists pending and failed settlements dated on or before date.
	Unpaid(ctx context.Context, through clock.Date) ([]Settlement, error)
	// Lock loads a settlement for update.
	Lock(ctx context.Context, id int64) (Settlement, error)
	// Update saves status, attempts, last error and paid time.
	Update(ctx context.Context, s Settlement) error
	// List pages the merchant's settlements, newest first (afterID 0: from the newest);
	// carried-forward ones are not listed.
	List(ctx context.Context, merchantID string, afterID int64, limit int) ([]Settlement, error)
	// Get returns the merchant's settlement (ErrSettlementNotFound otherwise).
	Get(ctx context.Context, merchantID string, id int64) (Settlement, error)
	// Lines returns a settlement's lines in file order.
	Lines(ctx context.Context, id int64) ([]Line, error)
	// PayableSubledger is, per merchant, Σ (captured − discount) − Σ (refunded − discount
	// returned) − Σ paid settlements: what merchant.payable must hold.
	PayableSubledger(ctx context.Context) (map[string]money.Amount, error)
}

// Channel pays merchants out (the payout side of the payment channel, billing/biz
// channel.go). Payout must be idempotent by ref: asking again with a ref that was paid
// returns success without paying twice.
type Channel interface {
	Payout(ctx context.Context, ref, merchantID string, amount money.Amount, attempt int) (ok bool, reason string, err error)
}

// Ledger posts the payout and reads merchant.payable.
type Ledger interface {
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, error)
	Balances(ctx context.Context, account string, owners []string) (map[string]money.Amount, error)
}

// Transactor runs fn in one transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// EventOutbox records settlement.paid in the payout's transaction.
type EventOutbox interface {
	Emit(ctx context.Context, events ...outbox.Event) error
}

// Progress is the job run's checkpoint (renews its lease).
type Progress interface {
	SaveCheckpoint(ctx context.Context, cp string, processedDelta int) error
}

// Options tune the use case.
type Options struct {
	// PayoutAttempts is how many times one run asks the channel (default 3).
	PayoutAttempts int
	// AfterPayout, when set, runs after the channel paid and before the payout is
	// recorded (crash tests kill the process there).
	AfterPayout func(paid int)
}

// UseCase settles merchants.
type UseCase struct {
	repo    Repo
	tx      Transactor
	channel Channel
	ledger  Ledger
	events  EventOutbox
	clock   clock.Clock
	opts    Options
	log     *log.Helper
	paid    int
}

// New builds the use case.
func New(repo Repo, tx Transactor, ch Channel, l Ledger, events EventOutbox, clk clock.Clock, opts Options, logger log.Logger) *UseCase {
	if opts.PayoutAttempts <= 0 {
		opts.PayoutAttempts = 3
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	return &UseCase{repo: repo, tx: tx, channel: ch, ledger: l, events: events, clock: clk, opts: opts,
		log: log.NewHelper(log.With(logger, "module", "billing/settlement"))}
}

// Run is the merchant_settlement job for date: it builds each active merchant's
// settlement (idempotent: one per merchant and date), then pays every unpaid settlement
// up to date. A crashed or failed run is simply run again.
func (uc *UseCase) Run(ctx context.Context, date clock.Date, p Progress) error {
	if !date.Before(clock.Today(uc.clock)) {
		return ErrDateNotOver.WithMetadata(map[string]string{"business_date": date.String()})
	}
	merchants, err := uc.repo.MerchantsWithActivity(ctx, date)
	if err != nil {
		return err
	}
	for _, m := range merchants {
		if err := uc.tx.InTx(ctx, func(ctx context.Context) error {
			if err := uc.build(ctx, m, date); err != nil {
				return err
			}
			return p.SaveCheckpoint(ctx, "built:"+m, 1)
		}); err != nil {
			return err
		}
	}
	unpaid, err := uc.repo.Unpaid(ctx, date)
	if err != nil {
		return err
	}
	left := 0
	for _, s := range unpaid {
		ok, err := uc.pay(ctx, s)
		if err != nil {
			return err
		}
		if !ok {
			left++
		}
	}
	if left > 0 {
		return fmt.Errorf("%w: %d", ErrUnpaid, left)
	}
	return nil
}

// build nets the merchant's date into its settlement (in the caller's transaction).
func (uc *UseCase) build(ctx context.Context, merchantID string, date clock.Date) error {
	lines, err := uc.repo.ActivityLines(ctx, merchantID, date)
	if err != nil {
		return err
	}
	carried, err := uc.repo.CarriedForward(ctx, merchantID, date)
	if err != nil {
		return err
	}
	for _, c := range carried {
		lines = append(lines, Line{Kind: LineCarryForward, SourceID: c.ID, MerchantOrderID: "settlement " + ids.String(c.ID), Amount: c.Net})
	}
	s := Settlement{ID: ids.New(), MerchantID: merchantID, BusinessDate: date, Totals: Net(lines), Status: StatusPending, CreatedAt: uc.clock.Now()}
	switch {
	case s.Net < 0:
		s.Status = StatusCarriedForward
	case s.Net == 0:
		s.Status, s.PaidAt = StatusPaid, s.CreatedAt // nothing to pay
	}
	inserted, err := uc.repo.Insert(ctx, s, lines)
	if err != nil || !inserted || s.Status != StatusPaid {
		return err
	}
	return uc.events.Emit(ctx, paidEvent(s))
}

// payoutRef is the channel reference of a settlement's payout: the same on every retry
// (and one per merchant and date), so the channel never pays it twice.
func payoutRef(s Settlement) string {
	return "settlement:" + s.MerchantID + ":" + strconv.Itoa(s.BusinessDate.Int())
}

// pay asks the channel up to PayoutAttempts times; ok false means it is still unpaid.
func (uc *UseCase) pay(ctx context.Context, s Settlement) (bool, error) {
	for i := 0; i < uc.opts.PayoutAttempts; i++ {
		attempt := s.Attempts + 1
		ok, reason, err := uc.channel.Payout(ctx, payoutRef(s), s.MerchantID, s.Net, attempt)
		if err != nil {
			return false, err
		}
		if ok {
			uc.paid++
			if uc.opts.AfterPayout != nil {
				uc.opts.AfterPayout(uc.paid)
			}
			return true, uc.recordPaid(ctx, s.ID, attempt)
		}
		s.Attempts, s.Status, s.LastError = attempt, StatusFailed, reason
		if err := uc.tx.InTx(ctx, func(ctx context.Context) error {
			cur, err := uc.repo.Lock(ctx, s.ID)
			if err != nil || cur.Status == StatusPaid {
				return err
			}
			return uc.repo.Update(ctx, s)
		}); err != nil {
			return false, err
		}
		uc.log.WithContext(ctx).Warnw("msg", "settlement payout declined", "settlement", s.ID, "merchant", s.MerchantID, "attempt", attempt, "reason", reason)
	}
	return false, nil
}

// recordPaid books a payout the channel made: Dr merchant.payable / Cr cash, status
// paid and settlement.paid, in one transaction; a settlement already paid is left alone.
func (uc *UseCase) recordPaid(ctx context.Context, id int64, attempt int) error {
	return uc.tx.InTx(ctx, func(ctx context.Context) error {
		s, err := uc.repo.Lock(ctx, id)
		if err != nil || s.Status == StatusPaid {
			return err
		}
		now := uc.clock.Now()
		if _, err := uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: "settlement:" + ids.String(s.ID) + ":payout", Type: "settlement.payout",
			Description: "settlement of " + s.BusinessDate.String() + " to merchant " + s.MerchantID, BusinessDate: clock.DateOf(now),
			Postings: []ledger.Posting{
				{Account: ledger.AccountMerchantPayable, Owner: s.MerchantID, Debit: true, Amount: s.Net},
				{Account: ledger.AccountCash, Amount: s.Net},
			}}); err != nil {
			return err
		}
		s.Status, s.Attempts, s.LastError, s.PaidAt = StatusPaid, attempt, "", now
		if err := uc.repo.Update(ctx, s); err != nil {
			return err
		}
		return uc.events.Emit(ctx, paidEvent(s))
	})
}

func paidEvent(s Settlement) outbox.Event {
	return outbox.New(outbox.SettlementPaid, s.MerchantID, map[string]any{
		"settlement_id": ids.String(s.ID), "merchant_id": s.MerchantID, "business_date": s.BusinessDate.String(),
		"gross_captured": s.GrossCaptured.String(), "refunds": s.Refunds.String(), "discount": s.Discount.String(),
		"net_amount": s.Net.String(), "payment_count": s.PaymentCount, "paid_at": s.PaidAt.Format(time.RFC3339),
	})
}

// List pages a merchant's settlements (newest first).
func (uc *UseCase) List(ctx context.Context, merchantID string, afterID int64, limit int) ([]Settlement, error) {
	return uc.repo.List(ctx, merchantID, afterID, limit)
}

// File returns a settlement and its lines (the CSV's rows).
func (uc *UseCase) File(ctx context.Context, merchantID string, id int64) (Settlement, []Line, error) {
	s, err := uc.repo.Get(ctx, merchantID, id)
	if err != nil {
		return Settlement{}, nil, err
	}
	lines, err := uc.repo.Lines(ctx, id)
	return s, lines, err
}

// Reconcile is the day-end check Σ merchant.payable = captures − discounts − refunds −
// settlements, per merchant.
func (uc *UseCase) Reconcile(ctx context.Context, _ clock.Date) ([]ledger.Difference, error) {
	sub, err := uc.repo.PayableSubledger(ctx)
	if err != nil {
		return nil, err
	}
	owners := make([]string, 0, len(sub))
	for m := range sub {
		owners = append(owners, m)
	}
	sort.Strings(owners)
	bals, err := uc.ledger.Balances(ctx, ledger.AccountMerchantPayable, owners)
	if err != nil {
		return nil, err
	}
	var diffs []ledger.Difference
	for _, m := range owners {
		if bals[m] != sub[m] {
			diffs = append(diffs, ledger.Difference{Check: "settlement", Account: ledger.AccountMerchantPayable, Owner: m, Ledger: bals[m], Subledger: sub[m]})
		}
	}
	return diffs, nil
}
