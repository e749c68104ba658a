// Package cgroup collects per-cgroup CPU, memory, pids, block I/O and
// pressure from cgroup v1, v2 and hybrid hierarchies, with cAdvisor's
// metric names where they overlap, and the container, pod and QoS class
// that the cgroup path shows.
package cgroup

import (
	"context"
	"path/filepath"

	"github.com/mihari-dev/mihari/internal/collect"
)

// Mode is how the cgroup hierarchies of a host are mounted.
type Mode string

// The three ways a host mounts cgroups.
const (
	V1     Mode = "v1"     // one hierarchy per controller
	V2     Mode = "v2"     // one unified hierarchy
	Hybrid Mode = "hybrid" // v1 controllers plus an empty unified hierarchy (pressure only)
)

// Layout says where each controller's hierarchy is.
type Layout struct {
	Mode Mode
	// Root is the cgroup filesystem root, e.g. /sys/fs/cgroup.
	Root string
	// V1 maps a v1 controller (cpu, cpuacct, memory, blkio, pids) to its
	// hierarchy's directory.
	V1 map[string]string
	// Unified is the v2 hierarchy's directory, "" without one.
	Unified string
	// Trees are the distinct v1 hierarchies, each of which can hold a tree
	// of its own (a service may be placed in memory but not in cpu).
	Trees []string
	// Blkio is the v1 blkio file family in use: "blkio.throttle." on any
	// kernel, else "blkio.bfq." or "blkio." (CFQ).
	Blkio string
}

var v1Controllers = []string{"cpu", "cpuacct", "memory", "blkio", "pids"}

// Detect finds the hierarchies under root (normally /sys/fs/cgroup) from
// their files, so that a copy of a host's tree is read like the host.
func Detect(ctx context.Context, src *collect.Source, root string) (Layout, error) {
	l := Layout{Root: root, V1: map[string]string{}}
	exists := func(path string) bool {
		_, err := src.Stat(ctx, path)
		return err == nil
	}
	if exists(filepath.Join(root, "cgroup.controllers")) {
		l.Mode, l.Unified = V2, root
		return l, nil
	}
	seen := map[string]bool{}
	for _, c := range v1Controllers {
		// Controllers mounted together (cpu,cpuacct) appear under each
		// name as a symlink to the shared directory.
		dir := filepath.Join(root, c)
		if !exists(filepath.Join(dir, "cgroup.procs")) {
			continue
		}
		l.V1[c] = dir
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			real = dir
		}
		if !seen[real] {
			seen[real] = true
			l.Trees = append(l.Trees, dir)
		}
	}
	if len(l.V1) == 0 {
		// No cgroup filesystem here (or not mounted where --path.sysfs
		// says): nothing to report, which is not a failure.
		return l, collect.ErrNoData
	}
	l.Mode = V1
	if u := filepath.Join(root, "unified"); exists(filepath.Join(u, "cgroup.controllers")) {
		l.Mode, l.Unified = Hybrid, u
	}
	if b := l.V1["blkio"]; b != "" {
		for _, fam := range []string{"blkio.throttle.", "blkio.bfq.", "blkio."} {
			if exists(filepath.Join(b, fam+"io_serviced")) {
				l.Blkio = fam
				break
			}
		}
	}
	return l, nil
}

// trees returns the hierarchies whose directories list the cgroups.
func (l Layout) trees() []string {
	if l.Mode == V2 {
		return []string{l.Unified}
	}
	return l.Trees
}
