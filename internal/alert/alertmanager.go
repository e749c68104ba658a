package alert

import (
	"encoding/json"
	"time"
)

// apiPath is appended to an Alertmanager's base URL.
const apiPath = "/api/v2/alerts"

// postableAlert is one element of the body of POST /api/v2/alerts
// (Alertmanager's postableAlert). Zero times are left out: Alertmanager
// then uses its own clock for startsAt and its resolve_timeout for endsAt.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// encodeAlertmanager is the body posted to an Alertmanager.
func encodeAlertmanager(batch []entry) ([]byte, error) {
	body := make([]postableAlert, len(batch))
	for i, e := range batch {
		body[i] = postableAlert{
			Labels:       e.alert.Labels,
			Annotations:  e.alert.Annotations,
			StartsAt:     utc(e.alert.StartsAt),
			EndsAt:       utc(e.alert.EndsAt),
			GeneratorURL: e.alert.GeneratorURL,
		}
	}
	return json.Marshal(body)
}

// utc keeps the zero time zero, which UTC() also does, and drops the
// monotonic reading so that times compare equal after a JSON round trip.
func utc(t time.Time) time.Time {
	return t.UTC().Round(0)
}
