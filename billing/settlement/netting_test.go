package settlement

import (
	"testing"

	"github.com/huabei/huabei/app/money"
)

func TestNet(t *testing.T) {
	y := money.MustParse
	for _, c := range []struct {
		name  string
		lines []Line
		want  Totals
	}{
		{"empty", nil, Totals{}},
		{"captures and a refund", []Line{
			{Kind: LineCapture, PaymentID: 1, Amount: y("100.00"), Discount: y("0.60")},
			{Kind: LineCapture, PaymentID: 2, Amount: y("50.00"), Discount: y("0.30")},
			{Kind: LineRefund, PaymentID: 1, Amount: y("-10.00"), Discount: y("-0.06")},
		}, Totals{GrossCaptured: y("150.00"), Refunds: y("10.00"), Discount: y("0.84"), Net: y("139.16"), PaymentCount: 2}},
		{"refunds beyond captures go negative", []Line{
			{Kind: LineCapture, PaymentID: 3, Amount: y("5.00"), Discount: y("0.03")},
			{Kind: LineRefund, PaymentID: 1, Amount: y("-90.00"), Discount: y("-0.54")},
		}, Totals{GrossCaptured: y("5.00"), Refunds: y("90.00"), Discount: y("-0.51"), Net: y("-84.49"), PaymentCount: 2}},
		{"a carried negative net", []Line{
			{Kind: LineCarryForward, SourceID: 9, Amount: y("-84.49")},
			{Kind: LineCapture, PaymentID: 4, Amount: y("200.00"), Discount: y("1.20")},
		}, Totals{GrossCaptured: y("200.00"), Discount: y("1.20"), Carried: y("-84.49"), Net: y("114.31"), PaymentCount: 1}},
	} {
		got := Net(c.lines)
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
		var sum money.Amount
		for _, l := range c.lines {
			sum += l.Net()
		}
		if got.Net != sum || got.Net != got.GrossCaptured-got.Refunds-got.Discount+got.Carried {
			t.Errorf("%s: net %v is not the sum of the lines %v or gross − refunds − discount + carried", c.name, got.Net, sum)
		}
	}
}
