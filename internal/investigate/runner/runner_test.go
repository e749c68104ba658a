package runner

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	promrules "github.com/prometheus/prometheus/rules"

	"github.com/mihari-dev/mihari/internal/store"
)

// fixture is a Runner whose child is the fake of fake_test.go.
type fixture struct {
	*Runner
	reg     *prometheus.Registry
	dir     string // the investigations
	log     string // the fake's fakeLog
	release string // the "wait" fake's release file
}

const externalURL = "https://mihari.example.com:9780/mihari"

func newFixture(t *testing.T, mode string, o Options) *fixture {
	t.Helper()
	tmp := t.TempDir()
	f := &fixture{
		reg:     prometheus.NewRegistry(),
		dir:     filepath.Join(tmp, "investigations"),
		log:     filepath.Join(tmp, "fake.log"),
		release: filepath.Join(tmp, "release"),
	}
	if o.Dir == "" {
		o.Dir = f.dir
	}
	f.dir = o.Dir
	if o.Alerts == nil {
		o.Alerts = DefaultAlerts
	}
	if o.Duration == 0 {
		o.Duration = 3 * time.Second
	}
	o.Registerer = f.reg
	o.ExternalURL, _ = url.Parse(externalURL)
	o.AgentURL = "http://127.0.0.1:9780"
	o.Args = []string{"--path.procfs=/host/proc"}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o.Command = func(args []string) *exec.Cmd {
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), fakeEnv+"="+mode, fakeLogEnv+"="+f.log, fakeWaitEnv+"="+f.release)
		return cmd
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	f.Runner = r
	return f
}

// wait waits for the runs started so far to end.
func (f *fixture) wait() { f.wg.Wait() }

func (f *fixture) count(result string) float64 {
	return testutil.ToFloat64(f.results.WithLabelValues("alert", result))
}

func (f *fixture) metas(t *testing.T) []*Meta {
	t.Helper()
	ms, errs := f.dir2().list()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return ms
}

func (f *fixture) dir2() dir { return dir(f.dir) }

// only returns the one investigation there is.
func (f *fixture) only(t *testing.T) *Meta {
	t.Helper()
	ms := f.metas(t)
	if len(ms) != 1 {
		t.Fatalf("%d investigations, want 1: %+v", len(ms), ms)
	}
	return ms[0]
}

var activeAt = time.Now().Add(-5 * time.Minute).Truncate(time.Second)

// alert is a firing alert with these labels after its name.
func alert(name string, kv ...string) *promrules.Alert {
	return &promrules.Alert{
		State:       promrules.StateFiring,
		Labels:      labels.FromStrings(append([]string{"alertname", name, "instance", "host1"}, kv...)...),
		Annotations: labels.FromStrings("summary", name+" on host1"),
		ActiveAt:    activeAt,
		FiredAt:     activeAt.Add(time.Minute),
	}
}

