package inbox

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the inbox's Prometheus collectors. A nil *Metrics records nothing.
type Metrics struct {
	Processed *prometheus.CounterVec   // platform
	Latency   *prometheus.HistogramVec // platform: from receipt to replies queued
}

// NewMetrics registers the inbox's collectors on reg. It panics if one is
// registered already.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_processed_total", Help: "Messages processed and answered.",
		}, []string{"platform"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "channelbot_processing_seconds",
			Help:    "Time from receiving a message to its replies being queued.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"platform"}),
	}
	reg.MustRegister(m.Processed, m.Latency)
	return m
}

// Process counts a processed message and how long it took.
func (m *Metrics) Process(platform string, took time.Duration) {
	if m != nil {
		m.Processed.WithLabelValues(platform).Inc()
		m.Latency.WithLabelValues(platform).Observe(took.Seconds())
	}
}
