package outbox

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	relayedTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "huabei_events_relayed_total",
		Help: "Outbox events given their delivery position (published to the stream when Redis is configured).",
	})
	webhookTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "huabei_webhook_deliveries_total",
		Help: "Webhook delivery attempts by outcome (delivered, failed, dead).",
	}, []string{"outcome"})
)
