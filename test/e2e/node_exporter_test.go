package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/test/testenv"
)

// compatCollectors are the collectors mihari shares with node_exporter.
var compatCollectors = []string{"cpu", "stat", "loadavg", "meminfo", "vmstat", "diskstats", "netdev", "filesystem", "pressure", "uname", "time"}

// compatFlags are given to both programs. The exclusions are upstream
// node_exporter's defaults, spelled out because Debian's build changes some
// of them (it excludes lo, /run and /mnt).
var compatFlags = []string{
	"--collector.disable-defaults",
	`--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`,
	`--collector.diskstats.device-exclude=^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`,
	"--collector.netdev.device-exclude=^$",
}

// TestNodeExporterCompatibility runs Debian's prometheus-node-exporter and
// mihari against the same fixture trees and requires, for the collectors
// they share, the same series (names and labels), types and values.
func TestNodeExporterCompatibility(t *testing.T) {
	ne := testenv.RequireProgram(t, "prometheus-node-exporter", "prometheus-node-exporter")
	root := repoRoot(t)
	for _, tree := range []string{"vm", "big"} {
		t.Run(tree, func(t *testing.T) {
			dir := copyTree(t, filepath.Join(root, "testdata/hosts", tree))
			rootfs, exactFS := compatRootfs(t)
			writeMounts(t, filepath.Join(dir, "proc/1/mounts"))

			args := append(hostFlags(dir, rootfs), compatFlags...)
			for _, c := range compatCollectors {
				args = append(args, "--collector."+c)
			}

			neAddr := freePort(t)
			// netlink would read the host's interfaces, not the fixture's.
			startServer(t, "http://"+neAddr+"/metrics", ne, append(args, "--web.listen-address="+neAddr, "--no-collector.netdev.netlink")...)
			miAddr := freePort(t)
			startServer(t, "http://"+miAddr+"/metrics", mihariBin, append([]string{"serve", "--web.listen-address=" + miAddr}, args...)...)

			neMFs := scrape(t, "http://"+neAddr+"/metrics")
			miMFs := scrape(t, "http://"+miAddr+"/metrics")
			compared := 0
			for name, neMF := range neMFs {
				if !strings.HasPrefix(name, "node_") || name == "node_exporter_build_info" {
					continue
				}
				miMF, ok := miMFs[name]
				if !ok {
					t.Errorf("mihari lacks %s", name)
					continue
				}
				if neMF.GetType() != miMF.GetType() {
					t.Errorf("%s: type %v, node_exporter has %v", name, miMF.GetType(), neMF.GetType())
				}
			}
			for name := range miMFs {
				if strings.HasPrefix(name, "node_") && neMFs[name] == nil {
					t.Errorf("node_exporter lacks %s", name)
				}
			}
			neS, miS := nodeSeries(neMFs), nodeSeries(miMFs)
			for _, k := range sortedKeys(neS) {
				mv, ok := miS[k]
				if !ok {
					t.Errorf("mihari lacks %s", k)
					continue
				}
				compared++
				if !sameValue(t, k, neS[k], mv, exactFS) {
					t.Errorf("%s = %v, node_exporter has %v", k, mv, neS[k])
				}
			}
			for _, k := range sortedKeys(miS) {
				if _, ok := neS[k]; !ok {
					t.Errorf("node_exporter lacks %s", k)
				}
			}
			if compared < 100 {
				t.Fatalf("only %d series compared; is the fixture tree complete?", compared)
			}
			t.Logf("%s: %d series identical in names, labels and values", tree, compared)
		})
	}
}

// nodeSeries are the node_* series but the per-collector durations, whose
// values are the programs' own.
func nodeSeries(mfs map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series(mfs) {
		if strings.HasPrefix(k, "node_") && !strings.HasPrefix(k, "node_exporter_build_info") {
			out[k] = v
		}
	}
	return out
}

func sameValue(t *testing.T, key string, want, have float64, exactFS bool) bool {
	switch {
	case strings.HasPrefix(key, "node_scrape_collector_duration_seconds"):
		return true
	case strings.HasPrefix(key, "node_time_seconds"):
		return math.Abs(want-have) < 60
	case !exactFS && (strings.HasPrefix(key, "node_filesystem_free_bytes") ||
		strings.HasPrefix(key, "node_filesystem_avail_bytes") || strings.HasPrefix(key, "node_filesystem_files_free")):
		// Without root the rootfs is a directory on a live disk.
		return math.Abs(want-have) <= 0.01*want
	}
	return want == have || (math.IsNaN(want) && math.IsNaN(have))
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compatRootfs returns the rootfs for the filesystem collector. As root
// it is made of tmpfs mounts that nothing writes to, so free space is
// the same for both programs; exact reports whether it is.
func compatRootfs(t *testing.T) (dir string, exact bool) {
	dir = t.TempDir()
	if os.Geteuid() != 0 {
		t.Log("not root: filesystem free space compared within 1%")
		for _, d := range []string{"data", "ro"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir, false
	}
	mount := func(target, opts string, flags uintptr) {
		if err := unix.Mount("tmpfs", target, "tmpfs", flags, opts); err != nil {
			t.Fatalf("mount tmpfs on %s: %v", target, err)
		}
		t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	}
	mount(dir, "size=64m", 0)
	for _, d := range []string{"data", "ro"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "file"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	mount(filepath.Join(dir, "data"), "size=32m,nr_inodes=1000", 0)
	mount(filepath.Join(dir, "ro"), "size=8m", unix.MS_RDONLY)
	return dir, true
}

// writeMounts replaces the tree's mount table with one whose mount points
// exist under the rootfs, plus excluded and missing ones.
func writeMounts(t *testing.T, path string) {
	t.Helper()
	mounts := strings.Join([]string{
		"/dev/vda1 / ext4 rw,relatime 0 0",
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
		"tmpfs /data tmpfs rw,nosuid,nodev 0 0",
		"tmpfs /ro tmpfs ro,nosuid,nodev 0 0",
		"server:/export /gone nfs4 rw,relatime 0 0",
		"cgroup2 /sys/fs/cgroup cgroup2 rw 0 0",
	}, "\n") + "\n"
	if err := os.WriteFile(path, []byte(mounts), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a fixture tree so a test can change it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(fmt.Errorf("copying %s: %w", src, err))
	}
	return dst
}
