package app

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/job"
	"github.com/huabei/huabei/app/money"
	v1 "github.com/huabei/huabei/billing/api/v1"
	"github.com/huabei/huabei/billing/biz"
	billingdata "github.com/huabei/huabei/billing/data"
	"github.com/huabei/huabei/billing/installment"
	"github.com/huabei/huabei/billing/service"
	creditbiz "github.com/huabei/huabei/credit/biz"
)

// paymentsModule holds what the payments domain exposes to the rest of the wiring.
type paymentsModule struct {
	// UseCase authorizes, captures, cancels and refunds; installments install their
	// hooks with UseCase.SetCaptureHook / SetRefundHook during wiring.
	UseCase *biz.PaymentUseCase
	// Repo reads and writes payments and purchases (billing, installments, abs).
	Repo *billingdata.PaymentRepo
}

// paymentsConfig is the payments section of configs/config.yaml.
type paymentsConfig struct {
	AutoCaptureDays       int               `json:"auto_capture_days"`
	MerchantDiscountRate  string            `json:"merchant_discount_rate"`
	CategoryDiscountRates map[string]string `json:"category_discount_rates"`
	DefaultCategory       string            `json:"default_category"`
	Categories            []string          `json:"categories"`
}

func (c paymentsConfig) parse() (biz.PaymentConfig, error) {
	out := biz.DefaultPaymentConfig()
	if c.AutoCaptureDays < 0 {
		return out, fmt.Errorf("payments.auto_capture_days must not be negative")
	}
	if c.AutoCaptureDays > 0 {
		out.AutoCaptureDays = c.AutoCaptureDays
	}
	rate := func(name, s string) (decimal.Decimal, error) {
		r, err := decimal.NewFromString(s)
		if err != nil || r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)) {
			return decimal.Decimal{}, fmt.Errorf("payments.%s %q must be a rate between 0 and 1", name, s)
		}
		return r, nil
	}
	if c.MerchantDiscountRate != "" {
		r, err := rate("merchant_discount_rate", c.MerchantDiscountRate)
		if err != nil {
			return out, err
		}
		out.DiscountRate = r
	}
	out.CategoryDiscountRates = map[string]decimal.Decimal{}
	for cat, s := range c.CategoryDiscountRates {
		r, err := rate("category_discount_rates."+cat, s)
		if err != nil {
			return out, err
		}
		out.CategoryDiscountRates[cat] = r
	}
	if c.DefaultCategory != "" {
		out.DefaultCategory = c.DefaultCategory
	}
	out.Categories = c.Categories
	if len(out.Categories) > 0 {
		found := false
		for _, k := range out.Categories {
			found = found || k == out.DefaultCategory
		}
		if !found {
			out.Categories = append(out.Categories, out.DefaultCategory)
		}
	}
	return out, nil
}

// creditLinesForPayments adapts the credit domain's line use case to billing's CreditLines.
type creditLinesForPayments struct{ lines *creditbiz.LineUseCase }

func (c creditLinesForPayments) Authorize(ctx context.Context, r biz.CreditAuthRequest) (biz.CreditAuthDecision, error) {
	d, err := c.lines.Authorize(ctx, creditbiz.AuthRequest{UserID: r.UserID, MerchantID: r.MerchantID,
		MerchantCategory: r.MerchantCategory, Amount: r.Amount, PaymentID: r.PaymentID})
	return biz.CreditAuthDecision{Approved: d.Approved, Reason: d.Reason}, err
}
func (c creditLinesForPayments) CaptureHold(ctx context.Context, userID string, held, captured money.Amount) error {
	return c.lines.CaptureHold(ctx, userID, held, captured)
}
func (c creditLinesForPayments) ReleaseHold(ctx context.Context, userID string, amount money.Amount) error {
	return c.lines.ReleaseHold(ctx, userID, amount)
}
func (c creditLinesForPayments) ReleaseOutstanding(ctx context.Context, userID string, amount money.Amount) error {
	return c.lines.ReleaseOutstanding(ctx, userID, amount)
}

// wirePayments builds the payments domain, registers its routes, gRPC service and the
// auto_capture job.
func (a *App) wirePayments(ctx context.Context) error {
	var raw paymentsConfig
	if err := a.Config.Scan("payments", &raw); err != nil {
		return err
	}
	cfg, err := raw.parse()
	if err != nil {
		return err
	}
	// The same installment products the installments engine offers (wireInstallments
	// reads the section again for its own use case).
	icfg := biz.DefaultInstallmentConfig()
	if err := a.Config.Scan("installments", &icfg); err != nil {
		return err
	}
	if cfg.Installments, err = installment.NewCatalog(icfg.Config); err != nil {
		return err
	}
	repo := billingdata.NewPaymentRepo(a.Data)
	uc := biz.NewPaymentUseCase(repo, a.Data, creditLinesForPayments{a.credit.Lines}, a.ledger.Ledger, a.Outbox(), a.Clock, cfg, a.Logger)
	svc := service.NewPaymentService(uc, a.Idem)
	svc.Register(a.Servers.Routes)
	v1.RegisterPaymentServiceServer(a.Servers.GRPC, svc)
	a.payments = paymentsModule{UseCase: uc, Repo: repo}

	// One short transaction per payment; captured payments leave the due set, so a
	// crashed run resumes by starting over and a repeated run finds nothing to capture.
	// Progress is saved per chunk (which also renews the run's lease).
	a.Jobs().Register("auto_capture", func(ctx context.Context, run *job.Run) error {
		_, err := uc.AutoCaptureWithProgress(ctx, run.Date, func(ctx context.Context, captured int) error {
			return run.SaveCheckpoint(ctx, "", captured)
		})
		return err
	})
	return nil
}
