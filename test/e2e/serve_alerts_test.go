package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/testenv"
)

// TestServeAlertsAlertmanager is the whole notice loop: mihari serve stores
// what it collects, evaluates a rule with a short `for` on a real CPU burner,
// and delivers the alert to Debian's Alertmanager — which is stopped when
// the alert fires and started again later, and still gets it.
func TestServeAlertsAlertmanager(t *testing.T) {
	am := testenv.RequireProgram(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	amCfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amCfg, []byte(amConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	amAddr := freePort(t)
	amArgs := []string{"--config.file=" + amCfg, "--storage.path=" + filepath.Join(dir, "am"),
		"--web.listen-address=" + amAddr, "--cluster.listen-address="}
	amCmd := startServer(t, "http://"+amAddr+"/-/ready", am, amArgs...)

	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(`groups:
- name: e2e
  rules:
  - alert: BurnerBusy
    expr: sum by (instance, groupname) (rate(namedprocess_namegroup_cpu_seconds_total{groupname="mihari-burn"}[5s])) > 0.5
    for: 3s
    labels:
      severity: test
    annotations:
      summary: '{{ $labels.groupname }} burns {{ printf "%.1f" $value }} cores on {{ $labels.instance }}'
`), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _ := startAgent(t, filepath.Join(dir, "data"), "--interval=1s", "--no-rules.defaults",
		"--rules.file="+rules, "--alertmanager.url=http://"+amAddr, "--instance=e2e-host",
		"--collector.disable-defaults", "--collector.process")

	// Alertmanager goes away; then the burner starts.
	amCmd.Process.Signal(syscall.SIGTERM)
	amCmd.Wait()
	startWorkload(t, "mihari-burn", "-then", "spin")

	// The rule fires in mihari ...
	waitFor(t, func() bool {
		resp, err := http.Get(base + "/api/v1/alerts")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string
					State  string
				}
			}
		}
		json.NewDecoder(resp.Body).Decode(&r)
		for _, a := range r.Data.Alerts {
			if a.Labels["alertname"] == "BurnerBusy" && a.State == "firing" {
				return true
			}
		}
		return false
	})
	// ... its delivery fails and stays queued ...
	waitFor(t, func() bool {
		mfs := scrape(t, base+"/metrics")
		return gaugeValue(t, mfs, "mihari_alerts_queue_length", nil) >= 1 &&
			gaugeValue(t, mfs, "mihari_alerts_destination_up", nil) == 0
	})
	// ... and arrives once Alertmanager is back.
	startServer(t, "http://"+amAddr+"/-/ready", am, amArgs...)
	deadline := time.Now().Add(90 * time.Second)
	var got amAlert
	for {
		alerts, err := amGetAlerts(amAddr)
		found := false
		for _, a := range alerts {
			if a.Labels["alertname"] == "BurnerBusy" {
				got, found = a, true
			}
		}
		if err == nil && found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the alert did not reach Alertmanager within 90 s of its restart")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for k, v := range map[string]string{"alertname": "BurnerBusy", "groupname": "mihari-burn", "instance": "e2e-host", "severity": "test"} {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (all: %v)", k, got.Labels[k], v, got.Labels)
		}
	}
	if got.Annotations["summary"] == "" || got.GeneratorURL == "" {
		t.Errorf("annotations %v, generator URL %q", got.Annotations, got.GeneratorURL)
	}
	t.Logf("Alertmanager got %v: %s", got.Labels, got.Annotations["summary"])
}