func TestTriggersOnConfiguredAlertsOnly(t *testing.T) {
	f := newFixture(t, "report", Options{})
	pending := alert("HostCPUUsageHigh", "cpu", "0")
	pending.State = promrules.StatePending
	f.Notify(alert("FilesystemWillFill", "mountpoint", "/"), pending, alert("HostSystemCPUHigh"))
	f.wait()

	m := f.only(t)
	if m.Status != StatusDone || m.Trigger["alertname"] != "HostSystemCPUHigh" {
		t.Fatalf("investigation %+v, want one done for HostSystemCPUHigh", m)
	}
	if !regexp.MustCompile(`^\d{8}T\d{6}Z-HostSystemCPUHigh-[0-9a-f]{4}$`).MatchString(m.ID) {
		t.Errorf("ID %q is not of the form 20261203T101500Z-HostSystemCPUHigh-3f9a", m.ID)
	}
	if want := fakeSummary("HostSystemCPUHigh"); m.Summary != want || m.Confidence != "high" || m.Cause == nil || m.Cause.Name != "fake-burner" {
		t.Errorf("meta summary %q, confidence %q, cause %+v; want %q, high, fake-burner", m.Summary, m.Confidence, m.Cause, want)
	}
	if m.Finished.Before(m.Started) || m.Alert.Annotations["summary"] != "HostSystemCPUHigh on host1" || !m.Alert.ActiveAt.Equal(activeAt) {
		t.Errorf("meta %+v", m)
	}

	var got fakeLog
	b, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantArgs := []string{"investigate", "--format", "json", "-o", filepath.Join(f.dir, m.ID+".json"), "--id", m.ID,
		"--from-alert", filepath.Join(f.dir, "."+m.ID+".alert.json"), "--agent", "http://127.0.0.1:9780",
		"--duration", "3s", "--progress", "--path.procfs=/host/proc"}
	if diff := cmp.Diff(wantArgs, got.Args); diff != "" {
		t.Errorf("child's arguments (-want +have):\n%s", diff)
	}
	if got.Nice < Nice {
		t.Errorf("child ran at nice %d, want %d", got.Nice, Nice)
	}
	if got.CPULimit != [2]uint64{10, 10} {
		t.Errorf("child's RLIMIT_CPU %v, want the default budget [10 10]", got.CPULimit)
	}
	if got.AlertName != "HostSystemCPUHigh" || got.Labels["instance"] != "host1" {
		t.Errorf("child read the alert %q %v from --from-alert", got.AlertName, got.Labels)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "."+m.ID+".alert.json")); !os.IsNotExist(err) {
		t.Errorf("the alert payload is left after the run: %v", err)
	}
	// The agent's own threads keep their priority: the thread that
	// started the child at nice 10 ends with the run.
	deadline := time.Now().Add(5 * time.Second)
	for th := nicedThreads(t); len(th) > 0; th = nicedThreads(t) {
		if time.Now().After(deadline) {
			t.Errorf("threads of the agent left at another priority: %v", th)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	want := `
# HELP mihari_investigation_running 1 while an investigation runs, else 0.
# TYPE mihari_investigation_running gauge
mihari_investigation_running 0
# HELP mihari_investigations_total Investigations triggered, by what triggered them and how they ended: done (a report was written), failed, killed (CPU budget or wall-clock timeout), dropped (another was running), rate_limited (--investigate.min-interval).
# TYPE mihari_investigations_total counter
mihari_investigations_total{result="done",trigger="alert"} 1
mihari_investigations_total{result="dropped",trigger="alert"} 0
mihari_investigations_total{result="failed",trigger="alert"} 0
mihari_investigations_total{result="killed",trigger="alert"} 0
mihari_investigations_total{result="rate_limited",trigger="alert"} 0
`
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(want), "mihari_investigations_total", "mihari_investigation_running"); err != nil {
		t.Error(err)
	}
	if cpu := testutil.ToFloat64(f.cpu); cpu <= 0 {
		t.Errorf("mihari_investigation_cpu_seconds_total = %v, want the child's CPU", cpu)
	}
}

func TestDisabled(t *testing.T) {
	f := newFixture(t, "report", Options{Alerts: []string{}})
	f.Notify(alert("HostSystemCPUHigh"))
	f.wait()
	if ms := f.metas(t); len(ms) != 0 {
		t.Errorf("investigations with --investigate.on-alert empty: %+v", ms)
	}
}

