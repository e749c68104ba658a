package alert

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	s := time.Second
	for _, tt := range []struct {
		failures int
		r        float64
		want     time.Duration
	}{
		{1, 0, s / 2},
		{1, 0.5, 3 * s / 4},
		{1, 0.999999, s - 500*time.Nanosecond},
		{2, 0, s},
		{3, 0, 2 * s},
		{5, 0, 8 * s},
		{5, 0.5, 12 * s},
		{6, 0, 15 * s}, // 32s capped at 30s
		{6, 0.999999, 30*s - 15*time.Microsecond},
		{100, 0, 15 * s},
	} {
		if have := defaultBackoff.delay(tt.failures, tt.r); have != tt.want {
			t.Errorf("delay(%d, %v): have %v, want %v", tt.failures, tt.r, have, tt.want)
		}
	}
}
