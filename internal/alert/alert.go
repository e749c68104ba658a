// Package alert delivers alerts to Alertmanager (its v2 HTTP API) and to
// generic webhooks in the format Alertmanager posts to webhook receivers.
//
// Every destination has its own queue: an alert that fires while a
// destination is down waits there, replaced by its newer states, and is
// delivered once the destination answers again. Only a full queue drops
// alerts, the oldest first, and counts them.
package alert

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// Alert is one state of an alert, as Alertmanager's v2 API takes it.
type Alert struct {
	// Labels identify the alert; alerts with equal labels are states of
	// the same alert. An alert without labels is dropped by Send, since
	// Alertmanager would reject the whole batch holding it.
	Labels map[string]string
	// Annotations describe the alert (summary, description, runbook).
	Annotations map[string]string
	// StartsAt is when the alert started firing.
	StartsAt time.Time
	// EndsAt in the past means the alert is resolved. For a firing alert
	// the caller sets it to now plus a validity window, so that
	// Alertmanager resolves the alert by itself if mihari stops sending it.
	EndsAt time.Time
	// GeneratorURL links back to what produced the alert.
	GeneratorURL string
}

// Fingerprint is a stable hash of the sorted labels, in hex. It is the
// fingerprint Alertmanager computes for the same labels, so it can be
// looked up there.
func (a Alert) Fingerprint() string {
	return fmt.Sprintf("%016x", model.LabelsToSignature(a.Labels))
}

// Resolved reports whether the alert had ended at now, by Alertmanager's
// rule: EndsAt is set and not after now.
func (a Alert) Resolved(now time.Time) bool {
	return !a.EndsAt.IsZero() && !a.EndsAt.After(now)
}