func TestOncePerAlertInstance(t *testing.T) {
	f := newFixture(t, "report", Options{})
	a := alert("ProcessGroupSystemCPUHigh", "groupname", "kubelet")
	f.Notify(a)
	f.Notify(a) // the same firing, resent while the run goes on
	f.wait()
	f.Notify(a) // ... and after it
	f.wait()
	if n := len(f.metas(t)); n != 1 {
		t.Fatalf("%d investigations of one firing alert, want 1", n)
	}

	// Another label set of the same alert is another instance.
	f.Notify(alert("ProcessGroupSystemCPUHigh", "groupname", "cadvisor"))
	f.wait()
	// The first resolves, and fires again later: a new episode.
	resolved := *a
	resolved.State, resolved.ResolvedAt = promrules.StateInactive, time.Now()
	f.Notify(&resolved)
	again := *a
	again.ActiveAt, again.FiredAt = time.Now(), time.Now()
	f.Notify(&again)
	f.wait()

	var groups []string
	for _, m := range f.metas(t) {
		groups = append(groups, m.Trigger["groupname"])
	}
	if diff := cmp.Diff([]string{"kubelet", "cadvisor", "kubelet"}, groups); diff != "" {
		t.Errorf("investigations by groupname, newest first (-want +have):\n%s", diff)
	}
	if n := f.count(resultDone); n != 3 {
		t.Errorf("done = %v, want 3", n)
	}
}

func TestOneAtATime(t *testing.T) {
	f := newFixture(t, "wait", Options{})
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	if v := testutil.ToFloat64(f.active); v != 1 {
		t.Errorf("mihari_investigation_running = %v while one runs", v)
	}
	f.Notify(alert("HostCPUUsageHigh", "cpu", "1"), alert("HostSystemCPUHigh"))
	if n := f.count(resultDropped); n != 2 {
		t.Errorf("dropped = %v, want 2", n)
	}
	if m := f.only(t); m.Status != StatusRunning {
		t.Errorf("status %q while it runs", m.Status)
	}
	os.WriteFile(f.release, nil, 0o644)
	f.wait()
	if m := f.only(t); m.Status != StatusDone || m.Trigger["cpu"] != "0" {
		t.Errorf("investigation %+v, want cpu 0 done", m)
	}
	if v := testutil.ToFloat64(f.active); v != 0 {
		t.Errorf("mihari_investigation_running = %v after the run", v)
	}
	// The dropped ones were seen: they do not start one later either.
	f.Notify(alert("HostSystemCPUHigh"))
	f.wait()
	if n := len(f.metas(t)); n != 1 {
		t.Errorf("%d investigations, want 1: a dropped alert is not retried", n)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, "report", Options{MinInterval: time.Hour})
	now := time.Now()
	f.now = func() time.Time { return now }
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.wait()
	now = now.Add(59 * time.Minute)
	f.Notify(alert("HostCPUUsageHigh", "cpu", "1"))
	f.wait()
	if n := f.count(resultRateLimited); n != 1 {
		t.Errorf("rate_limited = %v, want 1", n)
	}
	now = now.Add(2 * time.Minute)
	f.Notify(alert("HostCPUUsageHigh", "cpu", "2"))
	f.wait()
	var cpus []string
	for _, m := range f.metas(t) {
		cpus = append(cpus, m.Trigger["cpu"])
	}
	if diff := cmp.Diff([]string{"2", "0"}, cpus); diff != "" {
		t.Errorf("investigations by cpu, newest first (-want +have):\n%s", diff)
	}

	// A restarted agent remembers when the latest started.
	r2, err := New(Options{Dir: f.dir, Alerts: DefaultAlerts, MinInterval: time.Hour, Command: f.o.Command})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Stop()
	if !r2.lastStart.Equal(now) {
		t.Errorf("restarted runner's last start %v, want %v", r2.lastStart, now)
	}
}

func TestCPUBudgetKills(t *testing.T) {
	f := newFixture(t, "spin", Options{CPUBudget: time.Second, WallTimeout: time.Minute})
	start := time.Now()
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.wait()
	m := f.only(t)
	if m.Status != StatusKilled || !strings.Contains(m.Error, "CPU budget of 1s") {
		t.Errorf("status %q, error %q; want killed for its CPU budget", m.Status, m.Error)
	}
	if m.CPUSeconds < 0.9 || m.CPUSeconds > 1.5 {
		t.Errorf("the child used %.2fs of CPU, want its budget of 1s", m.CPUSeconds)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("killed after %v", d)
	}
	if n := f.count(resultKilled); n != 1 {
		t.Errorf("killed = %v, want 1", n)
	}
}

