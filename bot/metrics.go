package bot

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bot's Prometheus collectors. A nil *Metrics records nothing.
type Metrics struct {
	Received   *prometheus.CounterVec   // platform
	Processed  *prometheus.CounterVec   // platform
	Duplicates *prometheus.CounterVec   // platform
	Rejected   *prometheus.CounterVec   // platform, reason
	Latency    *prometheus.HistogramVec // platform: from receipt to replies queued
	Sends      *prometheus.CounterVec   // platform, result
}

// NewMetrics registers the bot's collectors on reg. outboxDepth reports how many
// messages wait to be sent.
func NewMetrics(reg prometheus.Registerer, outboxDepth func() float64) *Metrics {
	m := &Metrics{
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_received_total", Help: "Platform messages accepted for processing.",
		}, []string{"platform"}),
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_processed_total", Help: "Messages processed and answered.",
		}, []string{"platform"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_duplicate_total", Help: "Platform re-deliveries dropped.",
		}, []string{"platform"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_rejected_total", Help: "Callbacks refused (bad signature, ciphertext, XML, …).",
		}, []string{"platform", "reason"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "channelbot_processing_seconds",
			Help:    "Time from receiving a message to its replies being queued.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"platform"}),
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_sends_total", Help: "Outbound deliveries by result: sent, retry, throttled, failed.",
		}, []string{"platform", "result"}),
	}
	reg.MustRegister(m.Received, m.Processed, m.Duplicates, m.Rejected, m.Latency, m.Sends)
	if outboxDepth != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "channelbot_outbox_depth", Help: "Outbound messages waiting to be delivered.",
		}, outboxDepth))
	}
	return m
}

// Reject counts a refused callback.
func (m *Metrics) Reject(platform, reason string) {
	if m != nil {
		m.Rejected.WithLabelValues(platform, reason).Inc()
	}
}

// Duplicate counts a dropped re-delivery.
func (m *Metrics) Duplicate(platform string) {
	if m != nil {
		m.Duplicates.WithLabelValues(platform).Inc()
	}
}

// Receive counts an accepted message.
func (m *Metrics) Receive(platform string) {
	if m != nil {
		m.Received.WithLabelValues(platform).Inc()
	}
}

// Process counts a processed message and how long it took.
func (m *Metrics) Process(platform string, took time.Duration) {
	if m != nil {
		m.Processed.WithLabelValues(platform).Inc()
		m.Latency.WithLabelValues(platform).Observe(took.Seconds())
	}
}

// Send counts a delivery attempt by result.
func (m *Metrics) Send(platform, result string) {
	if m != nil {
		m.Sends.WithLabelValues(platform, result).Inc()
	}
}
