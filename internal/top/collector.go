package top

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/collect/process"
	"github.com/mihari-dev/mihari/internal/procfs"
)

// Collector samples the host through the source layer, so that what top
// reads is timed, bounded and accounted like any other read of mihari's,
// and shows up in its own cost line.
type Collector struct {
	reader                 *collect.Reader
	paths                  collect.Paths
	procs                  *process.Sampler
	stat, loadavg, meminfo *collect.Source
	users                  *process.Users
	self                   int
	prev                   *Sample
}

// NewCollector returns a Collector reading the host's files under paths.
func NewCollector(r *collect.Reader, paths collect.Paths) *Collector {
	return &Collector{
		reader:  r,
		paths:   paths,
		procs:   process.NewSampler(r, paths, process.Options{Cgroup: true}),
		stat:    r.Source("/proc/stat"),
		loadavg: r.Source("/proc/loadavg"),
		meminfo: r.Source("/proc/meminfo"),
		users:   process.NewUsers(r, paths),
		self:    os.Getpid(),
	}
}

// Sample reads the host once. Only a /proc that cannot be listed or a
// /proc/stat that cannot be read is an error; a missing load average or
// memory line leaves zeros.
func (c *Collector) Sample(ctx context.Context) (*Sample, error) {
	// What mihari has spent so far is taken first, so that between two
	// samples it includes one whole sample's reading.
	s := &Sample{Time: time.Now(), SelfCPU: selfCPU()}
	for _, src := range c.reader.Sources() {
		s.Sources = append(s.Sources, src.Stats())
	}
	st, err := collect.ReadParse(ctx, c.stat, c.paths.Proc("stat"), procfs.ParseStat)
	if err != nil {
		return nil, err
	}
	s.CPU, s.NCPU = st.Total, len(st.CPUs)
	if la, err := collect.ReadParse(ctx, c.loadavg, c.paths.Proc("loadavg"), procfs.ParseLoadAvg); err == nil {
		s.Load = la
	}
	if mi, err := collect.ReadParseLines(ctx, c.meminfo, c.paths.Proc("meminfo"), procfs.ParseMeminfo); err == nil {
		s.MemTotal, s.MemAvailable = memory(mi)
	}
	if s.Procs, err = c.procs.Sample(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Next samples the host and returns the Frame since the previous call's
// sample; the first call returns a nil Frame.
func (c *Collector) Next(ctx context.Context) (*Frame, error) {
	s, err := c.Sample(ctx)
	if err != nil {
		return nil, err
	}
	prev := c.prev
	c.prev = s
	if prev == nil {
		return nil, nil
	}
	return Compute(prev, s, ComputeOptions{SelfPID: c.self, UserName: c.users.Name}), nil
}

// memory returns MemTotal and MemAvailable in bytes; before Linux 3.14,
// which has no MemAvailable, free plus buffers plus page cache stands in.
func memory(fields []procfs.MeminfoField) (total, available uint64) {
	var free, buffers, cached uint64
	haveAvail := false
	for _, f := range fields {
		v := uint64(f.Value)
		if f.Unit == "kB" {
			v *= 1024
		}
		switch f.Name {
		case "MemTotal":
			total = v
		case "MemAvailable":
			available, haveAvail = v, true
		case "MemFree":
			free = v
		case "Buffers":
			buffers = v
		case "Cached":
			cached = v
		}
	}
	if !haveAvail {
		available = free + buffers + cached
	}
	return total, available
}

// selfCPU is the user and system CPU this process has used, all threads.
func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
