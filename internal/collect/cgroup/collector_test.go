package cgroup

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/kubelet"
)

func fixture(t *testing.T, mode string) collect.Paths {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata")
	sys := t.TempDir()
	if err := os.MkdirAll(filepath.Join(sys, "fs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "cgroups", mode), filepath.Join(sys, "fs/cgroup")); err != nil {
		t.Fatal(err)
	}
	p := collect.DefaultPaths()
	p.Sysfs = sys
	p.Procfs = filepath.Join(root, "hosts/big/proc")
	return p
}

// collectCgroups runs the collector once and returns every series as
// labels -> value, by metric name.
func collectCgroups(t *testing.T, paths collect.Paths, depth int) map[string][]sample {
	t.Helper()
	return gather(t, newCollector(paths, depth, nil))
}

func newCollector(paths collect.Paths, depth int, kube *kubelet.Client) *Collector {
	r := collect.NewReader(collect.Config{})
	return &Collector{
		paths: paths, r: r, depth: depth, blkio: true,
		root:   paths.Sys("fs/cgroup"),
		dirs:   r.Source("/sys/fs/cgroup/[cgroup]", collect.Uncached()),
		probe:  r.Source("/sys/fs/cgroup", collect.Uncached()),
		disks:  r.Source("/proc/diskstats"),
		files:  map[string]*collect.Source{},
		labels: map[string]Identity{},
		kube:   kube,
	}
}

// gather runs the collector once and returns every series as labels ->
// value, by metric name.
func gather(t *testing.T, c collect.Collector) map[string][]sample {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(updater{c})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]sample{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			s := sample{labels: map[string]string{}}
			for _, lp := range m.GetLabel() {
				s.labels[lp.GetName()] = lp.GetValue()
			}
			if m.Counter != nil {
				s.value = m.GetCounter().GetValue()
			} else {
				s.value = m.GetGauge().GetValue()
			}
			out[mf.GetName()] = append(out[mf.GetName()], s)
		}
	}
	return out
}

// updater runs a collector in a registry, unchecked (no Describe).
type updater struct{ c collect.Collector }

func (updater) Describe(chan<- *prometheus.Desc) {}
func (u updater) Collect(ch chan<- prometheus.Metric) {
	if err := u.c.Update(collect.WithScrape(context.Background()), ch); err != nil {
		panic(err)
	}
}

type sample struct {
	labels map[string]string
	value  float64
}

func find(t *testing.T, ss []sample, want map[string]string) []sample {
	t.Helper()
	var out []sample
next:
	for _, s := range ss {
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

func value(t *testing.T, got map[string][]sample, name string, want map[string]string) float64 {
	t.Helper()
	ss := find(t, got[name], want)
	if len(ss) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(ss))
	}
	return ss[0].value
}

func TestDetect(t *testing.T) {
	for mode, want := range map[string]Mode{"v1": V1, "v2": V2, "hybrid": Hybrid} {
		paths := fixture(t, mode)
		src := collect.NewReader(collect.Config{}).Source("/sys/fs/cgroup")
		l, err := Detect(context.Background(), src, paths.Sys("fs/cgroup"))
		if err != nil {
			t.Fatal(err)
		}
		if l.Mode != want {
			t.Errorf("%s: mode %s, want %s", mode, l.Mode, want)
		}
		switch l.Mode {
		case V1, Hybrid:
			// cpu and cpuacct are one hierarchy, seen once.
			if len(l.V1) != 5 || l.Blkio != "blkio.throttle." || len(l.Trees) != 4 {
				t.Errorf("%s: v1 %v, blkio %q, trees %v", mode, l.V1, l.Blkio, l.Trees)
			}
		}
	}
	// No cgroup filesystem at all: nothing to report, not a failure.
	src := collect.NewReader(collect.Config{}).Source("/sys/fs/cgroup")
	if _, err := Detect(context.Background(), src, t.TempDir()); err != collect.ErrNoData {
		t.Errorf("empty root: %v, want ErrNoData", err)
	}
}

// The incident's file, parsed exactly: 345 devices, six lines each, in one
// burstable pod's container.
func TestBlkioIncidentFile(t *testing.T) {
	got := collectCgroups(t, fixture(t, "v1"), 5)
	const id = "/kubepods/burstable/podf63b565b-430b-43e4-a7c6-c2029c88601c/f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837"
	ios := find(t, got["mihari_cgroup_blkio_ios_total"], map[string]string{"id": id})
	if len(ios) != 2070 {
		t.Fatalf("%d blkio series for the container, want 2070 (345 devices x 6 operations)", len(ios))
	}
	var total float64
	devices := map[string]bool{}
	for _, s := range find(t, ios, map[string]string{"operation": "Total"}) {
		total += s.value
		devices[s.labels["major"]+":"+s.labels["minor"]] = true
	}
	if total != 21544856300 || len(devices) != 345 {
		t.Fatalf("sum of device totals %v over %d devices, want 21544856300 over 345", total, len(devices))
	}
	if v := value(t, got, "mihari_cgroup_blkio_ios_total", map[string]string{"id": id, "major": "253", "minor": "0", "operation": "Read"}); v != 47337931 {
		t.Errorf("253:0 Read = %v, want 47337931", v)
	}
	// Device names come from /proc/diskstats.
	if s := find(t, ios, map[string]string{"major": "253", "minor": "0", "operation": "Read"}); s[0].labels["device"] != "dm-0" {
		t.Errorf("253:0 is named %q, want dm-0", s[0].labels["device"])
	}
	// The container is labelled from its path.
	if s := ios[0].labels; s["container_id"] != "f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837" ||
		s["pod_uid"] != "f63b565b-430b-43e4-a7c6-c2029c88601c" || s["qos_class"] != "burstable" {
		t.Errorf("labels %v", s)
	}
}

