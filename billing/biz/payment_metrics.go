package biz

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	paymentsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "huabei_payments_total",
		Help: "Payment operations by resulting status (authorized, declined, captured, cancelled, refunded, refund) and decline reason.",
	}, []string{"status", "reason"})
	authorizeSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "huabei_payment_authorize_seconds",
		Help:    "Time to authorize a payment (risk rules, hold and insert in one transaction).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
	})
)
