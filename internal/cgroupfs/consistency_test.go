package cgroupfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mihari-dev/mihari/internal/procfs"
)

// TestFixturesMatchProcs checks that testdata/cgroups/v1 is the cgroup
// tree of the processes of testdata/procs, as the collectors will assume:
// every process's cgroup exists in each controller, lists the process in
// its cgroup.procs unless it is a zombie, and pids.current counts its
// threads.
func TestFixturesMatchProcs(t *testing.T) {
	procsDir := filepath.Join("..", "..", "testdata", "procs")
	dirs := map[string]string{
		"cpu,cpuacct": "cpu,cpuacct", "memory": "memory", "blkio": "blkio", "pids": "pids", "name=systemd": "systemd",
	}
	entries, err := os.ReadDir(procsDir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string][]int{}  // cgroup.procs by v1 directory
	threads := map[string]int64{} // by pids cgroup, subtree included
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procsDir, e.Name(), "cgroup"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cgs, err := procfs.ParsePidCgroup(b)
		if err != nil {
			t.Fatal(err)
		}
		b, err = os.ReadFile(filepath.Join(procsDir, e.Name(), "stat"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := procfs.ParsePidStat(b)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, cg := range cgs {
			dir, ok := dirs[strings.Join(cg.Controllers, ",")]
			if !ok {
				continue
			}
			d := filepath.Join(cgroupsDir, "v1", dir, filepath.FromSlash(cg.Path))
			if st.State != 'Z' {
				listed[d] = append(listed[d], pid)
			}
			if dir == "pids" {
				for p := cg.Path; ; p = filepath.Dir(p) {
					threads[p] += st.NumThreads
					if p == "/" {
						break
					}
				}
			}
		}
	}
	if n != 994 || len(listed) < 100 {
		t.Fatalf("%d processes in %d cgroups, want 994 in over 100", n, len(listed))
	}
	for d, pids := range listed {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		var have []int
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			have = append(have, pid)
		}
		slices.Sort(pids)
		if !slices.Equal(have, pids) {
			t.Errorf("%s/cgroup.procs: %d PIDs, the processes say %d", d, len(have), len(pids))
		}
	}
	for p, want := range threads {
		if p == "/" {
			continue // the root has no pids.current
		}
		v, _, err := ParseValue(readFixture(t, "v1/pids"+p+"/pids.current"))
		if err != nil || v != uint64(want) {
			t.Errorf("v1/pids%s/pids.current = %d, %v; the processes have %d threads", p, v, err, want)
		}
	}
}
