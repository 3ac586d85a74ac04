package outbox

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the dispatcher's Prometheus collectors. A nil *Metrics records nothing.
type Metrics struct {
	Sends *prometheus.CounterVec // platform, result
}

// NewMetrics registers the dispatcher's collectors on reg. depth, if set, reports
// how many messages wait to be sent. It panics if a collector is registered already.
func NewMetrics(reg prometheus.Registerer, depth func() float64) *Metrics {
	m := &Metrics{
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channelbot_sends_total", Help: "Outbound deliveries by result: sent, retry, throttled, failed.",
		}, []string{"platform", "result"}),
	}
	reg.MustRegister(m.Sends)
	if depth != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "channelbot_outbox_depth", Help: "Outbound messages waiting to be delivered.",
		}, depth))
	}
	return m
}

// Send counts a delivery attempt by result.
func (m *Metrics) Send(platform, result string) {
	if m != nil {
		m.Sends.WithLabelValues(platform, result).Inc()
	}
}
