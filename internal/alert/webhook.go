package alert

import (
	"encoding/json"
	"maps"
	"time"
)

// The webhook payload is what Alertmanager posts to a webhook receiver
// (version 4 of its notify/webhook Message), so that receivers written for
// Alertmanager take mihari's alerts unchanged. Fields are in the order
// Alertmanager writes them.
type webhookMessage struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []webhookAlert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
}

type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

const (
	statusFiring   = "firing"
	statusResolved = "resolved"

	// webhookReceiver is the receiver name in every payload.
	webhookReceiver = "mihari"
	// webhookGroupKey is the key Alertmanager gives the group of a root
	// route without group_by: mihari does not group, so every payload is
	// one batch of that single group.
	webhookGroupKey = "{}:{}"
)

// encodeWebhook is the body posted to a webhook: the whole batch as one
// notification, its status evaluated at now.
func encodeWebhook(batch []entry, now time.Time, externalURL string) ([]byte, error) {
	msg := webhookMessage{
		Receiver:          webhookReceiver,
		Status:            statusResolved,
		Alerts:            make([]webhookAlert, len(batch)),
		GroupLabels:       map[string]string{},
		CommonLabels:      map[string]string{},
		CommonAnnotations: map[string]string{},
		ExternalURL:       externalURL,
		Version:           "4",
		GroupKey:          webhookGroupKey,
	}
	for i, e := range batch {
		a := webhookAlert{
			Status:       statusResolved,
			Labels:       e.alert.Labels,
			Annotations:  e.alert.Annotations,
			StartsAt:     utc(e.alert.StartsAt),
			EndsAt:       utc(e.alert.EndsAt),
			GeneratorURL: e.alert.GeneratorURL,
			Fingerprint:  e.fp,
		}
		if !e.alert.Resolved(now) {
			// Alertmanager does not show the end of an alert that has
			// not ended yet.
			a.Status, a.EndsAt = statusFiring, time.Time{}
			msg.Status = statusFiring
		}
		msg.Alerts[i] = a
	}
	if len(batch) > 0 {
		msg.CommonLabels = common(batch, func(a Alert) map[string]string { return a.Labels })
		msg.CommonAnnotations = common(batch, func(a Alert) map[string]string { return a.Annotations })
	}
	return json.Marshal(msg)
}

// common is the pairs that every alert of batch has in the map kv picks.
func common(batch []entry, kv func(Alert) map[string]string) map[string]string {
	out := map[string]string{}
	maps.Copy(out, kv(batch[0].alert))
	for _, e := range batch[1:] {
		m := kv(e.alert)
		for k, v := range out {
			if w, ok := m[k]; !ok || w != v {
				delete(out, k)
			}
		}
	}
	return out
}
