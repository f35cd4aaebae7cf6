package v1_test

import (
	"testing"

	"github.com/huabei/huabei/app/reliability"
	v1 "github.com/huabei/huabei/billing/api/v1"
)

// FuzzBillingRequests decodes hostile JSON into every request message of this package
// and runs its Validate (issue 10): no panic, only 4xx refusals, accepted requests
// survive a round trip. Explore with: go test -fuzz FuzzBillingRequests ./billing/api/v1
func FuzzBillingRequests(f *testing.F) {
	reliability.FuzzRequestDecoders(f, v1.File_billing_api_v1_billing_proto, v1.File_billing_api_v1_installments_proto, v1.File_billing_api_v1_ledger_proto, v1.File_billing_api_v1_payments_proto)
}
