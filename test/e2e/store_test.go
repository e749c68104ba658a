package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/test/testenv"
)

// apiQuery runs an instant query through the HTTP API and returns the
// vector's samples as (labels, timestamp, value), or a matrix's as many.
func apiQuery(t *testing.T, base, expr string) []apiSample {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Value  []any
				Values [][]any
			}
		}
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", expr, err, b)
	}
	var out []apiSample
	for _, s := range r.Data.Result {
		points := s.Values
		if s.Value != nil {
			points = [][]any{s.Value}
		}
		for _, p := range points {
			v, _ := strconv.ParseFloat(p[1].(string), 64)
			out = append(out, apiSample{s.Metric, p[0].(float64), v})
		}
	}
	return out
}

type apiSample struct {
	Metric map[string]string
	T, V   float64
}

// TestCrashLosesAtMostOneInterval kills the agent with SIGKILL while it
// stores a collection every second, restarts it on the same directory, and
// requires the samples up to one interval before the kill to be there: the
// write-ahead log is replayed.
func TestCrashLosesAtMostOneInterval(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--interval=1s", "--no-rules.defaults", "--collector.disable-defaults", "--collector.loadavg"}
	addr := freePort(t)
	cmd, _ := startServerLogs(t, "http://"+addr+"/-/healthy", mihariBin, append([]string{"serve",
		"--web.listen-address=" + addr, "--storage.path=" + dir}, args...)...)
	waitHTTP(t, "http://"+addr+"/-/ready")
	time.Sleep(4 * time.Second)
	seen := apiQuery(t, "http://"+addr, "mihari_storage_last_append_timestamp_seconds")[0].V
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := float64(time.Now().UnixNano()) / 1e9
	cmd.Wait()

	base, logs := startAgent(t, dir, args...)
	samples := apiQuery(t, base, "node_load1[1m]")
	var before []float64
	for _, s := range samples {
		if s.T <= killed {
			before = append(before, s.T)
		}
	}
	if len(before) < 4 {
		t.Fatalf("%d samples from before the kill, want the 4 or more stored in 4 s", len(before))
	}
	last := before[len(before)-1]
	if last < seen {
		t.Errorf("newest sample before the kill at %.3f, but the agent had reported storing one at %.3f", last, seen)
	}
	if killed-last > 1.0+0.25 {
		t.Errorf("newest sample before the kill is %.3f s older than the kill: more than one interval lost", killed-last)
	}
	if !strings.Contains(logs.String(), "WAL replay completed") {
		t.Error("the restart did not replay the write-ahead log")
	}
	t.Logf("%d samples kept from before the kill; the newest %.3f s before it", len(before), killed-last)
}

// TestStorageDirectoryErrors: a directory that is not mihari's, or one in
// use, is refused in one line, before anything listens.
func TestStorageDirectoryErrors(t *testing.T) {
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "report.pdf"), []byte("x"), 0o644)
	_, stderr, err := runMihari(t, "serve", "--storage.path="+foreign, "--web.listen-address="+freePort(t))
	if err == nil || !strings.Contains(stderr, "is not empty and is not a mihari data directory") || strings.Count(stderr, "\n") > 8 {
		t.Errorf("foreign directory: err %v, stderr:\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "report.pdf")); string(b) != "x" {
		t.Error("the foreign file was touched")
	}

	dir := t.TempDir()
	startAgent(t, dir, "--interval=1s", "--no-rules.defaults", "--collector.disable-defaults", "--collector.loadavg")
	_, stderr, err = runMihari(t, "serve", "--storage.path="+dir, "--web.listen-address="+freePort(t))
	if err == nil || !strings.Contains(stderr, "is in use by another mihari") {
		t.Errorf("directory in use: err %v, stderr:\n%s", err, stderr)
	}
}