// Values against the fixture files, read by hand.
func TestCgroupValues(t *testing.T) {
	read := func(path string) string {
		_, file, _, _ := runtime.Caller(0)
		b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata/cgroups", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("v1", func(t *testing.T) {
		got := collectCgroups(t, fixture(t, "v1"), 5)
		id := map[string]string{"id": "/system.slice/kubelet.service"}
		usage := parseFloat(t, read("v1/cpu,cpuacct/system.slice/kubelet.service/cpuacct.usage"))
		if v := value(t, got, "container_cpu_usage_seconds_total", id); v != usage/1e9 {
			t.Errorf("usage %v, want %v", v, usage/1e9)
		}
		kv := keyValues(read("v1/cpu,cpuacct/system.slice/kubelet.service/cpuacct.stat"))
		if v := value(t, got, "container_cpu_system_seconds_total", id); v != kv["system"]/100 {
			t.Errorf("system %v, want %v", v, kv["system"]/100)
		}
		mem := parseFloat(t, read("v1/memory/system.slice/kubelet.service/memory.usage_in_bytes"))
		ms := keyValues(read("v1/memory/system.slice/kubelet.service/memory.stat"))
		if v := value(t, got, "container_memory_working_set_bytes", id); v != mem-ms["total_inactive_file"] {
			t.Errorf("working set %v, want %v", v, mem-ms["total_inactive_file"])
		}
		// No limit, no series.
		if ss := find(t, got["container_spec_memory_limit_bytes"], id); len(ss) != 0 {
			t.Errorf("limit series for an unlimited cgroup: %v", ss)
		}
	})
	t.Run("v2", func(t *testing.T) {
		got := collectCgroups(t, fixture(t, "v2"), 5)
		id := map[string]string{"id": "/system.slice/kubelet.service"}
		kv := keyValues(read("v2/system.slice/kubelet.service/cpu.stat"))
		if v := value(t, got, "container_cpu_usage_seconds_total", id); v != kv["usage_usec"]/1e6 {
			t.Errorf("usage %v, want %v", v, kv["usage_usec"]/1e6)
		}
		if v := value(t, got, "container_cpu_user_seconds_total", id); v != kv["user_usec"]/1e6 {
			t.Errorf("user %v, want %v", v, kv["user_usec"]/1e6)
		}
		// Pressure per cgroup.
		if ss := find(t, got["container_pressure_cpu_waiting_seconds_total"], id); len(ss) != 1 {
			t.Errorf("%d cpu pressure series, want 1", len(ss))
		}
	})
	t.Run("hybrid pressure from the unified hierarchy", func(t *testing.T) {
		got := collectCgroups(t, fixture(t, "hybrid"), 5)
		if len(got["container_pressure_memory_waiting_seconds_total"]) == 0 {
			t.Error("no pressure series in hybrid mode")
		}
		if len(got["container_cpu_usage_seconds_total"]) == 0 {
			t.Error("no cpu series in hybrid mode")
		}
	})
}

func TestMaxDepthAndFilters(t *testing.T) {
	paths := fixture(t, "v1")
	all := collectCgroups(t, paths, 5)["container_cpu_usage_seconds_total"]
	shallow := collectCgroups(t, paths, 1)["container_cpu_usage_seconds_total"]
	for _, s := range shallow {
		if n := depthOf(s.labels["id"]); n > 1 {
			t.Errorf("depth 1 reported %s", s.labels["id"])
		}
	}
	if len(shallow) >= len(all) || len(shallow) < 3 {
		t.Errorf("%d cgroups at depth 1 of %d", len(shallow), len(all))
	}
}

func depthOf(id string) int {
	if id == "/" {
		return 0
	}
	n := 0
	for i := 0; i < len(id); i++ {
		if id[i] == '/' {
			n++
		}
	}
	return n
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func keyValues(s string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.SplitSeq(s, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return out
}

// Without the throttle files (kernels built without the throttling layer),
// the BFQ scheduler's files are read instead.
func TestBlkioBFQFallback(t *testing.T) {
	sys := t.TempDir()
	dir := filepath.Join(sys, "fs/cgroup/blkio/docker")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{
		"cgroup.procs":                      "",
		"blkio.bfq.io_serviced":             "8:0 Read 5\n8:0 Write 0\n8:0 Total 5\nTotal 5\n",
		"blkio.bfq.io_service_bytes":        "8:0 Read 20480\n8:0 Write 0\n8:0 Total 20480\nTotal 20480\n",
		"docker/blkio.bfq.io_serviced":      "8:0 Read 3\n8:0 Write 1\n8:0 Total 4\nTotal 4\n",
		"docker/blkio.bfq.io_service_bytes": "8:0 Read 12288\n8:0 Write 4096\n8:0 Total 16384\nTotal 16384\n",
	} {
		if err := os.WriteFile(filepath.Join(sys, "fs/cgroup/blkio", path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := collect.DefaultPaths()
	paths.Sysfs = sys
	paths.Procfs = fixture(t, "v1").Procfs
	got := collectCgroups(t, paths, 4)
	if v := value(t, got, "container_blkio_device_usage_total", map[string]string{"id": "/docker", "operation": "Write"}); v != 4096 {
		t.Errorf("bfq write bytes %v, want 4096", v)
	}
	if v := value(t, got, "mihari_cgroup_blkio_ios_total", map[string]string{"id": "/docker", "operation": "Read"}); v != 3 {
		t.Errorf("bfq read ios %v, want 3", v)
	}
}
