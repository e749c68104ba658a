package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mihari-dev/mihari/test/fusefs"
	"github.com/mihari-dev/mihari/test/testenv"
)

// TestHungAndSlowSources puts two FUSE-backed files into a fixture tree:
// /proc/loadavg, which hangs in the kernel after its first read, and
// /proc/meminfo, which takes 3 s to read. With a 1 s deadline, each of 100
// scrapes must answer within the deadline plus a margin, serve the last
// good values marked stale, report the timeouts in mihari_source_*, and
// keep goroutines and file descriptors bounded: the hung file is opened
// exactly once however often it is scraped.
func TestHungAndSlowSources(t *testing.T) {
	testenv.RequireRoot(t)
	const (
		deadline = time.Second
		margin   = 500 * time.Millisecond
		scrapes  = 100
	)
	dir := copyTree(t, filepath.Join(repoRoot(t), "testdata/hosts/vm"))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "proc", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	loadavg := fusefs.NewFile(read("loadavg"))
	meminfo := fusefs.NewFile(read("meminfo"))
	meminfo.SetDelay(3 * time.Second)

	mnt := filepath.Join(dir, "fuse")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	fsys, err := fusefs.Mount(mnt, map[string]*fusefs.File{"loadavg": loadavg, "meminfo": meminfo})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-registered first: mihari is killed before this.
	t.Cleanup(func() {
		if err := fsys.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	for _, name := range []string{"loadavg", "meminfo"} {
		p := filepath.Join(dir, "proc", name)
		os.Remove(p)
		if err := os.Symlink(filepath.Join(mnt, name), p); err != nil {
			t.Fatal(err)
		}
	}

	addr := freePort(t)
	base := "http://" + addr
	startServer(t, base+"/-/healthy", mihariBin, append([]string{"serve",
		"--web.listen-address=" + addr, "--source.timeout=" + deadline.String(),
		"--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo", "--collector.cpu",
	}, hostFlags(dir, dir)...)...)

	first := scrape(t, base+"/metrics")
	load1 := gaugeValue(t, first, "node_load1", nil)

	loadavg.Hang()
	opensAtHang := loadavg.Opens()
	var goroutines10, fds10 float64
	var last map[string]*dto.MetricFamily
	for i := range scrapes {
		start := time.Now()
		last = scrape(t, base+"/metrics")
		if el := time.Since(start); el > deadline+margin {
			t.Fatalf("scrape %d took %v, more than the %v deadline plus %v", i, el, deadline, margin)
		}
		if have := gaugeValue(t, last, "node_load1", nil); have != load1 {
			t.Fatalf("scrape %d: node_load1 = %v, want the last good value %v", i, have, load1)
		}
		if i == 9 {
			goroutines10 = gaugeValue(t, last, "go_goroutines", nil)
			fds10 = gaugeValue(t, last, "process_open_fds", nil)
		}
		// Paced so that the 3 s read of meminfo completes during the run.
		time.Sleep(50 * time.Millisecond)
	}

	src := func(s string) map[string]string { return map[string]string{"source": s} }
	for _, c := range []struct {
		metric string
		source string
		want   func(float64) bool
		what   string
	}{
		{"mihari_source_stale", "/proc/loadavg", eq(1), "1"},
		{"mihari_source_inflight", "/proc/loadavg", eq(1), "1 (one stuck read)"},
		{"mihari_source_timeouts_total", "/proc/loadavg", eq(1), "1"},
		{"mihari_source_timeouts_total", "/proc/meminfo", atLeast(1), ">= 1"},
		{"mihari_source_stale", "/proc/meminfo", eq(1), "1"},
		{"mihari_source_stale", "/proc/stat", eq(0), "0"},
		{"mihari_source_timeouts_total", "/proc/stat", eq(0), "0"},
	} {
		if have := gaugeValue(t, last, c.metric, src(c.source)); !c.want(have) {
			t.Errorf("%s{source=%q} = %v, want %s", c.metric, c.source, have, c.what)
		}
	}
	if have := gaugeValue(t, last, "mihari_source_last_read_seconds", src("/proc/loadavg")); have < 5 {
		t.Errorf("mihari_source_last_read_seconds{source=/proc/loadavg} = %v, want the age of the stuck read (> 5 s)", have)
	}
	// meminfo's 3 s read came back and is served, stale, since then.
	if v := gaugeValue(t, last, "node_memory_MemTotal_bytes", nil); v <= 0 {
		t.Errorf("node_memory_MemTotal_bytes = %v, want the value of the slow read", v)
	}
	if n := loadavg.Opens() - opensAtHang; n != 1 {
		t.Errorf("hung file opened %d times during %d scrapes, want 1", n, scrapes)
	}
	// Back-off: 2 s, then 4 s between reads of the slow file.
	if n := meminfo.Opens(); n > 4 {
		t.Errorf("slow file opened %d times in ~%ds, want at most 4 (back-off)", n, scrapes/20)
	}
	goroutines, fds := gaugeValue(t, last, "go_goroutines", nil), gaugeValue(t, last, "process_open_fds", nil)
	if goroutines > goroutines10+3 || fds > fds10+3 {
		t.Errorf("goroutines %v -> %v, open fds %v -> %v between scrape 10 and %d: not bounded",
			goroutines10, goroutines, fds10, fds, scrapes)
	}
	t.Logf("after %d scrapes: %v goroutines, %v open fds; hung file opened once", scrapes, goroutines, fds)

	// Once the file answers again, it is read again and no longer stale.
	loadavg.Release()
	loadavg.SetContent("9.99 0.00 0.00 1/1 1\n")
	deadlineAt := time.Now().Add(30 * time.Second)
	for {
		mfs := scrape(t, base+"/metrics")
		if gaugeValue(t, mfs, "node_load1", nil) == 9.99 && gaugeValue(t, mfs, "mihari_source_stale", src("/proc/loadavg")) == 0 {
			break
		}
		if time.Now().After(deadlineAt) {
			t.Fatal("loadavg did not recover within 30 s of being released")
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get(base + "/-/healthy")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/-/healthy: %v %v", resp, err)
	}
	resp.Body.Close()
}

func eq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// gaugeValue returns the value of the series of family name whose labels
// include want, failing when there is none.
func gaugeValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no %s in the scrape", name)
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		return value(m)
	}
	t.Fatalf("no %s%v in the scrape", name, want)
	return 0
}
