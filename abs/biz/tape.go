package biz

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/huabei/huabei/app/money"
)

// TapeColumns are the columns of a loan tape; score and origination_date are optional.
var TapeColumns = []string{"asset_id", "obligor_id", "principal", "annual_rate", "remaining_periods", "amortization", "score", "origination_date"}

// ReadTape parses a CSV loan tape (header row first, columns in any order) and feeds
// each row to add. Errors name the line and column.
func ReadTape(r io.Reader, add func(AnalyticsAsset)) (int, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("tape: read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range TapeColumns[:6] {
		if _, ok := col[c]; !ok {
			return 0, fmt.Errorf("tape: missing column %q", c)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	n := 0
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("tape: %w", err)
		}
		bad := func(c, msg string) error { return fmt.Errorf("tape line %d: %s: %s", line, c, msg) }
		a := AnalyticsAsset{AssetID: get(rec, "asset_id"), ObligorID: get(rec, "obligor_id")}
		if a.AssetID == "" {
			return n, bad("asset_id", "required")
		}
		if a.ObligorID == "" {
			return n, bad("obligor_id", "required")
		}
		if a.Balance, err = money.ParseNonNegative(get(rec, "principal")); err != nil {
			return n, bad("principal", err.Error())
		}
		if a.AnnualRate, err = decimal.NewFromString(get(rec, "annual_rate")); err != nil || a.AnnualRate.Sign() < 0 || a.AnnualRate.GreaterThan(decimal.NewFromInt(10)) {
			return n, bad("annual_rate", "must be a fraction such as 0.144")
		}
		if a.RemainingPeriods, err = strconv.Atoi(get(rec, "remaining_periods")); err != nil || a.RemainingPeriods < 0 || a.RemainingPeriods > 600 {
			return n, bad("remaining_periods", "must be a whole number of months 0..600")
		}
		var ok bool
		if a.Amortization, ok = ParseAmortization(get(rec, "amortization")); !ok {
			return n, bad("amortization", "must be level, equal_principal or bullet")
		}
		if s := get(rec, "score"); s != "" {
			if a.Score, err = strconv.Atoi(s); err != nil || a.Score < 0 {
				return n, bad("score", "must be a whole number")
			}
		}
		if s := get(rec, "origination_date"); s != "" {
			if len(s) < 7 || s[4] != '-' {
				return n, bad("origination_date", "must be YYYY-MM-DD")
			}
			a.OriginationMonth = s[:7]
		}
		add(a)
		n++
	}
}
