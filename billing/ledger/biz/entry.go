package biz

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
)

// Posting is one debit or credit of an entry to an account (code plus optional owner).
type Posting struct {
	Account string
	Owner   string
	Debit   bool
	Amount  money.Amount
}

// Entry is an immutable, balanced journal entry. IdempotencyID is derived from the
// business event (payment:<id>:capture); posting it again is a no-op.
type Entry struct {
	ID            int64
	IdempotencyID string
	Type          string
	Description   string
	BusinessDate  clock.Date
	Postings      []Posting
	CreatedAt     time.Time
}

// BalanceDelta is what one Post adds to one balance row.
type BalanceDelta struct {
	Account string
	Owner   string
	Shard   int
	Debits  money.Amount
	Credits money.Amount
	// Floor: the row must keep a non-negative balance by its normal side (DebitNormal).
	Floor       bool
	DebitNormal bool
}

// Net is the change of the balance by the account's normal side.
func (d BalanceDelta) Net() money.Amount {
	if d.DebitNormal {
		return d.Debits - d.Credits
	}
	return d.Credits - d.Debits
}

// validate checks e against the chart; it returns a domain error.
func (c *Chart) validate(e *Entry) error {
	switch {
	case e.IdempotencyID == "" || len(e.IdempotencyID) > MaxIdempotencyLen:
		return ErrInvalidEntry.WithMetadata(map[string]string{"field": "idempotency_id"})
	case e.Type == "" || len(e.Type) > MaxTypeLen:
		return ErrInvalidEntry.WithMetadata(map[string]string{"field": "type"})
	case len(e.Description) > MaxDescriptionLen:
		return ErrInvalidEntry.WithMetadata(map[string]string{"field": "description"})
	case e.BusinessDate.IsZero():
		return ErrInvalidEntry.WithMetadata(map[string]string{"field": "business_date"})
	case len(e.Postings) > MaxPostings:
		return ErrInvalidEntry.WithMetadata(map[string]string{"field": "postings", "max": strconv.Itoa(MaxPostings)})
	}
	var debits, credits money.Amount
	var nDebit, nCredit int
	for _, p := range e.Postings {
		def, ok := c.Lookup(p.Account)
		if !ok {
			return ErrUnknownAccount.WithMetadata(map[string]string{"account": p.Account})
		}
		if len(p.Owner) > MaxOwnerLen || (def.OwnerRequired && p.Owner == "") {
			return ErrInvalidOwner.WithMetadata(map[string]string{"account": p.Account, "owner": p.Owner})
		}
		if p.Amount <= 0 || p.Amount > money.MaxAmount {
			return ErrInvalidAmount.WithMetadata(map[string]string{"account": p.Account, "amount": strconv.FormatInt(int64(p.Amount), 10)})
		}
		if p.Debit {
			debits += p.Amount
			nDebit++
		} else {
			credits += p.Amount
			nCredit++
		}
	}
	if nDebit == 0 || nCredit == 0 {
		return ErrEmptyEntry
	}
	if debits != credits {
		return ErrUnbalanced.WithMetadata(map[string]string{"debits": debits.String(), "credits": credits.String()})
	}
	return nil
}

// postingsDigest is a digest of the postings that ignores their order, so a replay of
// the same event is recognised however the caller ordered them.
func postingsDigest(ps []Posting) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		side := "C"
		if p.Debit {
			side = "D"
		}
		lines[i] = strconv.Quote(p.Account) + " " + strconv.Quote(p.Owner) + " " + side + " " + strconv.FormatInt(int64(p.Amount), 10)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// balanceDeltas folds the postings of e into one delta per balance row, sorted by key so
// every transaction locks rows in the same order. shard is the row of sharded accounts,
// or -1 to pick it from the idempotency id.
func (c *Chart) balanceDeltas(e Entry, shard int) []BalanceDelta {
	type key struct {
		account, owner string
		shard          int
	}
	idx := map[key]int{}
	var out []BalanceDelta
	for _, p := range e.Postings {
		def, _ := c.Lookup(p.Account)
		k := key{p.Account, p.Owner, 0}
		if def.Sharded {
			if shard < 0 {
				shard = shardOf(e.IdempotencyID)
			}
			k.shard = shard
		}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, BalanceDelta{Account: k.account, Owner: k.owner, Shard: k.shard, Floor: def.Floor, DebitNormal: def.DebitNormal()})
		}
		if p.Debit {
			out[i].Debits += p.Amount
		} else {
			out[i].Credits += p.Amount
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Owner != b.Owner {
			return a.Owner < b.Owner
		}
		return a.Shard < b.Shard
	})
	return out
}
