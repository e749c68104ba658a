package e2e

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/internal/investigate"
	"github.com/mihari-dev/mihari/test/testenv"
)

// serveAlertRules is the default pack's HostSystemCPUHigh (same name, same
// expression) made to fire within seconds: `for: 1s` instead of 10m, and
// the threshold in the expression lowered from 30 to 10 (percent of all
// CPU time in the kernel), which one thread burning system CPU passes on a
// 2-core host (up to 50%) and an idle host does not.
const serveAlertRules = `groups:
  - name: e2e
    rules:
      - alert: HostSystemCPUHigh
        expr: |
          sum by (instance) (rate(node_cpu_seconds_total{mode="system"}[5m]))
            / sum by (instance) (rate(node_cpu_seconds_total[5m]))
            * 100 > 10
        for: 1s
        labels:
          severity: warning
        annotations:
          summary: '{{ $labels.instance }} spends {{ $value | printf "%.0f" }}% of its CPU in the kernel'
`

// webhookAlerts collects the alerts posted to a webhook.
type webhookAlerts struct {
	mu     sync.Mutex
	alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
}

func (h *webhookAlerts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []struct {
			Status      string            `json:"status"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.alerts = append(h.alerts, msg.Alerts...)
	h.mu.Unlock()
}

// annotation is the named annotation of the first alert received with
// that alertname that has it.
func (h *webhookAlerts) annotation(alertname, key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.alerts {
		if v := a.Annotations[key]; a.Labels["alertname"] == alertname && v != "" {
			return v
		}
	}
	return ""
}

// pollFor calls cond every 200 ms until it is true, for at most d.
func pollFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeInvestigatesAlert is the whole loop: mihari serve notices a
// process burning system CPU (the default pack's HostSystemCPUHigh, made
// fast), runs mihari investigate on it by itself, serves the report at
// /api/v1/investigations, and the alert delivered to a webhook links to it.
func TestServeInvestigatesAlert(t *testing.T) {
	testenv.RequireRoot(t)
	waitQuiet(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(serveAlertRules), 0o644); err != nil {
		t.Fatal(err)
	}
	hook := &webhookAlerts{}
	receiver := httptest.NewServer(hook)
	defer receiver.Close()

	// The burner first: whenever the alert fires, it is what there is to
	// find.
	w := startWorkload(t, "mihari-burnsys", "-then", "sysread", "-sysfile", "/proc/kallsyms")
	base, logs := startAgent(t, filepath.Join(dir, "data"), "--interval=1s", "--no-rules.defaults",
		"--rules.file="+rules, "--investigate.duration=3s", "--alert.webhook.url="+receiver.URL)

	// The investigation appears, and finishes.
	type item struct {
		ID      string            `json:"id"`
		Status  string            `json:"status"`
		Trigger map[string]string `json:"trigger"`
		Summary string            `json:"summary"`
	}
	var inv item
	pollFor(t, 90*time.Second, "an investigation that finished", func() bool {
		var list struct {
			Status string `json:"status"`
			Data   []item `json:"data"`
		}
		if err := getJSONInto(base+"/api/v1/investigations", &list); err != nil || len(list.Data) == 0 {
			return false
		}
		inv = list.Data[0]
		return inv.Status != "running"
	})
	if inv.Status != "done" || inv.Trigger["alertname"] != "HostSystemCPUHigh" {
		t.Fatalf("investigation %+v, want one done for HostSystemCPUHigh\n%s", inv, logs.String())
	}
	if !regexp.MustCompile(`^\d{8}T\d{6}Z-HostSystemCPUHigh-[0-9a-f]{4}$`).MatchString(inv.ID) {
		t.Errorf("ID %q", inv.ID)
	}

	// Its report names the burner.
	var rep struct {
		Status string             `json:"status"`
		Data   investigate.Report `json:"data"`
	}
	if err := getJSONInto(base+"/api/v1/investigations/"+inv.ID, &rep); err != nil {
		t.Fatal(err)
	}
	r := rep.Data
	t.Logf("conclusion: %s", r.Conclusion.Summary)
	if len(r.Suspects) == 0 || r.Suspects[0].Comm != "mihari-burnsys" || r.Suspects[0].PID != w.Process.Pid {
		t.Errorf("suspects %+v, want mihari-burnsys (pid %d) first", r.Suspects, w.Process.Pid)
	}
	if !strings.Contains(r.Conclusion.Summary, "mihari-burnsys") {
		t.Errorf("the conclusion does not name mihari-burnsys: %s", r.Conclusion.Summary)
	}
	if r.ID != inv.ID || r.Alert == nil || r.Alert.Name != "HostSystemCPUHigh" || inv.Summary != r.Conclusion.Summary {
		t.Errorf("report %q for alert %+v, list summary %q", r.ID, r.Alert, inv.Summary)
	}

	// The alert delivered to the webhook links to its HTML page, which
	// is served.
	link := base + "/api/v1/investigations/" + inv.ID + "?format=html"
	pollFor(t, 30*time.Second, "the alert with its investigation at the webhook", func() bool {
		return hook.annotation("HostSystemCPUHigh", "investigation") != ""
	})
	if got := hook.annotation("HostSystemCPUHigh", "investigation"); got != link {
		t.Errorf("the alert's investigation annotation is %q, want %q", got, link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: %s, %s", link, resp.Status, ct)
	}
	// The summary is in the page as text (its `code` spans as <code>).
	if text, summary := visibleText(string(body)), strings.ReplaceAll(r.Conclusion.Summary, "`", ""); !strings.Contains(text, collapseSpace(summary)) {
		t.Errorf("the HTML page does not hold the summary %q", summary)
	}

	mfs := scrape(t, base+"/metrics")
	if v := gaugeValue(t, mfs, "mihari_investigations_total", map[string]string{"trigger": "alert", "result": "done"}); v != 1 {
		t.Errorf("mihari_investigations_total{result=\"done\"} = %v, want 1", v)
	}
	if v := gaugeValue(t, mfs, "mihari_investigation_cpu_seconds_total", nil); v <= 0 {
		t.Errorf("mihari_investigation_cpu_seconds_total = %v", v)
	}
}

// getJSONInto decodes the JSON at url into v.
func getJSONInto(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

var (
	tags   = regexp.MustCompile(`<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// visibleText is an HTML page's text, its tags removed and its spaces
// collapsed.
func visibleText(page string) string {
	return collapseSpace(html.UnescapeString(tags.ReplaceAllString(page, "")))
}

func collapseSpace(s string) string { return spaces.ReplaceAllString(s, " ") }
