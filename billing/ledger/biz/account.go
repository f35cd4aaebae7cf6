package biz

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// AccountType is the class of an account in the chart.
type AccountType string

// Account types. Assets and expenses are debit-normal; the others credit-normal.
const (
	TypeAsset     AccountType = "asset"
	TypeLiability AccountType = "liability"
	TypeEquity    AccountType = "equity"
	TypeIncome    AccountType = "income"
	TypeExpense   AccountType = "expense"
)

// DebitNormal reports whether a debit increases an account of this type.
func (t AccountType) DebitNormal() bool { return t == TypeAsset || t == TypeExpense }

// Chart of accounts (DESIGN §4). Owners: user id for receivable.* and
// customer.credit_balance, merchant id for merchant.payable, pool id for
// spv.collections_payable, none (or a free sub-ledger key) for the rest.
const (
	AccountReceivablePrincipal    = "receivable.principal"
	AccountReceivableFee          = "receivable.fee"
	AccountReceivableInterest     = "receivable.interest"
	AccountReceivablePenalty      = "receivable.penalty"
	AccountCash                   = "cash"
	AccountFundingClearing        = "clearing.funding"
	AccountMerchantPayable        = "merchant.payable"
	AccountCustomerCreditBalance  = "customer.credit_balance"
	AccountSPVCollectionsPayable  = "spv.collections_payable"
	AccountEquityCapital          = "equity.capital"
	AccountIncomeMerchantDiscount = "income.merchant_discount"
	AccountIncomeInstallmentFee   = "income.installment_fee"
	AccountIncomeInterest         = "income.interest"
	AccountIncomePenalty          = "income.penalty"
	AccountGainLossAssetSale      = "gain_loss.asset_sale"
	AccountExpenseCreditLoss      = "expense.credit_loss"
)

// BalanceShards is how many balance rows a sharded account spreads over. An entry picks
// its shard by hashing its idempotency id, so concurrent payments rarely wait on the same
// row; readers sum the shards.
const BalanceShards = 16

// AccountDef describes one account code of the chart.
type AccountDef struct {
	Code string
	Type AccountType
	// OwnerRequired accounts are per user, merchant or pool and reject an empty owner.
	OwnerRequired bool
	// Sharded accounts keep BalanceShards balance rows per owner: every system account
	// that most payments touch (cash, merchant payables, income).
	Sharded bool
	// Floor accounts may never have a balance below zero (by their normal side): a Post
	// that would break it fails with ErrBalanceBelowFloor. Enforced with a conditional
	// update on one row, so a Floor account is never sharded. None of the default chart
	// has a floor: receivables go negative transiently in no flow, but cash may (an
	// overdraft is a treasury question, not a reason to refuse a repayment), and the
	// subledgers enforce their own limits.
	Floor bool
}

// DebitNormal reports whether the account grows with debits.
func (a AccountDef) DebitNormal() bool { return a.Type.DebitNormal() }

// DefaultChart is the chart of accounts of DESIGN §4. gain_loss.asset_sale is an income
// account: a sale below par gives it a debit (negative) balance.
var DefaultChart = []AccountDef{
	{Code: AccountReceivablePrincipal, Type: TypeAsset, OwnerRequired: true},
	{Code: AccountReceivableFee, Type: TypeAsset, OwnerRequired: true},
	{Code: AccountReceivableInterest, Type: TypeAsset, OwnerRequired: true},
	{Code: AccountReceivablePenalty, Type: TypeAsset, OwnerRequired: true},
	{Code: AccountCash, Type: TypeAsset, Sharded: true},
	{Code: AccountFundingClearing, Type: TypeAsset, Sharded: true},
	{Code: AccountMerchantPayable, Type: TypeLiability, OwnerRequired: true, Sharded: true},
	{Code: AccountCustomerCreditBalance, Type: TypeLiability, OwnerRequired: true},
	{Code: AccountSPVCollectionsPayable, Type: TypeLiability, OwnerRequired: true, Sharded: true},
	{Code: AccountEquityCapital, Type: TypeEquity, Sharded: true},
	{Code: AccountIncomeMerchantDiscount, Type: TypeIncome, Sharded: true},
	{Code: AccountIncomeInstallmentFee, Type: TypeIncome, Sharded: true},
	{Code: AccountIncomeInterest, Type: TypeIncome, Sharded: true},
	{Code: AccountIncomePenalty, Type: TypeIncome, Sharded: true},
	{Code: AccountGainLossAssetSale, Type: TypeIncome, Sharded: true},
	{Code: AccountExpenseCreditLoss, Type: TypeExpense, Sharded: true},
}

// Limits of stored fields.
const (
	MaxAccountLen     = 64
	MaxOwnerLen       = 64
	MaxIdempotencyLen = 191
	MaxTypeLen        = 64
	MaxDescriptionLen = 255
	// MaxPostings bounds an entry so its sums can never overflow int64
	// (MaxPostings × money.MaxAmount < 2^63).
	MaxPostings = 64
)

// Chart is a validated set of account definitions.
type Chart struct {
	defs  map[string]AccountDef
	order []string
}

// NewChart validates defs: unique non-empty codes, known types, no sharded Floor account.
func NewChart(defs []AccountDef) (*Chart, error) {
	c := &Chart{defs: make(map[string]AccountDef, len(defs))}
	for _, d := range defs {
		switch {
		case d.Code == "" || len(d.Code) > MaxAccountLen:
			return nil, fmt.Errorf("ledger: account code %q: empty or longer than %d", d.Code, MaxAccountLen)
		case d.Type != TypeAsset && d.Type != TypeLiability && d.Type != TypeEquity && d.Type != TypeIncome && d.Type != TypeExpense:
			return nil, fmt.Errorf("ledger: account %s: unknown type %q", d.Code, d.Type)
		case d.Floor && d.Sharded:
			return nil, fmt.Errorf("ledger: account %s: a floor needs a single balance row, so it cannot be sharded", d.Code)
		}
		if _, dup := c.defs[d.Code]; !dup {
			c.order = append(c.order, d.Code)
		}
		c.defs[d.Code] = d
	}
	return c, nil
}

// Lookup returns the definition of code.
func (c *Chart) Lookup(code string) (AccountDef, bool) {
	d, ok := c.defs[code]
	return d, ok
}

// Accounts lists the definitions in chart order.
func (c *Chart) Accounts() []AccountDef {
	out := make([]AccountDef, len(c.order))
	for i, code := range c.order {
		out[i] = c.defs[code]
	}
	return out
}

// shardOf picks the balance row of a sharded account for an entry.
func shardOf(idempotencyID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(idempotencyID))
	return int(h.Sum32() % BalanceShards)
}

// Account addresses one account: a chart code and an optional owner.
type Account struct {
	Code  string
	Owner string
}

// String formats code:owner, or the code alone without owner
// ("receivable.principal:123", "cash").
func (a Account) String() string {
	if a.Owner == "" {
		return a.Code
	}
	return a.Code + ":" + a.Owner
}

// ParseAccount reverses Account.String: the owner follows the first colon.
func ParseAccount(s string) Account {
	code, owner, _ := strings.Cut(s, ":")
	return Account{Code: code, Owner: owner}
}
