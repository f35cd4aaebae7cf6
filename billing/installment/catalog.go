package installment

import (
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// ProductConfig is one configured term: a flat total fee rate (flat-fee method) or an
// annual rate (equal-payment method), never both.
type ProductConfig struct {
	Terms      int    `json:"terms"`
	FeeRate    string `json:"fee_rate"`
	AnnualRate string `json:"annual_rate"`
}

// Config is the installment product as configured (the `installments:` section).
type Config struct {
	Products     []ProductConfig `json:"products"`
	MinPrincipal string          `json:"min_principal"`
}

// DefaultConfig is the documented default: 3/6/9/12 periods at 2.5/4.5/6.5/8.8% of the
// principal, minimum principal 100.00.
func DefaultConfig() Config {
	return Config{
		Products: []ProductConfig{
			{Terms: 3, FeeRate: "0.025"}, {Terms: 6, FeeRate: "0.045"},
			{Terms: 9, FeeRate: "0.065"}, {Terms: 12, FeeRate: "0.088"},
		},
		MinPrincipal: "100.00",
	}
}

// Product is one offered term with its method and rate.
type Product struct {
	Terms  int
	Method Method
	Rate   decimal.Decimal
}

var (
	// ErrTermsNotOffered is returned by Catalog.Schedule for a number of periods no product offers.
	ErrTermsNotOffered = errors.New("installment: terms not offered")
	// ErrBelowMinimum is returned by Catalog.Schedule for a principal below the configured minimum.
	ErrBelowMinimum = errors.New("installment: principal below the minimum for installments")
)

// Catalog is a validated Config.
type Catalog struct {
	products     map[int]Product
	MinPrincipal money.Amount
}

// NewCatalog validates c.
func NewCatalog(c Config) (*Catalog, error) {
	cat := &Catalog{products: map[int]Product{}}
	if c.MinPrincipal != "" {
		m, err := money.ParseNonNegative(c.MinPrincipal)
		if err != nil {
			return nil, fmt.Errorf("installments.min_principal: %w", err)
		}
		cat.MinPrincipal = m
	}
	if len(c.Products) == 0 {
		return nil, errors.New("installments.products: at least one product is required")
	}
	for i, p := range c.Products {
		where := fmt.Sprintf("installments.products[%d]", i)
		if p.Terms <= 0 || p.Terms > MaxTerms {
			return nil, fmt.Errorf("%s.terms: %w", where, ErrTerms)
		}
		if _, dup := cat.products[p.Terms]; dup {
			return nil, fmt.Errorf("%s.terms: %d configured twice", where, p.Terms)
		}
		prod := Product{Terms: p.Terms}
		var rate string
		switch {
		case p.FeeRate != "" && p.AnnualRate == "":
			prod.Method, rate = FlatFee, p.FeeRate
		case p.AnnualRate != "" && p.FeeRate == "":
			prod.Method, rate = EqualPayment, p.AnnualRate
		default:
			return nil, fmt.Errorf("%s: set exactly one of fee_rate and annual_rate", where)
		}
		r, err := decimal.NewFromString(rate)
		if err != nil || r.Sign() < 0 || r.GreaterThan(decimal.NewFromInt(10)) {
			return nil, fmt.Errorf("%s: rate %q is not a fraction between 0 and 10", where, rate)
		}
		prod.Rate = r
		cat.products[p.Terms] = prod
	}
	return cat, nil
}

// Products lists the offered products by number of periods.
func (c *Catalog) Products() []Product {
	out := make([]Product, 0, len(c.products))
	for _, p := range c.products {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Terms < out[j].Terms })
	return out
}

// Product returns the product offering terms periods.
func (c *Catalog) Product(terms int) (Product, bool) {
	p, ok := c.products[terms]
	return p, ok
}

// Schedule builds the schedule of principal over terms periods with the configured method.
func (c *Catalog) Schedule(principal money.Amount, terms int) (Schedule, error) {
	p, ok := c.products[terms]
	if !ok {
		return Schedule{}, ErrTermsNotOffered
	}
	if principal < c.MinPrincipal {
		return Schedule{}, ErrBelowMinimum
	}
	return p.Build(principal)
}

// Build builds the schedule of principal with this product.
func (p Product) Build(principal money.Amount) (Schedule, error) {
	if p.Method == EqualPayment {
		return NewEqualPayment(principal, p.Terms, p.Rate)
	}
	return NewFlatFee(principal, p.Terms, p.Rate)
}
