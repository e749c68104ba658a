package e2e

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/mihari-dev/mihari/test/testenv"
)

// groupAll is process-exporter's "every process by comm" configuration.
const groupAll = `process_names:
  - name: "{{.Comm}}"
    cmdline: ['.+']
`

// TestProcessExporterCompatibility runs Debian's prometheus-process-exporter
// and mihari with the same grouping configuration on the same live
// processes. The metric names and label names must be the same, the group
// names nearly so (processes come and go between the two scrapes), and for
// a workload started after both — which burns a known amount of CPU, writes
// and fsyncs a file, then sleeps — the values must agree. Both read the same
// /proc/PID/stat of a process that no longer runs, so CPU must agree to
// within one tick (10 ms, USER_HZ: the kernel's own resolution for
// per-process CPU in that file), and the rest exactly.
func TestProcessExporterCompatibility(t *testing.T) {
	pe := testenv.RequireProgram(t, "prometheus-process-exporter", "prometheus-process-exporter")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "groups.yml")
	if err := os.WriteFile(cfg, []byte(groupAll), 0o644); err != nil {
		t.Fatal(err)
	}
	peAddr, miAddr := freePort(t), freePort(t)
	startServer(t, "http://"+peAddr+"/metrics", pe, "-config.path", cfg, "-web.listen-address", peAddr,
		"-threads=false", "-gather-smaps=false")
	startServer(t, "http://"+miAddr+"/-/healthy", mihariBin, "serve", "--web.listen-address="+miAddr,
		"--collector.disable-defaults", "--collector.process", "--collector.process.config="+cfg, "--collector.process.wchan")
	// A first collection by each, so that the workload starts after both
	// and both count all of it.
	scrape(t, "http://"+peAddr+"/metrics")
	scrape(t, "http://"+miAddr+"/metrics")
	// process-exporter counts a process in full only if its start time is
	// after its first update, and start times derive from the boot time in
	// /proc/stat, which is rounded to the second: start the workload more
	// than a second later so that it is new to process-exporter too.
	time.Sleep(2 * time.Second)

	startWorkload(t, "mihari-compat", "-user", "700ms", "-write", "1048576", "-file", filepath.Join(dir, "out"), "-then", "sleep")

	peMFs := scrape(t, "http://"+peAddr+"/metrics")
	miMFs := scrape(t, "http://"+miAddr+"/metrics")

	// Families and their label names.
	for name, pf := range peMFs {
		if !strings.HasPrefix(name, "namedprocess_") {
			continue
		}
		mf := miMFs[name]
		if mf == nil {
			t.Errorf("mihari lacks %s", name)
			continue
		}
		if pl, ml := labelNames(pf), labelNames(mf); pl != ml && len(mf.Metric) > 0 && len(pf.Metric) > 0 {
			t.Errorf("%s: labels %s, process-exporter has %s", name, ml, pl)
		}
		if pf.GetType() != mf.GetType() {
			t.Errorf("%s: type %v, process-exporter has %v", name, mf.GetType(), pf.GetType())
		}
	}
	for name := range miMFs {
		if strings.HasPrefix(name, "namedprocess_") && peMFs[name] == nil {
			t.Errorf("process-exporter lacks %s", name)
		}
	}

	// Group names: the same but for processes that came or went between
	// the two scrapes.
	pg, mg := groupNames(peMFs), groupNames(miMFs)
	common := 0
	for g := range pg {
		if mg[g] {
			common++
		}
	}
	union := len(pg) + len(mg) - common
	if union == 0 || float64(common)/float64(union) < 0.9 {
		t.Errorf("groups in common: %d of %d (process-exporter %v, mihari %v)", common, union, keys(pg), keys(mg))
	}

	// The workload's group, value for value.
	for _, c := range []struct {
		family string
		labels map[string]string
		tol    float64
	}{
		{"namedprocess_namegroup_cpu_seconds_total", map[string]string{"mode": "user"}, 0.01},
		{"namedprocess_namegroup_cpu_seconds_total", map[string]string{"mode": "system"}, 0.01},
		{"namedprocess_namegroup_num_procs", nil, 0},
		{"namedprocess_namegroup_num_threads", nil, 0},
		{"namedprocess_namegroup_write_bytes_total", nil, 0},
		{"namedprocess_namegroup_read_bytes_total", nil, 0},
		{"namedprocess_namegroup_memory_bytes", map[string]string{"memtype": "resident"}, 0},
		{"namedprocess_namegroup_memory_bytes", map[string]string{"memtype": "virtual"}, 0},
		{"namedprocess_namegroup_open_filedesc", nil, 0},
		{"namedprocess_namegroup_worst_fd_ratio", nil, 0},
		{"namedprocess_namegroup_oldest_start_time_seconds", nil, 1},
		{"namedprocess_namegroup_major_page_faults_total", nil, 0},
		// Not compared: states and context_switches_total. process-exporter
		// reads every thread of every multi-threaded process on each scrape
		// (even with -threads=false) and counts states and context switches
		// over threads; mihari counts processes (as the HELP of states says)
		// and the main thread's switches, a file per process instead of per
		// thread. The names and labels are the same.
	} {
		want := map[string]string{"groupname": "mihari-compat"}
		for k, v := range c.labels {
			want[k] = v
		}
		pv := gaugeValue(t, peMFs, c.family, want)
		mv := gaugeValue(t, miMFs, c.family, want)
		if math.Abs(pv-mv) > c.tol {
			t.Errorf("%s%v = %v, process-exporter has %v", c.family, c.labels, mv, pv)
		}
	}
	if v := gaugeValue(t, miMFs, "namedprocess_namegroup_cpu_seconds_total", map[string]string{"groupname": "mihari-compat", "mode": "user"}); v < 0.69 {
		t.Errorf("workload user CPU %v s, want the 0.7 s it burned", v)
	}
	if v := gaugeValue(t, miMFs, "namedprocess_namegroup_write_bytes_total", map[string]string{"groupname": "mihari-compat"}); v < 1<<20 {
		t.Errorf("workload wrote %v bytes, want at least the 1 MiB it fsynced", v)
	}
	t.Logf("%d groups in common of %d", common, union)
}

func labelNames(mf *dto.MetricFamily) string {
	if len(mf.Metric) == 0 {
		return ""
	}
	var names []string
	for _, lp := range mf.Metric[0].GetLabel() {
		names = append(names, lp.GetName())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func groupNames(mfs map[string]*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for _, m := range mfs["namedprocess_namegroup_num_procs"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "groupname" {
				out[lp.GetValue()] = true
			}
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
