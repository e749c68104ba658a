package alert

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestWebhookPayload(t *testing.T) {
	rec := newRecorder(t, ok)
	n := newTestNotifier(t, Options{Webhooks: []string{rec.URL + "/hook?channel=ops"}, ExternalURL: "http://mihari.example:9780"})
	n.now = func() time.Time { return t0.Add(30 * time.Minute) }

	high := firing("HighLoad", "host1")
	high.Annotations["runbook"] = "https://runbooks.example/load"
	low := firing("HighLoad", "host2")
	low.Annotations["runbook"] = "https://runbooks.example/load"
	low.EndsAt = t0.Add(10 * time.Minute) // resolved at now
	n.Send(high, low)
	run(t, n)
	delivered(t, n)

	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("have %d requests, want 1", len(reqs))
	}
	if reqs[0].path != "/hook?channel=ops" {
		t.Errorf("have path %q, want /hook?channel=ops", reqs[0].path)
	}
	// Alertmanager's own field order; a firing alert's endsAt is zero, as
	// Alertmanager shows it.
	want := `{
	  "receiver": "mihari",
	  "status": "firing",
	  "alerts": [
	    {
	      "status": "firing",
	      "labels": {"alertname": "HighLoad", "instance": "host1"},
	      "annotations": {"runbook": "https://runbooks.example/load", "summary": "HighLoad on host1"},
	      "startsAt": "2026-11-25T16:00:00Z",
	      "endsAt": "0001-01-01T00:00:00Z",
	      "generatorURL": "http://mihari:9780/alerts",
	      "fingerprint": "b542feeb2bd6405a"
	    },
	    {
	      "status": "resolved",
	      "labels": {"alertname": "HighLoad", "instance": "host2"},
	      "annotations": {"runbook": "https://runbooks.example/load", "summary": "HighLoad on host2"},
	      "startsAt": "2026-11-25T16:00:00Z",
	      "endsAt": "2026-11-25T16:10:00Z",
	      "generatorURL": "http://mihari:9780/alerts",
	      "fingerprint": "b538feeb2bcdebd5"
	    }
	  ],
	  "groupLabels": {},
	  "commonLabels": {"alertname": "HighLoad"},
	  "commonAnnotations": {"runbook": "https://runbooks.example/load"},
	  "externalURL": "http://mihari.example:9780",
	  "version": "4",
	  "groupKey": "{}:{}",
	  "truncatedAlerts": 0
	}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatal(err)
	}
	if have := string(reqs[0].body); have != compact.String() {
		t.Errorf("have\n%s\nwant\n%s", have, compact.String())
	}
}

func TestWebhookPayloadResolved(t *testing.T) {
	a := firing("HighLoad", "host1")
	a.EndsAt = t0.Add(time.Minute)
	b := firing("DiskFull", "host1")
	b.EndsAt = t0.Add(time.Minute)
	body, err := encodeWebhook([]entry{{alert: a, fp: a.Fingerprint()}, {alert: b, fp: b.Fingerprint()}}, t0.Add(time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	var msg webhookMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Status != "resolved" {
		t.Errorf("have status %q, want resolved: every alert ended at now", msg.Status)
	}
	if len(msg.CommonLabels) != 1 || msg.CommonLabels["instance"] != "host1" {
		t.Errorf("have common labels %v, want instance=host1", msg.CommonLabels)
	}
	if len(msg.CommonAnnotations) != 0 {
		t.Errorf("have common annotations %v, want none", msg.CommonAnnotations)
	}
}
