package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/fusefs"
	"github.com/mihari-dev/mihari/test/testenv"
)

// TestSlowBlkioFile is the incident's file: a blkio.throttle.io_serviced of
// 2,071 lines (345 network-attached disks), here also slow — a FUSE file
// that takes 3 s per read — in one container's cgroup among others. With a
// 1 s deadline every scrape must answer within the deadline plus a margin,
// keep reporting every other cgroup, show the file's cost under its source
// in mihari_source_*, and log one warning naming the file and its cost.
func TestSlowBlkioFile(t *testing.T) {
	testenv.RequireRoot(t)
	const (
		deadline = time.Second
		margin   = 500 * time.Millisecond
	)
	root := repoRoot(t)
	big, err := os.ReadFile(filepath.Join(root, "testdata/cgroups/blkio.throttle.io_serviced.2071"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(big), "\n"); n != 2071 {
		t.Fatalf("fixture has %d lines, want 2071", n)
	}

	// A v1 tree with the big slow file in one kubepods container.
	sys := t.TempDir()
	cg := filepath.Join(sys, "fs/cgroup")
	const slowID = "/kubepods/burstable/pod0f3b3a30-8a2c-4a8e-9a1e-3f8d1b1c2d4e/3f1c5e7a9b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a"
	for _, ctl := range []string{"cpuacct", "blkio"} {
		for _, id := range []string{"/", "/system.slice", "/system.slice/kubelet.service", slowID} {
			dir := filepath.Join(cg, ctl, id)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			files := map[string]string{"cgroup.procs": ""}
			switch ctl {
			case "cpuacct":
				files["cpuacct.usage"] = "1000000000\n"
				files["cpuacct.stat"] = "user 70\nsystem 30\n"
			case "blkio":
				files["blkio.throttle.io_service_bytes"] = "8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n"
				files["blkio.throttle.io_serviced"] = "8:0 Read 1\n8:0 Write 0\n8:0 Total 1\nTotal 1\n"
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	slow := fusefs.NewFile(string(big))
	slow.SetDelay(3 * time.Second)
	mnt := filepath.Join(t.TempDir(), "fuse")
	os.Mkdir(mnt, 0o755)
	fsys, err := fusefs.Mount(mnt, map[string]*fusefs.File{"io_serviced": slow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Unmount() })
	target := filepath.Join(cg, "blkio", slowID, "blkio.throttle.io_serviced")
	os.Remove(target)
	if err := os.Symlink(filepath.Join(mnt, "io_serviced"), target); err != nil {
		t.Fatal(err)
	}

	addr := freePort(t)
	base := "http://" + addr
	_, logs := startServerLogs(t, base+"/-/healthy", mihariBin, "serve", "--web.listen-address="+addr,
		"--path.sysfs="+sys, "--source.timeout="+deadline.String(),
		"--collector.disable-defaults", "--collector.cgroup", "--log.format=logfmt")

	src := map[string]string{"source": "/sys/fs/cgroup/blkio/[cgroup]/blkio.throttle.io_serviced"}
	var lastTotal, maxLastRead float64
	for i := range 40 {
		start := time.Now()
		mfs := scrape(t, base+"/metrics")
		if el := time.Since(start); el > deadline+margin {
			t.Fatalf("scrape %d took %v, more than the deadline %v plus %v", i, el, deadline, margin)
		}
		// Every cgroup keeps its CPU metrics, the slow one included.
		for _, id := range []string{"/", "/system.slice/kubelet.service", slowID} {
			if v := gaugeValue(t, mfs, "container_cpu_usage_seconds_total", map[string]string{"id": id}); v != 1 {
				t.Fatalf("scrape %d: container_cpu_usage_seconds_total{id=%q} = %v, want 1", i, id, v)
			}
		}
		lastTotal = gaugeValue(t, mfs, "mihari_source_read_seconds_total", src)
		maxLastRead = max(maxLastRead, gaugeValue(t, mfs, "mihari_source_last_read_seconds", src))
		time.Sleep(100 * time.Millisecond) // paced so the 3 s read completes during the run
	}
	mfs := scrape(t, base+"/metrics")
	if lastTotal < 3 {
		t.Errorf("mihari_source_read_seconds_total of the blkio source = %v, want the slow read's 3 s in it", lastTotal)
	}
	for metric, want := range map[string]func(float64) bool{
		"mihari_source_timeouts_total": atLeast(1),
		"mihari_source_stale":          eq(1),
		"mihari_source_bytes_total":    atLeast(float64(len(big))),
	} {
		if v := gaugeValue(t, mfs, metric, src); !want(v) {
			t.Errorf("%s%v = %v", metric, src, v)
		}
	}
	if maxLastRead < 3 {
		t.Errorf("mihari_source_last_read_seconds of the blkio source peaked at %v, want the slow read's 3 s", maxLastRead)
	}
	// The slow file's own series arrive once its read does, served stale.
	if v := gaugeValue(t, mfs, "mihari_cgroup_blkio_ios_total", map[string]string{"id": slowID, "major": "253", "minor": "0", "operation": "Read"}); v != 47337931 {
		t.Errorf("blkio ios of the slow cgroup = %v, want the values of the 2,071-line file", v)
	}
	// One warning when the read finally returns, with what it cost.
	var warned []string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "took longer than its deadline") {
			warned = append(warned, line)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "path="+target) || !strings.Contains(warned[0], "wall=3") || !strings.Contains(warned[0], "bytes=") {
		t.Errorf("want one warning naming %s with its cost, have:\n%s", target, strings.Join(warned, "\n"))
	} else {
		t.Logf("the warning: %s", warned[0])
	}
	if n := slow.Opens(); n > 4 {
		t.Errorf("slow file read %d times in about 8 s, want at most 4 (back-off)", n)
	}
}
