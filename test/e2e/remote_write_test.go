package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/testenv"
)

// receiver is a real remote-write receiver the test can stop and start
// again on the same data.
type receiver struct {
	name, base, write string
	args              []string
	cmd               *exec.Cmd
	logs              *logBuffer
}

func (r *receiver) start(t *testing.T) {
	t.Helper()
	r.cmd, r.logs = startServerLogs(t, r.base+"/-/healthy", r.args[0], r.args[1:]...)
}

// stop stops the receiver: Prometheus is killed, as a crash would (its
// WAL keeps what it acknowledged); VictoriaMetrics, which holds a second
// or so of what it took in memory, is stopped with SIGTERM, as an upgrade
// would.
func (r *receiver) stop(graceful bool) {
	if graceful {
		r.cmd.Process.Signal(syscall.SIGTERM)
	} else {
		r.cmd.Process.Kill()
	}
	r.cmd.Wait()
}

// sampleSet is every raw sample of every series, by series (its labels
// as key=value pairs, sorted, without the external label).
type sampleSet map[string][][2]float64

// count is the number of samples in the set.
func (s sampleSet) count() int {
	n := 0
	for _, v := range s {
		n += len(v)
	}
	return n
}

func labelKey(m map[string]string, drop string) string {
	var parts []string
	for k, v := range m {
		if k != drop {
			parts = append(parts, k+"="+strconv.Quote(v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// rawSamples asks a Prometheus API for the raw samples of sel in
// (end-window, end]: a range-vector instant query.
func rawSamples(t *testing.T, base, sel string, window time.Duration, end time.Time, drop string) sampleSet {
	t.Helper()
	q := url.Values{"query": {fmt.Sprintf("%s[%dms]", sel, window.Milliseconds())}, "time": {strconv.FormatFloat(float64(end.UnixMilli())/1e3, 'f', 3, 64)}}
	var resp struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSONInto(base+"/api/v1/query?"+q.Encode(), &resp); err != nil || resp.Status != "success" {
		t.Fatalf("%s: %v %s", base, err, resp.Error)
	}
	out := sampleSet{}
	for _, r := range resp.Data.Result {
		k := labelKey(r.Metric, drop)
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			f, _ := strconv.ParseFloat(v[1].(string), 64)
			out[k] = append(out[k], [2]float64{ts, f})
		}
	}
	return out
}

// vmExport reads the raw samples of sel in (end-window, end] from
// VictoriaMetrics' export API.
func vmExport(t *testing.T, base, sel string, window time.Duration, end time.Time, drop string) sampleSet {
	t.Helper()
	q := url.Values{"match[]": {sel},
		"start": {strconv.FormatFloat(float64(end.Add(-window).UnixMilli()+1)/1e3, 'f', 3, 64)},
		"end":   {strconv.FormatFloat(float64(end.UnixMilli())/1e3, 'f', 3, 64)}}
	resp, err := http.Get(base + "/api/v1/export?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := sampleSet{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Values     []float64         `json:"values"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		k := labelKey(line.Metric, drop)
		for i, ts := range line.Timestamps {
			if i > 0 && ts <= line.Timestamps[i-1] {
				t.Errorf("VictoriaMetrics: %s out of order at %d", k, ts)
			}
			out[k] = append(out[k], [2]float64{float64(ts) / 1e3, line.Values[i]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compare requires got to hold exactly want's samples, values equal to a
// relative 1e-9 (VictoriaMetrics keeps about 15 significant digits).
func compare(t *testing.T, name string, want, got sampleSet) {
	t.Helper()
	missing, extra, differ := 0, 0, 0
	for k, ws := range want {
		gs := got[k]
		at := map[float64]float64{}
		for _, s := range gs {
			at[s[0]] = s[1]
		}
		for _, w := range ws {
			g, ok := at[w[0]]
			switch {
			case !ok:
				if missing++; missing <= 5 {
					t.Errorf("%s: %s has no sample at %.3f", name, k, w[0])
				}
			case !(g == w[1] || math.Abs(g-w[1]) <= 1e-9*math.Abs(w[1]) || (math.IsNaN(g) && math.IsNaN(w[1]))):
				if differ++; differ <= 5 {
					t.Errorf("%s: %s at %.3f is %v, mihari has %v", name, k, w[0], g, w[1])
				}
			}
		}
		if len(gs) > len(ws) {
			extra += len(gs) - len(ws)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			if extra++; extra <= 5 {
				t.Errorf("%s: series %s is not in mihari's store", name, k)
			}
		}
	}
	t.Logf("%s: %d series, %d samples; mihari: %d series, %d samples; missing %d, extra %d, different %d",
		name, len(got), got.count(), len(want), want.count(), missing, extra, differ)
}

// TestRemoteWrite sends mihari's samples to Debian's Prometheus (its
// remote-write receiver) and VictoriaMetrics, stops both receivers for
// 40 s and starts them again on their data, and then requires each to hold
// exactly the samples mihari stored over the two minutes: the gap filled,
// nothing lost, every series in order.
func TestRemoteWrite(t *testing.T) {
	// Mostly waiting on the receivers: it runs after the tests that
	// measure the host, alongside the other parallel ones.
	t.Parallel()
	promBin := testenv.RequireProgram(t, "prometheus", "prometheus")
	vmBin := testenv.RequireProgram(t, "victoria-metrics", "victoria-metrics")
	dir := t.TempDir()
	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte("global: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pAddr, vAddr := freePort(t), freePort(t)
	prom := &receiver{name: "Prometheus", base: "http://" + pAddr, write: "http://" + pAddr + "/api/v1/write", args: []string{promBin,
		"--config.file=" + promCfg, "--storage.tsdb.path=" + filepath.Join(dir, "prom"), "--web.listen-address=" + pAddr,
		"--web.enable-remote-write-receiver"}}
	vm := &receiver{name: "VictoriaMetrics", base: "http://" + vAddr, write: "http://" + vAddr + "/api/v1/write", args: []string{vmBin,
		"-storageDataPath=" + filepath.Join(dir, "vm"), "-httpListenAddr=" + vAddr, "-retentionPeriod=1d",
		"-search.latencyOffset=0s", "-dedup.minScrapeInterval=0"}}
	prom.start(t)
	vm.start(t)

	started := time.Now()
	base, logs := startAgent(t, filepath.Join(dir, "mihari"), "--interval=1s", "--no-rules.defaults",
		"--collector.disable-defaults", "--collector.cpu", "--collector.loadavg", "--collector.meminfo", "--collector.vmstat",
		"--remote-write.url="+prom.write, "--remote-write.url="+vm.write, "--remote-write.label=fleet=e2e")
	// metric sums a metric's series for a receiver; a counter vector
	// (dropped samples, by reason) has none until it counts.
	metric := func(name, url string) float64 {
		sum := 0.0
		for _, m := range scrape(t, base+"/metrics")[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "url" && l.GetValue() == url {
					sum += value(m)
				}
			}
		}
		return sum
	}

	time.Sleep(30 * time.Second)
	// An outage of both receivers, longer than the queues' slack: the
	// store must hold its WAL for them.
	prom.stop(false)
	vm.stop(true)
	outage := time.Now()
	held := false
	for time.Since(outage) < 40*time.Second {
		time.Sleep(2 * time.Second)
		held = held || gaugeValue(t, scrape(t, base+"/metrics"), "mihari_remote_write_compactions_held", nil) == 1
	}
	if !held {
		t.Error("mihari_remote_write_compactions_held never became 1 while the receivers were down")
	}
	retried := metric("prometheus_remote_storage_samples_retried_total", prom.write) + metric("prometheus_remote_storage_samples_failed_total", prom.write)
	prom.start(t)
	vm.start(t)

	// Run past two minutes, then let the queues catch up.
	time.Sleep(time.Until(started.Add(2 * time.Minute)))
	end := time.Now().Add(-5 * time.Second).Truncate(time.Second)
	pollFor(t, 60*time.Second, "the receivers to catch up", func() bool {
		for _, r := range []*receiver{prom, vm} {
			if metric("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", r.write) < float64(end.Unix()+2) {
				return false
			}
		}
		return true
	})
	// VictoriaMetrics makes what it received searchable within a second
	// or two.
	time.Sleep(3 * time.Second)

	window := end.Sub(started) - 10*time.Second
	sel := `{job="mihari"}`
	want := rawSamples(t, base, sel, window, end, "")
	if want.count() < 5000 {
		t.Fatalf("mihari stored only %d samples in %v", want.count(), window)
	}
	compare(t, "Prometheus", want, rawSamples(t, prom.base, sel, window, end, "fleet"))
	compare(t, "VictoriaMetrics", want, vmExport(t, vm.base, sel, window, end, "fleet"))

	// The external label is on what the receivers got.
	if got := rawSamples(t, prom.base, `node_load1{fleet="e2e"}`, window, end, ""); len(got) != 1 {
		t.Errorf("Prometheus has %d node_load1 series with fleet=\"e2e\", want 1", len(got))
	}
	for _, r := range []*receiver{prom, vm} {
		sent, dropped := metric("prometheus_remote_storage_samples_total", r.write), metric("prometheus_remote_storage_samples_dropped_total", r.write)
		t.Logf("%s: %.0f samples sent, %.0f bytes, %.0f dropped", r.name, sent, metric("prometheus_remote_storage_bytes_total", r.write), dropped)
		if sent < float64(want.count()) || dropped != 0 {
			t.Errorf("%s: %.0f samples sent, %.0f dropped; want at least %d sent and none dropped", r.name, sent, dropped, want.count())
		}
	}
	// The overview shows the queues.
	page := get(t, base+"/?range=5m")
	if !strings.Contains(page, `<h2 id="remote">Remote write</h2>`) || !strings.Contains(page, "<code>"+prom.write+"</code>") || !strings.Contains(page, "<code>"+vm.write+"</code>") {
		t.Error("the overview does not show the remote-write receivers")
	}
	if retried == 0 {
		t.Error("no sample was retried or failed while the receivers were down")
	}
	if t.Failed() {
		t.Logf("mihari:\n%s\nPrometheus:\n%s", logs, prom.logs)
	}
}

// TestRemoteWriteAgentMode runs --storage.agent: a log only, sent to
// Prometheus; no query API, no rules, and it says so.
func TestRemoteWriteAgentMode(t *testing.T) {
	t.Parallel()
	promBin := testenv.RequireProgram(t, "prometheus", "prometheus")
	dir := t.TempDir()
	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte("global: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pAddr := freePort(t)
	prom := &receiver{name: "Prometheus", base: "http://" + pAddr, write: "http://" + pAddr + "/api/v1/write", args: []string{promBin,
		"--config.file=" + promCfg, "--storage.tsdb.path=" + filepath.Join(dir, "prom"), "--web.listen-address=" + pAddr,
		"--web.enable-remote-write-receiver"}}
	prom.start(t)

	// Without a receiver it is a usage error.
	if _, stderr, err := runMihari(t, "serve", "--storage.agent", "--storage.path="+filepath.Join(dir, "none")); exitCode(err) != 2 ||
		!strings.Contains(stderr, "--storage.agent keeps samples only to send them: give it --remote-write.url") {
		t.Errorf("--storage.agent alone: %v %q", err, stderr)
	}

	base, logs := startAgent(t, filepath.Join(dir, "mihari"), "--interval=1s", "--storage.agent",
		"--collector.disable-defaults", "--collector.loadavg", "--remote-write.url="+prom.write)
	pollFor(t, 30*time.Second, "node_load1 at the receiver", func() bool {
		got := rawSamples(t, prom.base, `node_load1{job="mihari"}`, time.Minute, time.Now(), "")
		return got.count() >= 5
	})
	resp, err := http.Get(base + "/api/v1/query?query=up")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the query API in agent mode: %s, want 422", resp.Status)
	}
	if v := gaugeValue(t, scrape(t, base+"/metrics"), "mihari_rule_files", nil); v != 0 {
		t.Errorf("mihari_rule_files = %v in agent mode, want 0", v)
	}
	if !strings.Contains(logs.String(), "agent mode (--storage.agent)") {
		t.Errorf("the agent does not say it runs in agent mode:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(dir, "mihari", "wal")); err != nil {
		t.Errorf("no write-ahead log: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "mihari", "01*")); len(entries) != 0 {
		t.Errorf("blocks in agent mode: %v", entries)
	}
}

// exitCode is a finished command's exit status; 0 for none, -1 when it
// did not exit by itself.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}
