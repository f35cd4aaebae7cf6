package v1_test

import (
	"testing"

	v1 "github.com/huabei/huabei/abs/api/v1"
	"github.com/huabei/huabei/app/reliability"
)

// FuzzAbsRequests decodes hostile JSON into every request message of this package
// and runs its Validate (issue 10): no panic, only 4xx refusals, accepted requests
// survive a round trip. Explore with: go test -fuzz FuzzAbsRequests ./abs/api/v1
func FuzzAbsRequests(f *testing.F) {
	reliability.FuzzRequestDecoders(f, v1.File_abs_api_v1_abs_proto)
}
