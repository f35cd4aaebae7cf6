package v1_test

import (
	"testing"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/reliability"
)

// FuzzAppRequests decodes hostile JSON into every request message of this package
// and runs its Validate (issue 10): no panic, only 4xx refusals, accepted requests
// survive a round trip. Explore with: go test -fuzz FuzzAppRequests ./app/api/v1
func FuzzAppRequests(f *testing.F) {
	reliability.FuzzRequestDecoders(f, v1.File_app_api_v1_jobs_proto, v1.File_app_api_v1_ops_proto)
}
