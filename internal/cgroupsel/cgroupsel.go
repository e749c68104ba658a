// Package cgroupsel selects processes by cgroup, for the commands that take
// --cgroup: it resolves the argument (a cgroup directory, or a path as
// /proc/PID/cgroup shows it) against the mounted v1 and v2 hierarchies and
// tells which processes are in the cgroup or below it.
package cgroupsel

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mihari-dev/mihari/internal/procfs"
)

// Target is a cgroup that a command keeps the processes of.
type Target struct {
	// V2 tells a cgroup of the v2 (unified) hierarchy.
	V2 bool
	// Dir is the cgroup's directory.
	Dir string
	// Controllers name a v1 hierarchy as /proc/PID/cgroup lists them
	// ("cpu,cpuacct", "name=systemd"); "" for v2.
	Controllers string
	// Path is the cgroup's path in its hierarchy, as /proc/PID/cgroup
	// shows it ("/system.slice/kubelet.service").
	Path string
}

// cgroupMount is one mounted cgroup hierarchy.
type cgroupMount struct {
	dir         string
	v2          bool
	controllers string // v1: e.g. "cpu,cpuacct" or "name=systemd"
}

// cgroupMounts lists the mounted cgroup hierarchies, the v2 one first.
func cgroupMounts() ([]cgroupMount, error) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil, err
	}
	ms, _ := procfs.ParseMounts(b) // the good lines are enough
	var out []cgroupMount
	for _, m := range ms {
		switch m.FSType {
		case "cgroup2":
			out = slices.Insert(out, 0, cgroupMount{dir: m.MountPoint, v2: true})
		case "cgroup":
			out = append(out, cgroupMount{dir: m.MountPoint, controllers: v1Controllers(m.Options)})
		}
	}
	return out, nil
}

// v1Controllers picks the controllers from a v1 mount's options, in the
// order /proc/PID/cgroup lists them.
func v1Controllers(options string) string {
	var c []string
	for o := range strings.SplitSeq(options, ",") {
		switch {
		case strings.HasPrefix(o, "name="):
			c = append(c, o)
		case slices.Contains(v1ControllerNames, o):
			c = append(c, o)
		}
	}
	return strings.Join(c, ",")
}

var v1ControllerNames = []string{
	"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
	"memory", "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma",
}

// Resolve turns a --cgroup argument into a Target. arg is a
// cgroup directory (/sys/fs/cgroup/system.slice/x.service, or one in a v1
// hierarchy) or a path as /proc/PID/cgroup shows it (/system.slice/x.service),
// looked up in the v2 hierarchy first, then in the v1 ones. "" resolves to
// no target.
func Resolve(arg string) (Target, error) {
	if arg == "" {
		return Target{}, nil
	}
	mounts, err := cgroupMounts()
	if err != nil {
		return Target{}, fmt.Errorf("cgroup %s: listing cgroup hierarchies: %w", arg, err)
	}
	if len(mounts) == 0 {
		return Target{}, fmt.Errorf("cgroup %s: no cgroup hierarchy is mounted", arg)
	}
	// A directory inside a mounted hierarchy.
	if filepath.IsAbs(arg) {
		clean := filepath.Clean(arg)
		for _, m := range mounts {
			rel, ok := under(m.dir, clean)
			if !ok {
				continue
			}
			if st, err := os.Stat(clean); err != nil || !st.IsDir() {
				break
			}
			return target(m, clean, rel)
		}
	}
	// A cgroup path, found in the first hierarchy that has it.
	p := "/" + strings.Trim(filepath.Clean("/"+arg), "/")
	for _, m := range mounts {
		dir := filepath.Join(m.dir, p)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return target(m, dir, p)
		}
	}
	return Target{}, fmt.Errorf("cgroup %s: no such cgroup; give a directory under a cgroup mount or a path as /proc/PID/cgroup shows it", arg)
}

// under reports whether p is dir or below it, and p relative to dir as an
// absolute cgroup path.
func under(dir, p string) (string, bool) {
	if p == dir {
		return "/", true
	}
	rest, ok := strings.CutPrefix(p, strings.TrimSuffix(dir, "/")+"/")
	return "/" + rest, ok
}

func target(m cgroupMount, dir, rel string) (Target, error) {
	if !m.v2 {
		return Target{Dir: dir, Controllers: m.controllers, Path: rel}, nil
	}
	return Target{V2: true, Dir: dir, Path: rel}, nil
}

// maxCachedPIDs bounds a Matcher's cache; past it, it starts over.
const maxCachedPIDs = 1 << 16

// Matcher tells the processes in a cgroup or below it, by their
// /proc/PID/cgroup. Not safe for concurrent use.
type Matcher struct {
	t    Target
	seen map[uint32]bool
}

// NewMatcher returns a Matcher for t.
func NewMatcher(t Target) *Matcher {
	return &Matcher{t: t, seen: make(map[uint32]bool)}
}

// Match tells whether pid is in the cgroup, looking each process up once:
// a process that moves later keeps its first answer, and one that has
// already exited is not in it.
func (f *Matcher) Match(pid uint32) bool {
	if ok, found := f.seen[pid]; found {
		return ok
	}
	if len(f.seen) >= maxCachedPIDs {
		clear(f.seen)
	}
	ok := f.MatchNow(pid)
	f.seen[pid] = ok
	return ok
}

// MatchNow tells whether pid is in the cgroup now, uncached; false once
// the process has exited.
func (f *Matcher) MatchNow(pid uint32) bool {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/cgroup")
	if err != nil {
		return false
	}
	cgs, _ := procfs.ParsePidCgroup(b) // the good lines are enough
	for _, c := range cgs {
		v2 := len(c.Controllers) == 0 && c.HierarchyID == 0
		if v2 == f.t.V2 && (v2 || strings.Join(c.Controllers, ",") == f.t.Controllers) && inCgroup(c.Path, f.t.Path) {
			return true
		}
	}
	return false
}

// inCgroup reports whether path is the cgroup p or one below it.
func inCgroup(path, p string) bool {
	return p == "/" || path == p || strings.HasPrefix(path, p+"/")
}
