package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/testenv"
)

// TestAPIShapesMatchPrometheus asks Debian's Prometheus, scraping a mihari
// and evaluating the same rules, and that mihari's own API the same
// questions, and requires every field of Prometheus's answers, at the same
// place and of the same JSON type, in mihari's: what Grafana's data source
// and promtool read. Errors too: status code, errorType and shape.
func TestAPIShapesMatchPrometheus(t *testing.T) {
	prom := testenv.RequireProgram(t, "prometheus", "prometheus")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(`groups:
- name: shape
  rules:
  - record: shape:load1
    expr: node_load1
  - alert: ShapeAlways
    expr: vector(1)
    labels:
      severity: test
    annotations:
      summary: always firing
`), 0o644); err != nil {
		t.Fatal(err)
	}
	mihari, _ := startAgent(t, filepath.Join(dir, "data"), "--interval=1s", "--no-rules.defaults",
		"--rules.file="+rules, "--collector.disable-defaults", "--collector.loadavg", "--collector.cpu")

	promAddr := freePort(t)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: mihari
    static_configs:
      - targets: [%q]
`, rules, mihari[len("http://"):])), 0o644); err != nil {
		t.Fatal(err)
	}
	startServer(t, "http://"+promAddr+"/-/ready", prom, "--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "prom"), "--web.listen-address="+promAddr, "--log.level=error")
	promBase := "http://" + promAddr

	// Both have stored a few samples and fire the alert.
	for _, base := range []string{mihari, promBase} {
		waitFor(t, func() bool {
			return len(apiQuery(t, base, "shape:load1")) > 0 &&
				len(apiQuery(t, base, `ALERTS{alertname="ShapeAlways",alertstate="firing"}`)) > 0
		})
	}
	time.Sleep(2 * time.Second)

	now := time.Now().Unix()
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/v1/query?query=node_load1", 200},
		{"/api/v1/query?query=" + url.QueryEscape("sum(rate(node_cpu_seconds_total[5s]))"), 200},
		{"/api/v1/query?query=" + url.QueryEscape(`"a string"`), 200},
		{"/api/v1/query_range?query=node_load1&start=" + strconv.FormatInt(now-5, 10) + "&end=" + strconv.FormatInt(now, 10) + "&step=1", 200},
		{"/api/v1/series?match[]=node_load1", 200},
		{"/api/v1/labels", 200},
		{"/api/v1/label/__name__/values", 200},
		{"/api/v1/metadata?metric=node_load1", 200},
		{"/api/v1/rules", 200},
		{"/api/v1/alerts", 200},
		{"/api/v1/status/buildinfo", 200},
		{"/api/v1/status/tsdb", 200},
		{"/api/v1/query?query=" + url.QueryEscape("nosuchfunc(x)"), 400},
		{"/api/v1/query_range?query=node_load1&start=10&end=1&step=1", 400},
	} {
		want := getJSON(t, promBase+c.path, c.code)
		have := getJSON(t, mihari+c.path, c.code)
		// /api/v1/metadata's data is keyed by metric name.
		keyed := strings.HasPrefix(c.path, "/api/v1/metadata")
		ws, hs := shape(want, keyed), shape(have, keyed)
		if missing := missingPaths(ws, hs); len(missing) > 0 {
			t.Errorf("%s: mihari's answer lacks %v of Prometheus's shape\nprometheus: %s\nmihari:     %s", c.path, missing, trim(want), trim(have))
		}
		t.Logf("%s: %d paths in Prometheus's answer, all in mihari's", c.path, len(ws))
	}
}

// getJSON fetches url, requires the status code, and decodes the body.
func getJSON(t *testing.T, url string, code int) any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code {
		t.Errorf("GET %s: %d, want %d: %s", url, resp.StatusCode, code, b)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: not JSON: %v: %s", url, err, b)
	}
	return v
}

// shape lists the paths of a JSON value with their types: objects by key,
// arrays by "[]" (all elements at one path), e.g. "data.result[].metric:object".
// Keys that are data rather than schema (label names, annotation names,
// and with keyedData the keys of "data") are collapsed to "*".
func shape(v any, keyedData bool) []string {
	set := map[string]bool{}
	var walk func(path string, v any, dataKeys bool)
	walk = func(path string, v any, dataKeys bool) {
		switch x := v.(type) {
		case map[string]any:
			set[path+":object"] = true
			for k, e := range x {
				key := k
				if dataKeys {
					key = "*"
				}
				// Label sets and annotation maps are keyed by data.
				child := key == "metric" || key == "labels" || key == "annotations" || keyedData && path+"."+key == ".data"
				walk(path+"."+key, e, child)
			}
		case []any:
			set[path+":array"] = true
			for _, e := range x {
				walk(path+"[]", e, false)
			}
		case string:
			set[path+":string"] = true
		case float64:
			set[path+":number"] = true
		case bool:
			set[path+":bool"] = true
		case nil:
			set[path+":null"] = true
		}
	}
	walk("", v, false)
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func missingPaths(want, have []string) []string {
	var out []string
	for _, p := range want {
		if !slices.Contains(have, p) {
			out = append(out, p)
		}
	}
	return out
}

func trim(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}
