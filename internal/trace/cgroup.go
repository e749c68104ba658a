package trace

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mihari-dev/mihari/internal/procfs"
)

// cgroupTarget is a resolved --cgroup.
type cgroupTarget struct {
	v2  bool
	dir string // v2: the cgroup's directory, which the kernel filter opens
	// v1 (filtered in user space): the hierarchy, by its controllers as
	// /proc/PID/cgroup lists them, and the path in it.
	controllers string
	path        string
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

// ResolveCgroup turns --cgroup into what the tracer filters on. arg is a
// cgroup directory (/sys/fs/cgroup/system.slice/x.service, or one in a v1
// hierarchy) or a path as /proc/PID/cgroup shows it (/system.slice/x.service),
// looked up in the v2 hierarchy first, then in the v1 ones. A v2 cgroup
// is filtered in the kernel; a v1 one in user space, by reading each
// process's /proc/PID/cgroup.
func ResolveCgroup(arg string) (cgroupTarget, error) {
	if arg == "" {
		return cgroupTarget{}, nil
	}
	mounts, err := cgroupMounts()
	if err != nil {
		return cgroupTarget{}, fmt.Errorf("cgroup %s: listing cgroup hierarchies: %w", arg, err)
	}
	if len(mounts) == 0 {
		return cgroupTarget{}, fmt.Errorf("cgroup %s: no cgroup hierarchy is mounted", arg)
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
	return cgroupTarget{}, fmt.Errorf("cgroup %s: no such cgroup; give a directory under a cgroup mount or a path as /proc/PID/cgroup shows it", arg)
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

func target(m cgroupMount, dir, rel string) (cgroupTarget, error) {
	if !m.v2 {
		return cgroupTarget{controllers: m.controllers, path: rel}, nil
	}
	return cgroupTarget{v2: true, dir: dir, path: rel}, nil
}

// maxCachedPIDs bounds the per-process caches; past it they start over.
const maxCachedPIDs = 1 << 16

// cgroupFilter keeps the processes in a v1 cgroup or below it. A process
// is looked up once, when its first event arrives; one that has already
// exited by then cannot be placed and is left out.
type cgroupFilter struct {
	t    cgroupTarget
	seen map[uint32]bool
}

func newCgroupFilter(t cgroupTarget) *cgroupFilter {
	return &cgroupFilter{t: t, seen: make(map[uint32]bool)}
}

func (f *cgroupFilter) match(pid uint32) bool {
	if ok, found := f.seen[pid]; found {
		return ok
	}
	if len(f.seen) >= maxCachedPIDs {
		clear(f.seen)
	}
	ok := f.matchNow(pid)
	f.seen[pid] = ok
	return ok
}

// matchNow tells whether pid is in the cgroup now, uncached; false once
// the process has exited.
func (f *cgroupFilter) matchNow(pid uint32) bool {
	cgs, _ := readPidCgroup(pid)
	for _, c := range cgs {
		if strings.Join(c.Controllers, ",") == f.t.controllers && inCgroup(c.Path, f.t.path) {
			return true
		}
	}
	return false
}

// inCgroup reports whether path is the cgroup p or one below it.
func inCgroup(path, p string) bool {
	return p == "/" || path == p || strings.HasPrefix(path, p+"/")
}

func readPidCgroup(pid uint32) ([]procfs.PidCgroup, error) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/cgroup")
	if err != nil {
		return nil, err
	}
	return procfs.ParsePidCgroup(b)
}

// Containers names the container (or service) of each process, as the
// CONTAINER column of trace open shows it, looking each process up once.
type Containers struct {
	name func(cgroupPath string) string
	seen map[uint32]string
}

// NewContainers returns a Containers that names a cgroup path with name
// (such as top.Container).
func NewContainers(name func(cgroupPath string) string) *Containers {
	return &Containers{name: name, seen: make(map[uint32]string)}
}

// Of returns the container of pid, "?" when the process has gone.
func (c *Containers) Of(pid uint32) string {
	if s, ok := c.seen[pid]; ok {
		return s
	}
	if len(c.seen) >= maxCachedPIDs {
		clear(c.seen)
	}
	s := "?"
	if cgs, _ := readPidCgroup(pid); len(cgs) > 0 {
		s = c.name(procfs.PrimaryCgroup(cgs))
	}
	c.seen[pid] = s
	return s
}
