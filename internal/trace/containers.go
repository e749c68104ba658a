package trace

import (
	"os"
	"strconv"

	"github.com/mihari-dev/mihari/internal/procfs"
)

// maxCachedPIDs bounds the per-process caches; past it they start over.
const maxCachedPIDs = 1 << 16

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
