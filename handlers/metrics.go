package handlers

import "github.com/prometheus/client_golang/prometheus"

// Metrics count the platform callbacks: accepted, dropped as re-deliveries, refused.
// A nil *Metrics records nothing.
type Metrics struct {
	Received   *prometheus.CounterVec // platform
	Duplicates *prometheus.CounterVec // platform
	Rejected   *prometheus.CounterVec // platform, reason
}

// NewMetrics registers the callback counters on reg. It panics if one is registered
// already.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_received_total", Help: "Platform messages accepted for processing.",
		}, []string{"platform"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_duplicate_total", Help: "Platform re-deliveries dropped.",
		}, []string{"platform"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_messages_rejected_total", Help: "Callbacks refused (bad signature, ciphertext, XML, …).",
		}, []string{"platform", "reason"}),
	}
	reg.MustRegister(m.Received, m.Duplicates, m.Rejected)
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
