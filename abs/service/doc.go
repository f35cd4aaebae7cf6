// Package service maps the asset center's API (abs/api/v1) to the biz use case and
// registers its HTTP routes (treasury; funding also ops) and gRPC service.
package service
