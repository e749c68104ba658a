package investigate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// webhook is the part of Alertmanager's webhook payload an investigation
// reads (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type webhook struct {
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
	} `json:"alerts"`
}

// FromWebhook reads an Alertmanager webhook payload and returns its first
// firing alert (else its first alert) and what to investigate for it: the
// process of a pid label, the process group of a groupname label (as
// process-exporter and mihari's default rules name one), else the host.
func FromWebhook(r io.Reader) (*Alert, Target, error) {
	var p webhook
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	if err := dec.Decode(&p); err != nil {
		return nil, Target{}, fmt.Errorf("not an Alertmanager webhook payload: %w", err)
	}
	if len(p.Alerts) == 0 {
		return nil, Target{}, errors.New("the payload has no alerts")
	}
	i := 0
	for j, a := range p.Alerts {
		if a.Status == "firing" {
			i = j
			break
		}
	}
	a := p.Alerts[i]
	al := &Alert{Name: a.Labels["alertname"], Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt}
	if al.Labels == nil {
		al.Labels = map[string]string{}
	}
	t := Target{Mode: "auto"}
	if pid, err := strconv.Atoi(a.Labels["pid"]); err == nil && pid > 0 {
		t = Target{Mode: "pid", PID: pid}
	} else if g := a.Labels["groupname"]; g != "" {
		t = Target{Mode: "name", Name: g}
	}
	return al, t, nil
}