func TestWallTimeoutKills(t *testing.T) {
	f := newFixture(t, "sleep", Options{WallTimeout: 300 * time.Millisecond})
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.wait()
	m := f.only(t)
	if m.Status != StatusKilled || !strings.Contains(m.Error, "wall-clock timeout of 300ms") {
		t.Errorf("status %q, error %q; want killed after the wall-clock timeout", m.Status, m.Error)
	}
}

func TestFailedRunKeepsStderr(t *testing.T) {
	f := newFixture(t, "fail", Options{})
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.wait()
	m := f.only(t)
	want := &Meta{
		Status: StatusFailed,
		Error:  "mihari investigate exited with status 1: fake: the host could not be read: permission denied",
		Stderr: "fake: starting\nfake: the host could not be read: permission denied\n",
	}
	have := &Meta{Status: m.Status, Error: m.Error, Stderr: m.Stderr}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("failed run (-want +have):\n%s", diff)
	}
}

func TestNoReportIsFailure(t *testing.T) {
	f := newFixture(t, "noreport", Options{})
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.wait()
	if m := f.only(t); m.Status != StatusFailed || m.Error != "mihari investigate exited successfully but wrote no report" {
		t.Errorf("status %q, error %q", m.Status, m.Error)
	}
}

func TestStopKillsTheRun(t *testing.T) {
	f := newFixture(t, "sleep", Options{})
	f.Notify(alert("HostCPUUsageHigh", "cpu", "0"))
	f.Stop()
	if m := f.only(t); m.Status != StatusKilled || m.Error != "killed: the agent stopped" {
		t.Errorf("status %q, error %q", m.Status, m.Error)
	}
}

func TestRecoversRunsOfACrashedAgent(t *testing.T) {
	d := filepath.Join(t.TempDir(), "investigations")
	if err := os.MkdirAll(d, 0o750); err != nil {
		t.Fatal(err)
	}
	a := alert("HostSystemCPUHigh")
	started := time.Now().Add(-time.Minute).Truncate(time.Second)
	crashed := &Meta{ID: "20261203T101500Z-HostSystemCPUHigh-abcd", Status: StatusRunning, Trigger: a.Labels.Map(), Started: started}
	if err := dir(d).writeMeta(crashed); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "report", Options{Dir: d})
	m := f.only(t)
	if m.Status != StatusFailed || !strings.Contains(m.Error, "the agent stopped while it ran") || m.Finished.IsZero() {
		t.Errorf("crashed run recovered as %+v, want failed", m)
	}
	// Its alert still links to it, and firing on after the restart
	// (ActiveAt restored by the rule manager) does not start another.
	if link, ok := f.Annotate(a.Labels); !ok || link != externalURL+"/api/v1/investigations/"+crashed.ID+"?format=html" {
		t.Errorf("Annotate = %q, %v", link, ok)
	}
	f.Notify(a)
	f.wait()
	if n := len(f.metas(t)); n != 1 {
		t.Errorf("%d investigations, want 1: the alert was investigated before the restart", n)
	}
}

func TestAnnotate(t *testing.T) {
	f := newFixture(t, "wait", Options{})
	a := alert("HostSystemCPUHigh")
	if _, ok := f.Annotate(a.Labels); ok {
		t.Error("an alert is annotated before it is investigated")
	}
	f.Notify(a)
	m := f.only(t)
	// At once: the notification that started it links to it.
	link, ok := f.Annotate(a.Labels)
	if want := externalURL + "/api/v1/investigations/" + m.ID + "?format=html"; !ok || link != want {
		t.Errorf("Annotate = %q, %v; want %q", link, ok, want)
	}
	if _, ok := f.Annotate(alert("HostSystemCPUHigh", "extra", "x").Labels); ok {
		t.Error("an alert with other labels is annotated")
	}
	os.WriteFile(f.release, nil, 0o644)
	f.wait()
	if link2, _ := f.Annotate(a.Labels); link2 != link {
		t.Errorf("link after the run %q, want %q", link2, link)
	}
}

