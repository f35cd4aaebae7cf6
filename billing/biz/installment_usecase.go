package biz

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
	ledger "github.com/huabei/huabei/billing/ledger/biz"
)

// InstallmentRequest asks for a quote or a plan: exactly one of PaymentID (交易分期) and
// StatementPeriod (账单分期).
type InstallmentRequest struct {
	UserID          string
	PaymentID       int64
	StatementPeriod string
	Terms           int
}

// StatementInstallmentBiller puts the first period of a statement plan on the statement it
// converts (账单分期: period 1 is due on that statement's due date): the statement no longer
// owes the converted principal but owes period 1's principal and fee. Implemented by billing.
type StatementInstallmentBiller interface {
	// LockInstallmentAccount takes billing's per-user lock (first, before any plan row).
	LockInstallmentAccount(ctx context.Context, userID string) error
	BillStatementInstallment(ctx context.Context, userID string, statementID, planID int64, terms int, converted, principal, fee money.Amount) error
}

// InstallmentUseCase quotes and creates installment plans, bills their periods on
// statements, takes repayments and payoffs and applies refunds.
type InstallmentUseCase struct {
	repo         InstallmentRepo
	payments     PaymentRepo
	tx           Transactor
	ledger       Ledger
	collections  CollectionsHook
	clock        clock.Clock
	catalog      *installment.Catalog
	cfg          InstallmentConfig
	statementDay int
	dueDay       int
	biller       StatementInstallmentBiller
	events       EventOutbox
	log          *log.Helper
}

// NewInstallmentUseCase builds the use case; statementDay and dueDay are billing's cycle.
func NewInstallmentUseCase(repo InstallmentRepo, payments PaymentRepo, tx Transactor, l Ledger, events EventOutbox, clk clock.Clock,
	cfg InstallmentConfig, statementDay, dueDay int, logger log.Logger) (*InstallmentUseCase, error) {
	cat, err := installment.NewCatalog(cfg.Config)
	if err != nil {
		return nil, err
	}
	if statementDay <= 0 || statementDay > 28 {
		statementDay = 1
	}
	if dueDay <= statementDay {
		dueDay = statementDay + 9
	}
	if logger == nil {
		logger = log.DefaultLogger
	}
	return &InstallmentUseCase{repo: repo, payments: payments, tx: tx, ledger: l, events: events, clock: clk, catalog: cat, cfg: cfg,
		statementDay: statementDay, dueDay: dueDay, log: log.NewHelper(log.With(logger, "module", "installments"))}, nil
}

// SetStatementBiller installs billing's statement adjustment for statement plans (wiring).
func (uc *InstallmentUseCase) SetStatementBiller(b StatementInstallmentBiller) { uc.biller = b }

// dueDateOf is the due date of the statement dated s.
func (uc *InstallmentUseCase) dueDateOf(s clock.Date) clock.Date {
	return s.AddDays(uc.dueDay - uc.statementDay)
}

// firstStatementAfter is the date of the statement that bills a capture on d.
func (uc *InstallmentUseCase) firstStatementAfter(d clock.Date) clock.Date {
	s := clock.NewDate(d.Year(), d.Month(), uc.statementDay)
	if !s.After(d) {
		s = s.AddMonths(1)
	}
	return s
}

// Quote prices converting a purchase or statement without writing anything.
func (uc *InstallmentUseCase) Quote(ctx context.Context, r InstallmentRequest) (InstallmentPlan, error) {
	p, _, _, err := uc.build(ctx, r, clock.Today(uc.clock), false)
	return p, err
}

