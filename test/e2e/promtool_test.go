package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/test/testenv"
)

// startAgent runs `mihari serve` with a store in a temporary directory and
// the given extra flags, and waits until a collection is stored.
func startAgent(t *testing.T, dir string, args ...string) (base string, logs *logBuffer) {
	t.Helper()
	addr := freePort(t)
	base = "http://" + addr
	_, logs = startServerLogs(t, base+"/-/healthy", mihariBin, append([]string{"serve",
		"--web.listen-address=" + addr, "--storage.path=" + dir}, args...)...)
	waitHTTP(t, base+"/-/ready")
	return base, logs
}

// TestPromtoolAgainstMihari points Debian's promtool at mihari's
// Prometheus API — instant and range queries, series and label values — and
// requires the same answers as mihari's own query command gives, from the
// agent and from its data directory read directly.
func TestPromtoolAgainstMihari(t *testing.T) {
	promtool := testenv.RequireProgram(t, "promtool", "prometheus")
	dir := t.TempDir()
	base, _ := startAgent(t, dir, "--interval=1s", "--no-rules.defaults",
		"--collector.disable-defaults", "--collector.cpu", "--collector.loadavg", "--collector.meminfo")
	// Let a few collections be stored, then ask about a moment in the past
	// that no later collection changes.
	time.Sleep(5 * time.Second)
	at := time.Now().Add(-1500 * time.Millisecond).Truncate(time.Millisecond)
	ts := strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)
	start := strconv.FormatFloat(float64(at.Add(-3*time.Second).UnixMilli())/1000, 'f', 3, 64)

	run := func(name string, args ...string) []byte {
		t.Helper()
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%s %v: %v\n%s", name, args, err, stderr)
		}
		return out
	}
	same := func(what string, promtoolOut, mihariOut []byte) {
		t.Helper()
		var p, m any
		if err := json.Unmarshal(promtoolOut, &p); err != nil {
			t.Fatalf("%s: promtool output is not JSON: %v\n%s", what, err, promtoolOut)
		}
		if err := json.Unmarshal(mihariOut, &m); err != nil {
			t.Fatalf("%s: mihari output is not JSON: %v\n%s", what, err, mihariOut)
		}
		if diff := cmp.Diff(p, m); diff != "" {
			t.Errorf("%s: promtool and mihari differ (-promtool +mihari):\n%s", what, diff)
		}
		if string(promtoolOut) == "[]\n" || string(promtoolOut) == "null\n" {
			t.Errorf("%s: empty result", what)
		}
	}

	for _, expr := range []string{
		"node_load1",
		`sum by (mode) (rate(node_cpu_seconds_total[3s]))`,
		`node_memory_MemTotal_bytes / 1024`,
	} {
		p := run(promtool, "query", "instant", "-o", "json", "--time="+ts, base, expr)
		m := run(mihariBin, "query", "--json", "--url="+base, "--time="+ts, expr)
		same("instant "+expr, p, m)
		d := run(mihariBin, "query", "--json", "--storage.path="+dir, "--time="+ts, expr)
		same("instant from the directory "+expr, p, d)

		p = run(promtool, "query", "range", "-o", "json", "--start="+start, "--end="+ts, "--step=1s", base, expr)
		m = run(mihariBin, "query", "--json", "--url="+base, "--start="+start, "--end="+ts, "--step=1s", expr)
		same("range "+expr, p, m)
	}

	// Series: the label sets promtool lists are those of an instant query.
	p := run(promtool, "query", "series", "-o", "json", "--match=node_cpu_seconds_total{mode=\"idle\"}", base)
	var series []map[string]string
	if err := json.Unmarshal(p, &series); err != nil || len(series) == 0 {
		t.Fatalf("series: %v %s", err, p)
	}
	var vec []struct{ Metric map[string]string }
	json.Unmarshal(run(mihariBin, "query", "--json", "--url="+base, `node_cpu_seconds_total{mode="idle"}`), &vec)
	if have, want := setOf(vec, func(v struct{ Metric map[string]string }) string { return fmt.Sprint(v.Metric) }),
		setOf(series, func(s map[string]string) string { return fmt.Sprint(s) }); !cmp.Equal(have, want) {
		t.Errorf("series: promtool %v, mihari %v", want, have)
	}

	// Label values.
	var names []string
	if err := json.Unmarshal(run(promtool, "query", "labels", "-o", "json", base, "__name__"), &names); err != nil {
		t.Fatal(err)
	}
	var byName []struct{ Metric map[string]string }
	json.Unmarshal(run(mihariBin, "query", "--json", "--url="+base, `count by (__name__) ({__name__=~".+"})`), &byName)
	if have := setOf(byName, func(v struct{ Metric map[string]string }) string { return v.Metric["__name__"] }); !cmp.Equal(have, setOf(names, func(s string) string { return s })) {
		t.Errorf("label values of __name__: promtool %d names, mihari %d", len(names), len(have))
	}
	if len(names) < 10 {
		t.Errorf("only %d metric names", len(names))
	}
}

func setOf[T any](xs []T, key func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, key(x))
	}
	sort.Strings(out)
	return out
}
