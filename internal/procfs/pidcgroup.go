package procfs

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// PidCgroup is one line of /proc/[pid]/cgroup: the cgroup of the process
// in one hierarchy. See cgroups(7).
type PidCgroup struct {
	// HierarchyID is the hierarchy's number: that of /proc/cgroups for a
	// cgroup v1 hierarchy, 0 for the cgroup v2 one.
	HierarchyID int
	// Controllers are the v1 controllers bound to the hierarchy, e.g.
	// ["cpu" "cpuacct"], or ["name=systemd"] for a named hierarchy without
	// controllers; nil for the v2 hierarchy.
	Controllers []string
	// Path is the cgroup's path relative to the hierarchy's root as the
	// reader's cgroup namespace sees it, e.g. "/system.slice/ssh.service".
	Path string
}

// ParsePidCgroup parses /proc/[pid]/cgroup, "hierarchy-ID:controllers:path"
// a line. It is lenient: blank lines are skipped silently, a malformed line
// is skipped and reported in the error, and the good lines are returned in
// file order whatever the error. A path may hold colons, so a line is split
// at its first two.
//
// The strings are substrings of one copy of b and the Controllers of all
// lines share one array, so keeping one PidCgroup keeps them all alive.
func ParsePidCgroup(b []byte) ([]PidCgroup, error) {
	// A line has at most one controller more than it has commas.
	names := make([]string, 0, bytes.Count(b, []byte(","))+bytes.Count(b, []byte("\n"))+1)
	return kerneltext.ParseLines(b, "0::/", func(line string) (PidCgroup, error) {
		cg, err := parsePidCgroupLine(line, names[len(names):])
		names = names[:len(names)+len(cg.Controllers)]
		return cg, err
	})
}

// parsePidCgroupLine parses one line into a PidCgroup whose Controllers
// are the start of buf, which has room for them.
func parsePidCgroupLine(line string, buf []string) (PidCgroup, error) {
	id, rest, ok := strings.Cut(line, ":")
	if !ok {
		return PidCgroup{}, errors.New("want hierarchy-ID:controllers:path, have no colon")
	}
	list, path, ok := strings.Cut(rest, ":")
	if !ok {
		return PidCgroup{}, errors.New("want hierarchy-ID:controllers:path, have one colon")
	}
	n, err := kerneltext.ParseUint(id, 31)
	if err != nil {
		return PidCgroup{}, fmt.Errorf("hierarchy ID: %w", err)
	}
	if path == "" {
		return PidCgroup{}, errors.New("empty path")
	}
	cg := PidCgroup{HierarchyID: int(n), Path: path}
	if list == "" {
		return cg, nil
	}
	for c := range strings.SplitSeq(list, ",") {
		if c == "" {
			return PidCgroup{}, fmt.Errorf("empty controller name in %q", list)
		}
		buf = append(buf, c)
	}
	// The full slice expression stops an append to one line's
	// Controllers from overwriting the next line's.
	cg.Controllers = buf[:len(buf):len(buf)]
	return cg, nil
}

// PrimaryCgroup picks the path that best names a process's cgroup: the
// unified (v2) one when it is more than "/", else name=systemd's (it
// follows the service), else the first v1 path that is more than "/";
// "/" when none is.
func PrimaryCgroup(cgs []PidCgroup) string {
	var systemd, v1 string
	for _, c := range cgs {
		switch {
		case c.Path == "/":
		case len(c.Controllers) == 0 && c.HierarchyID == 0:
			return c.Path
		case slices.Contains(c.Controllers, "name=systemd"):
			systemd = c.Path
		case v1 == "":
			v1 = c.Path
		}
	}
	return cmp.Or(systemd, v1, "/")
}