// CreatePlan converts a purchase or statement into a plan in the caller's transaction.
func (uc *InstallmentUseCase) CreatePlan(ctx context.Context, r InstallmentRequest) (InstallmentPlan, error) {
	var out InstallmentPlan
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		today := clock.Today(uc.clock)
		// Billing's lock first: a statement run must not bill the purchase being converted.
		if uc.biller != nil {
			if err := uc.biller.LockInstallmentAccount(ctx, r.UserID); err != nil {
				return err
			}
		}
		p, purchases, stmt, err := uc.build(ctx, r, today, true)
		if err != nil {
			return err
		}
		p.ID = ids.New()
		if p.Source == PlanSourceStatement {
			// Period 1 is due on the converted statement itself.
			p.Periods[0].StatementID, p.Periods[0].BilledDate = stmt.ID, today
			p.PeriodsBilled = 1
		}
		ok, err := uc.repo.InsertPlan(ctx, p)
		if err != nil {
			return err
		}
		if !ok {
			return ErrAlreadyInstallments
		}
		idsOf := make([]int64, len(purchases))
		for i, pu := range purchases {
			idsOf[i] = pu.ID
		}
		if err := uc.repo.AssignPurchases(ctx, r.UserID, idsOf, p.ID); err != nil {
			return err
		}
		if p.Source == PlanSourceStatement {
			first := p.Periods[0]
			if err := uc.postFees(ctx, p.UserID, fmt.Sprintf("plan:%d:period:1:fee", p.ID), "installment fee billed on statement "+stmt.Period, today, first.Fee); err != nil {
				return err
			}
			if err := uc.repo.AddStatementInstallment(ctx, p.UserID, stmt.ID, first.Principal+first.Fee, first.Fee); err != nil {
				return err
			}
			if uc.biller != nil {
				if err := uc.biller.BillStatementInstallment(ctx, p.UserID, stmt.ID, p.ID, p.Terms, p.Principal, first.Principal, first.Fee); err != nil {
					return err
				}
			}
		}
		out = p
		return uc.events.Emit(ctx, planCreatedEvent(p))
	})
	return out, err
}

// Plan returns one of the user's plans.
func (uc *InstallmentUseCase) Plan(ctx context.Context, userID string, planID int64) (InstallmentPlan, error) {
	return uc.repo.Plan(ctx, userID, planID, false)
}

// build resolves the source and computes the plan (without id). lock takes row locks.
func (uc *InstallmentUseCase) build(ctx context.Context, r InstallmentRequest, today clock.Date, lock bool) (InstallmentPlan, []InstallmentPurchase, InstallmentStatement, error) {
	var stmt InstallmentStatement
	if (r.PaymentID == 0) == (r.StatementPeriod == "") {
		return InstallmentPlan{}, nil, stmt, ErrInstallmentSource
	}
	if _, ok := uc.catalog.Product(r.Terms); !ok {
		return InstallmentPlan{}, nil, stmt, ErrInstallmentTermsNotOffered
	}
	p := InstallmentPlan{UserID: r.UserID, Terms: r.Terms, Status: PlanActive, CreatedDate: today, CreatedAt: uc.clock.Now()}
	p.UpdatedAt = p.CreatedAt
	var purchases []InstallmentPurchase
	var advanced, firstDue clock.Date
	if r.PaymentID != 0 {
		pay, err := uc.payments.Payment(ctx, r.PaymentID, lock)
		if err != nil {
			return p, nil, stmt, err
		}
		if pay.UserID != r.UserID {
			return p, nil, stmt, ErrPaymentNotFound // never reveal another user's payment
		}
		if pay.Status != PaymentCaptured {
			return p, nil, stmt, ErrPaymentNotInstallable.WithMetadata(map[string]string{"status": pay.Status})
		}
		pu, err := uc.payments.PurchaseByPayment(ctx, pay.ID, lock)
		if err != nil {
			return p, nil, stmt, err
		}
		switch {
		case pu.PlanID != 0:
			return p, nil, stmt, ErrAlreadyInstallments
		case pu.StatementID != 0:
			return p, nil, stmt, ErrPurchaseAlreadyBilled
		case pu.PrincipalOutstanding <= 0:
			return p, nil, stmt, ErrPaymentNotInstallable
		}
		p.Source, p.SourceID, p.PaymentID = PlanSourcePayment, pu.ID, pay.ID
		p.Principal = pu.PrincipalOutstanding
		purchases = []InstallmentPurchase{{ID: pu.ID, PaymentID: pay.ID, Outstanding: pu.PrincipalOutstanding, CaptureDate: pu.CaptureDate}}
		advanced, firstDue = pu.CaptureDate, uc.dueDateOf(uc.firstStatementAfter(pu.CaptureDate))
	} else {
		s, err := uc.repo.StatementByPeriod(ctx, r.UserID, r.StatementPeriod)
		if err != nil {
			return p, nil, stmt, err
		}
		if today.Before(s.StatementDate) || today.After(s.DueDate) {
			return p, nil, stmt, ErrStatementNotInstallable.WithMetadata(map[string]string{"statement_date": s.StatementDate.String(), "due_date": s.DueDate.String()})
		}
		if purchases, err = uc.repo.StatementPurchases(ctx, r.UserID, s.ID); err != nil {
			return p, nil, stmt, err
		}
		for _, pu := range purchases {
			p.Principal += pu.Outstanding
		}
		if p.Principal <= 0 {
			return p, nil, stmt, ErrStatementNotInstallable
		}
		stmt = s
		p.Source, p.SourceID, p.StatementPeriod = PlanSourceStatement, s.ID, s.Period
		// The converted balance was due on the due date, and so is period 1.
		advanced, firstDue = s.DueDate, s.DueDate
	}
	sched, err := uc.catalog.Schedule(p.Principal, r.Terms)
	switch {
	case errors.Is(err, installment.ErrBelowMinimum):
		return p, nil, stmt, ErrInstallmentBelowMinimum.WithMetadata(map[string]string{"minimum": uc.catalog.MinPrincipal.String()})
	case errors.Is(err, installment.ErrTermsNotOffered):
		return p, nil, stmt, ErrInstallmentTermsNotOffered
	case errors.Is(err, installment.ErrPrincipal):
		return p, nil, stmt, ErrInstallmentBelowMinimum
	case err != nil:
		return p, nil, stmt, err
	}
	if err := uc.fill(&p, sched, advanced, firstDue); err != nil {
		return p, nil, stmt, err
	}
	return p, purchases, stmt, nil
}

