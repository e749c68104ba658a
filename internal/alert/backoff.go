package alert

import "time"

// backoff is how long a destination rests after consecutive failures.
type backoff struct {
	min, max time.Duration
}

// defaultBackoff starts at 1s and doubles up to 30s: short enough that an
// Alertmanager restart costs seconds of delay, long enough that a dead one
// costs two requests a minute.
var defaultBackoff = backoff{min: time.Second, max: 30 * time.Second}

// delay is the wait after the n-th consecutive failure (n ≥ 1): min
// doubled n-1 times, capped at max, then jittered down into its upper half
// by r ∈ [0, 1), so that many agents cut off by the same outage do not
// come back in lockstep.
func (b backoff) delay(n int, r float64) time.Duration {
	d := b.min
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return d/2 + time.Duration(r*float64(d/2))
}
