package alert

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the notifier's own series, by destination (its redacted URL).
type metrics struct {
	sent, errors, dropped *prometheus.CounterVec
	queueLength, up       *prometheus.GaugeVec
}

func newMetrics() *metrics {
	label := []string{"destination"}
	return &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mihari_alerts_sent_total",
			Help: "Alerts delivered to the destination.",
		}, label),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mihari_alerts_send_errors_total",
			Help: "Requests to the destination that failed (every retry counts); their alerts stay queued.",
		}, label),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mihari_alerts_dropped_total",
			Help: "Alerts never delivered to the destination: the oldest, when its queue was full, and alerts without labels.",
		}, label),
		queueLength: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mihari_alerts_queue_length",
			Help: "Alerts waiting to be delivered to the destination.",
		}, label),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mihari_alerts_destination_up",
			Help: "0 if the last request to the destination failed, else 1.",
		}, label),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.sent, m.errors, m.dropped, m.queueLength, m.up}
}

// register registers all the metrics or none.
func (m *metrics) register(r prometheus.Registerer) error {
	var done []prometheus.Collector
	for _, c := range m.collectors() {
		if err := r.Register(c); err != nil {
			for _, d := range done {
				r.Unregister(d)
			}
			return fmt.Errorf("registering alert metrics: %w", err)
		}
		done = append(done, c)
	}
	return nil
}

// destMetrics are one destination's children of metrics.
type destMetrics struct {
	sent, errors, dropped prometheus.Counter
	queueLength, up       prometheus.Gauge
}

// forDestination creates the destination's series, so that they exist
// (at zero, and up at 1) before anything happens.
func (m *metrics) forDestination(name string) destMetrics {
	d := destMetrics{
		sent:        m.sent.WithLabelValues(name),
		errors:      m.errors.WithLabelValues(name),
		dropped:     m.dropped.WithLabelValues(name),
		queueLength: m.queueLength.WithLabelValues(name),
		up:          m.up.WithLabelValues(name),
	}
	d.up.Set(1)
	return d
}
