package alert

import (
	"sync"
)

// maxBatch is the most alerts in one request, as in Prometheus.
const maxBatch = 64

// destination is one Alertmanager or webhook: its queue and its state.
type destination struct {
	target
	// bearerTokenFile is read at every request; Alertmanagers only.
	bearerTokenFile string
	m               destMetrics
	// wake tells the delivery loop that alerts were queued.
	wake chan struct{}

	mu       sync.Mutex
	q        *queue
	up       bool
	lastErr  string
	failures int  // consecutive
	dropping bool // drops were logged since the last delivery
}

// Destination is the state of one destination, for an API or UI.
type Destination struct {
	// URL is where alerts are posted, with credentials masked.
	URL string
	// Kind is KindAlertmanager or KindWebhook.
	Kind string
	// Up is false after a failed request until the next one succeeds; a
	// destination not tried yet is up.
	Up bool
	// LastError says why the last request failed; empty when Up.
	LastError string
	// Queued is how many alerts wait to be delivered.
	Queued int
}

func newDestination(t target, capacity int, m destMetrics) *destination {
	return &destination{target: t, m: m, wake: make(chan struct{}, 1), q: newQueue(capacity), up: true}
}

// enqueue queues alerts and wakes the delivery loop. It reports how many
// old alerts it dropped, and whether these are the first drops since the
// last delivery (worth a log line).
func (d *destination) enqueue(batch []entry) (dropped int, first bool) {
	d.mu.Lock()
	for _, e := range batch {
		dropped += d.q.push(e.alert, e.fp)
	}
	d.m.queueLength.Set(float64(d.q.len()))
	if dropped > 0 {
		d.m.dropped.Add(float64(dropped))
		first, d.dropping = !d.dropping, true
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return dropped, first
}

// next is the next batch to deliver, empty when nothing is queued.
func (d *destination) next() []entry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.q.peek(maxBatch)
}

// delivered records a successful request: its alerts leave the queue. It
// reports whether the destination was down until now.
func (d *destination) delivered(batch []entry) (wasDown bool, queued int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.q.ack(batch)
	d.m.sent.Add(float64(len(batch)))
	d.m.queueLength.Set(float64(d.q.len()))
	d.m.up.Set(1)
	wasDown = !d.up
	d.up, d.lastErr, d.failures, d.dropping = true, "", 0, false
	return wasDown, d.q.len()
}

// failed records a failed request; its alerts stay queued. It returns the
// number of consecutive failures.
// rejected removes a batch the destination refused and counts it as
// dropped; the destination itself answered, so it is up.
func (d *destination) rejected(batch []entry, err error) (queued int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.q.ack(batch)
	d.m.errors.Inc()
	d.m.dropped.Add(float64(len(batch)))
	d.m.queueLength.Set(float64(d.q.len()))
	d.m.up.Set(1)
	d.up, d.lastErr, d.failures = true, err.Error(), 0
	return d.q.len()
}

func (d *destination) failed(err error) (failures, queued int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.m.errors.Inc()
	d.m.up.Set(0)
	d.up, d.lastErr = false, err.Error()
	d.failures++
	return d.failures, d.q.len()
}

func (d *destination) state() Destination {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Destination{URL: d.name, Kind: d.kind, Up: d.up, LastError: d.lastErr, Queued: d.q.len()}
}
