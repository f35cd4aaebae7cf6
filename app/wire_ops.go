package app

import (
	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/ops"
)

func opsRegisterGRPC(a *App, s *ops.ClockService) {
	v1.RegisterOpsServiceServer(a.Servers.GRPC, s)
}
