package alert

import (
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestFingerprint(t *testing.T) {
	a := firing("HighLoad", "host1")
	if have, want := a.Fingerprint(), "b542feeb2bd6405a"; have != want {
		t.Errorf("have %s, want %s", have, want)
	}
	// What Alertmanager shows for the same labels.
	ls := model.LabelSet{}
	for k, v := range a.Labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	if have, want := a.Fingerprint(), ls.Fingerprint().String(); have != want {
		t.Errorf("have %s, Alertmanager has %s", have, want)
	}
	// Only labels count.
	b := Alert{Labels: map[string]string{"instance": "host1", "alertname": "HighLoad"}}
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("equal labels, different fingerprints %s and %s", a.Fingerprint(), b.Fingerprint())
	}
	c := firing("HighLoad", "host2")
	if a.Fingerprint() == c.Fingerprint() {
		t.Errorf("different labels, same fingerprint %s", a.Fingerprint())
	}
}

func TestResolved(t *testing.T) {
	for _, tt := range []struct {
		endsAt time.Time
		want   bool
	}{
		{time.Time{}, false},
		{t0.Add(time.Second), false},
		{t0, true},
		{t0.Add(-time.Second), true},
	} {
		if have := (Alert{EndsAt: tt.endsAt}).Resolved(t0); have != tt.want {
			t.Errorf("EndsAt %v: have Resolved %v, want %v", tt.endsAt, have, tt.want)
		}
	}
}
