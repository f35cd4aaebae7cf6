package simulation

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/huabei/huabei/app/money"
)

// profile is the credit data sent to PUT /v1/credit/profiles/{user_id}.
type profile struct {
	KYCVerified         bool   `json:"kyc_verified"`
	Age                 int    `json:"age"`
	Education           string `json:"education"`
	Employment          string `json:"employment"`
	EmploymentMonths    int    `json:"employment_months"`
	MonthlyIncome       string `json:"monthly_income"`
	Assets              string `json:"assets"`
	Housing             string `json:"housing"`
	CreditHistoryMonths int    `json:"credit_history_months"`
	LatePayments12m     int    `json:"late_payments_12m"`
	MaxDPD24m           int    `json:"max_dpd_24m"`
	OutstandingDebt     string `json:"outstanding_debt"`
	Inquiries6m         int    `json:"inquiries_6m"`
}

var educations = []string{"none", "high_school", "college", "bachelor", "master", "doctorate"}

// drawProfile draws credit data around a latent risk r in [0,1) (0 = best): incomes are
// log-normal (median about 7,000 yuan a month), bureau history grows with age, late
// payments and inquiries are Poisson with a mean rising with risk.
func drawProfile(rng *rand.Rand, r float64) profile {
	var p profile
	p.KYCVerified = rng.Float64() < 0.97
	p.Age = clampInt(int(math.Round(31+9*rng.NormFloat64())), 18, 68)
	p.Education = educations[clampInt(int(math.Round(1.2+3*(1-r)+0.8*rng.NormFloat64())), 0, 5)]
	u := rng.Float64()
	switch {
	case p.Age >= 60:
		p.Employment = "retired"
	case u < 0.02+0.10*r:
		p.Employment = "unemployed"
	case p.Age <= 24 && u < 0.45:
		p.Employment = "student"
	case u < 0.72:
		p.Employment = "employed"
	default:
		p.Employment = "self_employed"
	}
	if p.Employment == "employed" || p.Employment == "self_employed" {
		p.EmploymentMonths = clampInt(int(rng.ExpFloat64()*(10+40*(1-r))), 1, (p.Age-17)*12)
	}
	income := 7000 * math.Exp(-0.9*(r-0.5)+0.55*rng.NormFloat64())
	switch p.Employment {
	case "unemployed":
		income *= 0.15
	case "student":
		income *= 0.25
	case "retired":
		income *= 0.6
	}
	income = math.Max(0, math.Round(income/100)*100)
	p.MonthlyIncome = yuan(income)
	p.Assets = yuan(math.Round(income*math.Exp(2.5+1.2*rng.NormFloat64()-1.2*r)/100) * 100)
	h := rng.Float64()
	switch {
	case h < 0.12+0.35*(1-r):
		p.Housing = "own"
	case h < 0.62:
		p.Housing = "rent"
	case h < 0.92:
		p.Housing = "family"
	default:
		p.Housing = "other"
	}
	p.CreditHistoryMonths = clampInt(int(float64((p.Age-18)*12)*(0.2+0.8*rng.Float64())), 0, 480)
	p.LatePayments12m = poisson(rng, 0.1+3.5*r*r)
	switch {
	case p.LatePayments12m == 0:
	case p.LatePayments12m <= 1:
		p.MaxDPD24m = 5 + rng.IntN(25)
	case p.LatePayments12m <= 3:
		p.MaxDPD24m = 15 + rng.IntN(60)
	default:
		p.MaxDPD24m = 30 + rng.IntN(150)
	}
	p.OutstandingDebt = yuan(math.Round(income * rng.Float64() * (1 + 8*r)))
	p.Inquiries6m = poisson(rng, 0.5+4*r)
	return p
}

// behaviour is how a shopper repays their statements.
type behaviour int

const (
	payFull behaviour = iota
	payMinimum
	payLate
	payDefault
)

func (b behaviour) String() string {
	return [...]string{"full", "minimum", "late", "default"}[b]
}

// behaviourMix is P(full, minimum, late, default) by score: better scores repay better.
func behaviourMix(score int) [4]float64 {
	switch {
	case score >= 750:
		return [4]float64{0.82, 0.13, 0.04, 0.01}
	case score >= 700:
		return [4]float64{0.72, 0.18, 0.07, 0.03}
	case score >= 650:
		return [4]float64{0.60, 0.24, 0.10, 0.06}
	case score >= 600:
		return [4]float64{0.48, 0.28, 0.14, 0.10}
	default:
		return [4]float64{0.38, 0.30, 0.17, 0.15}
	}
}

func drawBehaviour(rng *rand.Rand, score int) behaviour {
	mix := behaviourMix(score)
	u := rng.Float64()
	for i, p := range mix {
		if u < p {
			return behaviour(i)
		}
		u -= p
	}
	return payFull
}

// scoreBand labels approval statistics.
func scoreBand(score int) string {
	switch {
	case score < 550:
		return "<550"
	case score >= 800:
		return "800+"
	default:
		lo := score / 50 * 50
		return fmt.Sprintf("%d-%d", lo, lo+49)
	}
}

var scoreBands = []string{"<550", "550-599", "600-649", "650-699", "700-749", "750-799", "800+"}

// category is a merchant category with its spending pattern.
type category struct {
	Name        string
	Weight      float64
	Median      float64 // yuan
	Sigma       float64
	Installable bool
}

var categories = []category{
	{"grocery", 25, 90, 0.6, false},
	{"dining", 20, 70, 0.5, false},
	{"apparel", 15, 350, 0.6, false},
	{"digital", 10, 45, 0.8, false},
	{"electronics", 8, 2500, 0.6, true},
	{"home", 7, 900, 0.7, true},
	{"travel", 6, 1800, 0.6, true},
	{"healthcare", 4, 300, 0.7, false},
	{"education", 3, 1500, 0.5, true},
	{"retail", 2, 200, 0.8, false},
}

const merchantsPerCategory = 2

func merchantID(cat string, i int) string { return fmt.Sprintf("sim-%s-%d", cat, i+1) }

func drawCategory(rng *rand.Rand) category {
	total := 0.0
	for _, c := range categories {
		total += c.Weight
	}
	u := rng.Float64() * total
	for _, c := range categories {
		if u < c.Weight {
			return c
		}
		u -= c.Weight
	}
	return categories[0]
}

// drawAmount is a log-normal purchase amount with random fen (never a round amount),
// at least 1.00 and at most cap.
func drawAmount(rng *rand.Rand, c category, limit money.Amount) money.Amount {
	y := c.Median * math.Exp(c.Sigma*rng.NormFloat64())
	a := money.Amount(math.Round(y*100)) + money.Amount(rng.IntN(99)+1)
	capAmt := min(limit*6/10, money.Amount(19_999_00))
	if a > capAmt {
		a = capAmt - money.Amount(rng.IntN(5000))
	}
	if a%100_00 == 0 { // the cash-out rule watches round amounts; shoppers rarely pay them
		a -= 37
	}
	return max(a, 100)
}

var installmentTerms = []int{3, 6, 9, 12}
var installmentWeights = []float64{0.3, 0.3, 0.1, 0.3}

func drawTerms(rng *rand.Rand) int {
	u := rng.Float64()
	for i, w := range installmentWeights {
		if u < w {
			return installmentTerms[i]
		}
		u -= w
	}
	return 12
}

func poisson(rng *rand.Rand, lambda float64) int {
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func clampInt(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	return max(lo, min(hi, v))
}

func yuan(v float64) string { return money.Amount(math.Round(v * 100)).String() }
