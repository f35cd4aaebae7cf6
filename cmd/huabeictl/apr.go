package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app/clock"
	"github.com/huabei/huabei/app/money"
	"github.com/huabei/huabei/billing/installment"
)

func init() { addCommand(newAPRCmd) }

// aprInput is the cash-flow file `huabeictl apr --input` reads.
type aprInput struct {
	UnitPeriod string        `json:"unit_period"`
	Advances   []aprCashFlow `json:"advances"`
	Payments   []aprCashFlow `json:"payments"`
}

type aprCashFlow struct {
	Date   string `json:"date"`
	Amount string `json:"amount"`
}

// aprOutput is the one JSON line the command prints.
type aprOutput struct {
	APR        string `json:"apr"`
	APRPercent string `json:"apr_percent"`
}

// maxCashFlows bounds the input so a mistaken file cannot make the solver crawl.
const maxCashFlows = 10000

func newAPRCmd() *cobra.Command {
	var input string
	cmd := &cobra.Command{
		Use:   "apr --input cashflows.json",
		Short: "compute an APR by the actuarial method of US Regulation Z Appendix J",
		Long: `Reads {"unit_period": "month"|"semimonth"|"week"|"2week"|"4week"|"2month"|"quarter"|"year"|"single",
"advances": [{"date": "YYYY-MM-DD", "amount": "5000.00"}], "payments": [...]} ("-" reads stdin) and prints
one JSON line {"apr": "0.0969", "apr_percent": "9.69"}: the unit-period rate × unit-periods per year,
odd first periods counted as Appendix J says.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return errors.New("apr: --input is required")
			}
			var raw []byte
			var err error
			if input == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 16<<20))
			} else {
				raw, err = os.ReadFile(input)
			}
			if err != nil {
				return fmt.Errorf("apr: read input: %w", err)
			}
			unit, advances, payments, err := parseAPRInput(raw)
			if err != nil {
				return fmt.Errorf("apr: %w", err)
			}
			r, err := installment.ActuarialAPR(unit, advances, payments)
			if err != nil {
				return fmt.Errorf("apr: %w", err)
			}
			line, err := json.Marshal(aprOutput{APR: r.APR.StringFixed(4), APRPercent: r.Percent().StringFixed(2)})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(line))
			return err
		},
	}
	cmd.Flags().StringVar(&input, "input", "", `cash-flow JSON file ("-" for stdin)`)
	return cmd
}

// parseAPRInput decodes and validates the input strictly, naming the offending field.
func parseAPRInput(raw []byte) (installment.UnitPeriod, []installment.CashFlow, []installment.CashFlow, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in aprInput
	if err := dec.Decode(&in); err != nil {
		return "", nil, nil, fmt.Errorf("input is not the expected JSON: %w", err)
	}
	if dec.More() {
		return "", nil, nil, errors.New("input has trailing data after the JSON object")
	}
	unit := installment.UnitPeriod(in.UnitPeriod)
	known := false
	for _, u := range installment.UnitPeriods {
		known = known || u == unit
	}
	if !known {
		return "", nil, nil, fmt.Errorf("unit_period: %q is not one of %v", in.UnitPeriod, installment.UnitPeriods)
	}
	if len(in.Advances) == 0 {
		return "", nil, nil, errors.New("advances: at least one advance is required")
	}
	if len(in.Payments) == 0 {
		return "", nil, nil, errors.New("payments: at least one payment is required")
	}
	if len(in.Advances)+len(in.Payments) > maxCashFlows {
		return "", nil, nil, fmt.Errorf("too many cash flows (at most %d)", maxCashFlows)
	}
	advances, err := parseFlows("advances", in.Advances)
	if err != nil {
		return "", nil, nil, err
	}
	payments, err := parseFlows("payments", in.Payments)
	if err != nil {
		return "", nil, nil, err
	}
	return unit, advances, payments, nil
}

func parseFlows(name string, in []aprCashFlow) ([]installment.CashFlow, error) {
	out := make([]installment.CashFlow, len(in))
	for i, c := range in {
		d, err := clock.ParseDate(c.Date)
		if err != nil {
			return nil, fmt.Errorf("%s[%d].date: %q: %w", name, i, c.Date, err)
		}
		if d.Year() < 1900 || d.Year() > 2200 {
			return nil, fmt.Errorf("%s[%d].date: %q is outside 1900–2200", name, i, c.Date)
		}
		a, err := money.ParsePositive(c.Amount)
		if err != nil {
			return nil, fmt.Errorf("%s[%d].amount: %q: %w", name, i, c.Amount, err)
		}
		out[i] = installment.CashFlow{Date: d, Amount: a}
	}
	return out, nil
}