func TestRetention(t *testing.T) {
	d := filepath.Join(t.TempDir(), "investigations")
	if err := os.MkdirAll(d, 0o750); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ages := map[string]time.Duration{ // ID -> age
		"a-1h": time.Hour, "b-2h": 2 * time.Hour, "c-3h": 3 * time.Hour, "d-4h": 4 * time.Hour,
		"e-8d": 8 * 24 * time.Hour,
	}
	for id, age := range ages {
		m := &Meta{ID: id, Status: StatusDone, Trigger: map[string]string{"alertname": id}, Started: now.Add(-age), Finished: now.Add(-age)}
		if err := dir(d).writeMeta(m); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir(d).reportPath(id), []byte("{}"), 0o644)
	}
	// Temporary files: an old one (a child killed while writing), a fresh one.
	old, fresh := filepath.Join(d, ".mihari-123"), filepath.Join(d, ".mihari-456")
	os.WriteFile(old, nil, 0o644)
	os.WriteFile(fresh, nil, 0o644)
	os.Chtimes(old, now.Add(-time.Hour), now.Add(-time.Hour))
	foreign := filepath.Join(d, "README")
	os.WriteFile(foreign, nil, 0o644)

	f := newFixture(t, "report", Options{Dir: d, RetentionCount: 3, RetentionTime: 7 * 24 * time.Hour})
	var ids []string
	for _, m := range f.metas(t) {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]string{"a-1h", "b-2h", "c-3h"}, ids); diff != "" {
		t.Errorf("kept (-want +have):\n%s", diff)
	}
	for _, id := range []string{"d-4h", "e-8d"} {
		if _, err := os.Stat(dir(d).reportPath(id)); !os.IsNotExist(err) {
			t.Errorf("report of pruned %s: %v", id, err)
		}
	}
	for p, want := range map[string]bool{old: false, fresh: true, foreign: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	if _, ok := f.Annotate(labels.FromStrings("alertname", "d-4h")); ok {
		t.Error("a pruned investigation is still linked")
	}

	// After a run, the oldest goes.
	f.Notify(alert("HostSystemCPUHigh"))
	f.wait()
	ids = ids[:0]
	for _, m := range f.metas(t) {
		ids = append(ids, m.ID)
	}
	if len(ids) != 3 || !strings.Contains(ids[0], "HostSystemCPUHigh") || slices.Contains(ids, "c-3h") {
		t.Errorf("after a run: %v, want the new one, a-1h and b-2h", ids)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"20261203T101500Z-HostSystemCPUHigh-3f9a": true,
		"a":                      true,
		"":                       false,
		"..":                     false,
		"../etc/passwd":          false,
		"a/b":                    false,
		"a.json":                 false,
		"a b":                    false,
		"a_b":                    false,
		"é":                      false,
		strings.Repeat("a", 129): false,
		strings.Repeat("a", 128): true,
	} {
		if have := ValidID(id); have != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, have, want)
		}
	}
}

func TestNewID(t *testing.T) {
	at := time.Date(2026, 12, 3, 11, 15, 0, 0, time.FixedZone("CET", 3600))
	for name, want := range map[string]string{
		"HostSystemCPUHigh": `^20261203T101500Z-HostSystemCPUHigh-[0-9a-f]{4}$`,
		"a:b_c.d":           `^20261203T101500Z-a-b-c-d-[0-9a-f]{4}$`,
		"":                  `^20261203T101500Z-alert-[0-9a-f]{4}$`,
	} {
		id := newID(at, name)
		if !regexp.MustCompile(want).MatchString(id) || !ValidID(id) {
			t.Errorf("newID(%q) = %q, want %s", name, id, want)
		}
	}
}