// TestDiskFull fills the store's filesystem (a 1 MiB tmpfs): the agent
// keeps running and serving, counts the failed collections, logs it once,
// and stores again when space comes back.
func TestDiskFull(t *testing.T) {
	testenv.RequireRoot(t)
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	base, logs := startAgent(t, filepath.Join(mnt, "data"), "--interval=100ms")
	metric := func(name string) float64 {
		t.Helper()
		s := apiSelf(t, base, name)
		return s
	}
	deadline := time.Now().Add(60 * time.Second)
	for metric("mihari_storage_append_failures_total") < 5 {
		if time.Now().After(deadline) {
			t.Fatal("the store never filled the 1 MiB filesystem")
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.Get(base + "/-/healthy")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("unhealthy while the disk is full: %v", err)
	}
	resp.Body.Close()
	if n := strings.Count(logs.String(), "storing collections fails"); n != 1 {
		t.Errorf("the failure was logged %d times, want once", n)
	}
	// Space comes back.
	if err := unix.Mount("tmpfs", mnt, "tmpfs", unix.MS_REMOUNT, "size=64m"); err != nil {
		t.Fatal(err)
	}
	stored := metric("mihari_collections_total")
	deadline = time.Now().Add(30 * time.Second)
	for metric("mihari_collections_total") < stored+5 {
		if time.Now().After(deadline) {
			t.Fatal("no collection stored after space came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "storing collections works again") {
		t.Error("recovery not logged")
	}
}

// apiSelf reads one of mihari's own metrics from /metrics.
func apiSelf(t *testing.T, base, name string) float64 {
	t.Helper()
	mfs := scrape(t, base+"/metrics")
	return gaugeValue(t, mfs, name, nil)
}

// TestRulesReload changes a rule file under a running agent: SIGHUP and
// POST /-/reload pick up the change; a broken file keeps the old rules.
func TestRulesReload(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	write := func(s string) {
		if err := os.WriteFile(rules, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("groups:\n- name: a\n  rules:\n  - record: one\n    expr: vector(1)\n")
	addr := freePort(t)
	base := "http://" + addr
	cmd, _ := startServerLogs(t, base+"/-/healthy", mihariBin, "serve", "--web.listen-address="+addr,
		"--storage.path="+filepath.Join(dir, "data"), "--interval=1s", "--no-rules.defaults",
		"--rules.file="+filepath.Join(dir, "*.yml"), "--collector.disable-defaults", "--collector.loadavg")
	ruleNames := func() []string {
		resp, err := http.Get(base + "/api/v1/rules")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Groups []struct{ Rules []struct{ Name string } }
			}
		}
		json.NewDecoder(resp.Body).Decode(&r)
		var names []string
		for _, g := range r.Data.Groups {
			for _, rule := range g.Rules {
				names = append(names, rule.Name)
			}
		}
		return names
	}
	if n := ruleNames(); len(n) != 1 || n[0] != "one" {
		t.Fatalf("rules %v, want [one]", n)
	}

	write("groups:\n- name: a\n  rules:\n  - record: two\n    expr: vector(2)\n")
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool { n := ruleNames(); return len(n) == 1 && n[0] == "two" })

	write("groups:\n- name: a\n  rules:\n  - record: three\n    expr: vector(3)\n")
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /-/reload: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := ruleNames(); len(n) != 1 || n[0] != "three" {
		t.Fatalf("after POST /-/reload: rules %v, want [three]", n)
	}

	write("groups:\n- name: a\n  rules:\n  - record: four\n    expr: vector(4\n")
	resp, err = http.Post(base+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("reload of a broken file: %v %v, want 500", resp, err)
	}
	resp.Body.Close()
	if n := ruleNames(); len(n) != 1 || n[0] != "three" {
		t.Fatalf("after a broken reload: rules %v, want the previous [three]", n)
	}

	// The embedded parts' metrics: a few at /metrics and in the store,
	// all of them at /metrics/internal.
	public, internal := scrape(t, base+"/metrics"), scrape(t, base+"/metrics/internal")
	for _, name := range []string{"prometheus_rule_evaluation_failures_total", "prometheus_tsdb_head_series"} {
		if public[name] == nil || internal[name] == nil {
			t.Errorf("%s: at /metrics %v, at /metrics/internal %v; want both", name, public[name] != nil, internal[name] != nil)
		}
	}
	if public["prometheus_engine_queries"] != nil || internal["prometheus_engine_queries"] == nil {
		t.Errorf("prometheus_engine_queries should be at /metrics/internal only")
	}
	waitFor(t, func() bool { return len(apiQuery(t, base, "prometheus_rule_evaluation_failures_total")) > 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
