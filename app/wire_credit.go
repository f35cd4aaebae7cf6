package app

import (
	"context"
	"fmt"

	"github.com/huabei/huabei/app/ids"
	"github.com/huabei/huabei/configs"
	v1 "github.com/huabei/huabei/credit/api/v1"
	"github.com/huabei/huabei/credit/biz"
	creditdata "github.com/huabei/huabei/credit/data"
	"github.com/huabei/huabei/credit/scorecard"
	"github.com/huabei/huabei/credit/service"
)

// creditModule holds what the credit domain exposes to the rest of the wiring.
type creditModule struct {
	// Lines is the credit line API payments and billing call (Authorize, CaptureHold,
	// ReleaseHold, ReleaseOutstanding, AddOutstanding, SetStatus, Get). The asset center
	// replaces its funding source with Lines.SetFunding.
	Lines *biz.LineUseCase
	// Applications scores a user's latest profile and opens or re-scores the line (the
	// monthly limit review can call Apply per user).
	Applications *biz.ApplicationUseCase
	// Scorecard is the loaded scorecard.
	Scorecard *scorecard.Scorecard
	Policy    biz.LimitPolicy
}

// SetFunding replaces the credit domain's funding source (the asset center calls this
// during wiring).
func (m *creditModule) SetFunding(f biz.FundingSource) { m.Lines.SetFunding(f) }

// loadCreditScorecard reads credit.scorecard_path (or the embedded copy) and checks it
// scores profile fields; any problem stops start-up with a message naming the file.
func loadCreditScorecard(path string) (*scorecard.Scorecard, error) {
	var sc *scorecard.Scorecard
	var err error
	if path == "" {
		path = "embedded configs/scorecard.json"
		sc, err = scorecard.Parse(configs.Scorecard)
	} else {
		sc, err = scorecard.Load(path)
	}
	if err != nil {
		return nil, fmt.Errorf("credit: scorecard %s is not usable: %w", path, err)
	}
	if err := biz.CheckScorecard(sc); err != nil {
		return nil, fmt.Errorf("credit: scorecard %s does not match the credit profile: %w", path, err)
	}
	return sc, nil
}

// wireCredit builds the credit domain and registers its routes.
func (a *App) wireCredit(ctx context.Context) error {
	cfg := biz.DefaultConfig()
	if err := a.Config.Scan("credit", &cfg); err != nil {
		return err
	}
	sc, err := loadCreditScorecard(cfg.ScorecardPath)
	if err != nil {
		return err
	}
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}
	rules, err := cfg.Risk.Rules()
	if err != nil {
		return err
	}
	capital, err := cfg.Funding()
	if err != nil {
		return err
	}
	local := creditdata.NewLocalVelocity()
	var velocity biz.VelocityStore = local
	if a.Data.Redis != nil {
		velocity = creditdata.NewRedisVelocity(a.Data.Redis, local)
	}
	lineRepo := creditdata.NewLineRepo(a.Data)
	profileRepo := creditdata.NewProfileRepo(a.Data)
	lines := biz.NewLineUseCase(lineRepo, a.Data, a.Clock, biz.NewRiskEngine(rules, velocity), policy,
		biz.CapitalFunding{Capital: capital, Repo: lineRepo}, ids.New)
	apps := biz.NewApplicationUseCase(profileRepo, creditdata.NewApplicationRepo(a.Data), lines, lineRepo, sc, policy, a.Data, a.Clock, ids.New)
	svc := service.NewCreditService(biz.NewProfileUseCase(profileRepo, a.Data), apps, lines, a.Idem, a.Clock)
	svc.Register(a.Servers.Routes)
	v1.RegisterCreditServiceServer(a.Servers.GRPC, svc)
	a.credit = creditModule{Lines: lines, Applications: apps, Scorecard: sc, Policy: policy}
	return nil
}
