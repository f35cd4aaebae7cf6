package v1_test

import (
	"testing"

	"github.com/huabei/huabei/app/reliability"
	v1 "github.com/huabei/huabei/credit/api/v1"
)

// FuzzCreditRequests decodes hostile JSON into every request message of this package
// and runs its Validate (issue 10): no panic, only 4xx refusals, accepted requests
// survive a round trip. Explore with: go test -fuzz FuzzCreditRequests ./credit/api/v1
func FuzzCreditRequests(f *testing.F) {
	reliability.FuzzRequestDecoders(f, v1.File_credit_api_v1_credit_proto)
}