// fill copies a schedule into a plan, with due dates a month apart from firstDue, and
// discloses its cost from the dated cash flows (principal advanced on advanced).
func (uc *InstallmentUseCase) fill(p *InstallmentPlan, s installment.Schedule, advanced, firstDue clock.Date) error {
	due := installment.MonthlyDueDates(firstDue, len(s.Periods))
	d, err := installment.DiscloseDated(s, advanced, due)
	if err != nil {
		return err
	}
	p.Method, p.Rate, p.TotalFee, p.APR, p.EffectiveRate = s.Method, s.Rate, s.TotalFee, d.APR, d.EffectiveAnnualRate
	p.PrincipalOutstanding = s.Principal
	p.Periods = make([]InstallmentPeriod, len(s.Periods))
	for i, per := range s.Periods {
		p.Periods[i] = InstallmentPeriod{Number: per.Number, DueDate: due[i], Principal: per.Principal, Fee: per.Fee}
	}
	return nil
}

// PurchaseCaptured implements CaptureHook: a payment authorized with `installments`
// becomes a plan at capture. A principal below the minimum or terms no longer offered
// leave the purchase a single payment (logged) rather than failing the capture.
func (uc *InstallmentUseCase) PurchaseCaptured(ctx context.Context, pu Purchase) (int64, error) {
	if pu.Installments == 0 {
		return 0, nil
	}
	sched, err := uc.catalog.Schedule(pu.Amount, pu.Installments)
	if err != nil {
		uc.log.Warnf("purchase %d: installments %d not applied: %v", pu.ID, pu.Installments, err)
		return 0, nil
	}
	now := uc.clock.Now()
	p := InstallmentPlan{ID: ids.New(), UserID: pu.UserID, Source: PlanSourcePayment, SourceID: pu.ID, PaymentID: pu.PaymentID,
		Principal: pu.Amount, Terms: pu.Installments, Status: PlanActive, CreatedDate: pu.CaptureDate, CreatedAt: now, UpdatedAt: now}
	if err := uc.fill(&p, sched, pu.CaptureDate, uc.dueDateOf(uc.firstStatementAfter(pu.CaptureDate))); err != nil {
		return 0, err
	}
	ok, err := uc.repo.InsertPlan(ctx, p)
	if err != nil || !ok {
		return 0, err
	}
	return p.ID, uc.events.Emit(ctx, planCreatedEvent(p))
}

// postFees recognizes billed installment fees: Dr receivable.fee:<user>, Cr
// income.installment_fee. Waived fees never get here.
func (uc *InstallmentUseCase) postFees(ctx context.Context, userID, idem, desc string, date clock.Date, fee money.Amount) error {
	if fee <= 0 {
		return nil
	}
	_, err := uc.ledger.Post(ctx, ledger.Entry{IdempotencyID: idem, Type: "installments.fee", Description: desc, BusinessDate: date,
		Postings: []ledger.Posting{
			{Account: ledger.AccountReceivableFee, Owner: userID, Debit: true, Amount: fee},
			{Account: ledger.AccountIncomeInstallmentFee, Amount: fee},
		}})
	return err
}

func planRef(id int64) string { return strconv.FormatInt(id, 10) }

// SetCollectionsHook routes principal repaid on plan purchases that a pool owns to the
// pool (the asset center's servicing hook, the same one billing uses).
func (uc *InstallmentUseCase) SetCollectionsHook(h CollectionsHook) { uc.collections = h }
