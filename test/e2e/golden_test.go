package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// volatile lists metric families whose values depend on the machine or
// the moment rather than on the fixture tree; they are left out of golden
// files.
var volatile = map[string]bool{
	"node_time_seconds":                      true,
	"node_time_zone_offset_seconds":          true,
	"node_uname_info":                        true,
	"node_scrape_collector_duration_seconds": true,
	"mihari_build_info":                      true,
	"mihari_cpu_seconds_total":               true,
	"mihari_source_cache_bytes":              true,
	"mihari_source_read_seconds_total":       true,
	"mihari_source_cpu_seconds_total":        true,
	"mihari_source_last_read_seconds":        true,
	// statfs sees the filesystem the test's temporary rootfs lives on.
	"node_filesystem_size_bytes":  true,
	"node_filesystem_free_bytes":  true,
	"node_filesystem_avail_bytes": true,
	"node_filesystem_files":       true,
	"node_filesystem_files_free":  true,
}

func isVolatile(name string) bool {
	return volatile[name] || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
}

// TestGolden runs `mihari metrics` against each fixture tree and compares
// the output, less volatile series, with testdata/golden/<name>.prom.
// Run with -update to rewrite the golden files.
func TestGolden(t *testing.T) {
	root := repoRoot(t)
	type tc struct {
		name string
		args func(t *testing.T) []string
	}
	var cases []tc
	for _, tree := range []string{"vm", "big", "malformed"} {
		cases = append(cases, tc{tree, func(t *testing.T) []string {
			// An empty rootfs: only "/" exists under it, so every other
			// mount point reports node_filesystem_device_error 1.
			return hostFlags(filepath.Join(root, "testdata/hosts", tree), t.TempDir())
		}})
	}
	// 1,000 processes: kernel threads, zombies, vanished and unreadable ones.
	cases = append(cases, tc{"procs", func(t *testing.T) []string {
		return []string{"--path.procfs=" + filepath.Join(root, "testdata/procs"),
			"--collector.disable-defaults", "--collector.process", "--collector.process.top=5"}
	}})
	for _, mode := range []string{"v1", "v2", "hybrid"} {
		cases = append(cases, tc{"cgroup-" + mode, func(t *testing.T) []string {
			// --path.sysfs wants a directory with fs/cgroup in it.
			sys := t.TempDir()
			if err := os.MkdirAll(filepath.Join(sys, "fs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(root, "testdata/cgroups", mode), filepath.Join(sys, "fs/cgroup")); err != nil {
				t.Fatal(err)
			}
			return []string{"--path.sysfs=" + sys, "--path.procfs=" + filepath.Join(root, "testdata/hosts/big/proc"),
				"--collector.disable-defaults", "--collector.cgroup", "--collector.cgroup.max-depth=5"}
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"metrics", "--log.level=error"}, c.args(t)...)
			out, stderr, err := runMihari(t, args...)
			if err != nil {
				t.Fatalf("mihari metrics: %v\n%s", err, stderr)
			}
			have := stable(t, out)
			golden := filepath.Join(root, "testdata/golden", c.name+".prom")
			if *update {
				if err := os.WriteFile(golden, []byte(have), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `go test ./test/e2e -run TestGolden -update` to create it)", err)
			}
			if diff := cmp.Diff(string(want), have); diff != "" {
				t.Errorf("output differs from %s (-want +have); if the change is intended, rerun with -update:\n%s", golden, diff)
			}
		})
	}
}

// stable re-encodes the text output without volatile families, sorted.
func stable(t *testing.T, text string) string {
	t.Helper()
	mfs := parseText(t, strings.NewReader(text))
	names := make([]string, 0, len(mfs))
	for name := range mfs {
		if !isVolatile(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, name := range names {
		mf := mfs[name]
		// mihari's reads of its own /proc/self files vary with the run.
		mf.Metric = slices.DeleteFunc(mf.Metric, func(m *dto.Metric) bool {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "source" && strings.HasPrefix(lp.GetValue(), "/proc/self/") {
					return true
				}
			}
			return false
		})
		sort.Slice(mf.Metric, func(i, j int) bool {
			return seriesKey(name, mf.Metric[i]) < seriesKey(name, mf.Metric[j])
		})
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}