// TestStoreKeepsItsDirectory: the investigations live inside the store's
// data directory; the store (its claim, the TSDB) must open it again.
func TestStoreKeepsItsDirectory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	open := func() *store.Store {
		t.Helper()
		s, err := store.Open(store.Options{Path: data, Labels: labels.FromStrings("instance", "h", "job", "mihari")})
		if err != nil {
			t.Fatalf("opening the data directory with investigations in it: %v", err)
		}
		return s
	}
	s := open()
	f := newFixture(t, "report", Options{Dir: filepath.Join(data, "investigations")})
	f.Notify(alert("HostSystemCPUHigh"))
	f.wait()
	f.Stop()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close()
	if m := f.only(t); m.Status != StatusDone {
		t.Errorf("investigation %+v", m)
	}
}

// nicedThreads lists the threads of this process whose nice is not
// the process's.
func nicedThreads(t *testing.T) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	main := threadNice(t, "/proc/self/stat")
	var out []string
	for _, task := range tasks {
		if n := threadNice(t, "/proc/self/task/"+task.Name()+"/stat"); n != main && n >= 0 {
			out = append(out, task.Name()+": nice "+strconv.Itoa(n))
		}
	}
	return out
}

// threadNice is field 19 of a stat file; -1 if the thread is gone.
func threadNice(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, err := strconv.Atoi(fields[16])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

// TestStartManual starts investigations as the web UI does: one at a time,
// its progress readable while it runs, not held back by MinInterval.
func TestStartManual(t *testing.T) {
	f := newFixture(t, "wait", Options{MinInterval: time.Hour})
	id, err := f.StartManual(4242)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		step, running := f.Progress(id)
		if !running {
			t.Fatalf("Progress(%s) says it is not running", id)
		}
		if step == "waiting for the release file" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress %q, want the fake's last step", step)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, running := f.Progress("20261203T101500Z-manual-0000"); running {
		t.Error("another ID is said to be running")
	}
	if _, err := f.StartManual(0); err == nil || !strings.Contains(err.Error(), id+" is running") {
		t.Errorf("a second start while one runs: %v", err)
	}
	if err := os.WriteFile(f.release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.wait()
	m := f.only(t)
	if m.ID != id || m.Status != StatusDone || !m.Manual || m.Trigger["pid"] != "4242" {
		t.Fatalf("investigation %+v, want %s done, manual, for pid 4242", m, id)
	}
	var got fakeLog
	if b, err := os.ReadFile(f.log); err != nil || json.Unmarshal(b, &got) != nil {
		t.Fatalf("fake log: %v", err)
	}
	if got.AlertName != "manual" || got.Labels["pid"] != "4242" {
		t.Errorf("child read the alert %q %v, want manual with pid 4242", got.AlertName, got.Labels)
	}
	if _, running := f.Progress(id); running {
		t.Error("a finished investigation is said to be running")
	}

	// Right after, by hand, though an alert would wait MinInterval.
	id2, err := f.StartManual(0)
	if err != nil {
		t.Fatalf("starting again after the first finished: %v", err)
	}
	f.wait()
	if ms := f.metas(t); len(ms) != 2 || ms[0].ID != id2 {
		t.Errorf("investigations %+v, want %s newest", ms, id2)
	}
	if v := testutil.ToFloat64(f.results.WithLabelValues("manual", StatusDone)); v != 2 {
		t.Errorf("mihari_investigations_total{trigger=\"manual\",result=\"done\"} = %v, want 2", v)
	}
	if g, err := f.Get(id); err != nil || g.ID != id {
		t.Errorf("Get(%s) = %+v, %v", id, g, err)
	}
	if _, err := f.Get("../etc/passwd"); err == nil {
		t.Error("Get accepts a path")
	}
}
