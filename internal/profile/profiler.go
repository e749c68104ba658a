// Package profile samples the CPU of any process, and the kernel under it,
// with perf_event_open, and writes what it saw as a pprof profile: kernel
// frames named from /proc/kallsyms, user frames from the ELF symbol
// tables of the mapped files and, for Go programs, their pclntab.
package profile

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/cgroupsel"
	"github.com/mihari-dev/mihari/internal/procfs"
)

// Target selects the processes a profile keeps. Exactly one of PIDs, Name,
// Cgroup and All is set.
type Target struct {
	PIDs   []int  // these processes (thread groups), every thread
	Name   string // processes whose command name contains this
	Cgroup string // processes in this cgroup or below (see cgroupsel.Resolve)
	All    bool   // every process, the idle task left out
}

// Options configure a profile.
type Options struct {
	Target
	Duration time.Duration
	Freq     int // samples per second per CPU
	// Progress, if set, is called about once a second with the time
	// profiled so far and the samples kept.
	Progress func(elapsed time.Duration, samples int)
}

// Defaults.
const (
	DefaultFreq     = 99 // not 100, so as not to beat in step with timers
	DefaultDuration = 10 * time.Second
)

// Result is a profile and what a person should know about it.
type Result struct {
	Profile *profile.Profile
	// Samples kept, and seen in all (every CPU, every process).
	Samples, Seen int
	// Lost samples: a ring buffer was full.
	Lost uint64
	// Warnings say what limits the profile: hidden kernel addresses,
	// processes that exited before their files could be read.
	Warnings []string
	// Exited is set when every process of a PID target exited before the
	// profile's end, which it then ended.
	Exited bool
}

// ErrNoProcess is returned when a PID target names no running process.
var ErrNoProcess = errors.New("no such process")

// ErrInvalid matches (errors.Is) the errors that are mistakes in Options.
var ErrInvalid = errors.New("invalid profile options")

// invalid is a mistake in Options, with its own message.
type invalid struct{ err error }

func (e invalid) Error() string        { return e.err.Error() }
func (e invalid) Unwrap() error        { return e.err }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

// Run profiles the target for o.Duration, or until ctx ends.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Freq == 0 {
		o.Freq = DefaultFreq
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Freq < 0 || o.Freq > maxFreq() {
		return nil, invalid{fmt.Errorf("frequency %d Hz: want 1 to %d (kernel.perf_event_max_sample_rate)", o.Freq, maxFreq())}
	}
	sel, err := newSelector(o.Target)
	if err != nil {
		return nil, err
	}
	s, err := OpenSampler(SamplerOptions{Freq: o.Freq})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c := newCollector(sel)
	start := time.Now()
	if err := s.Enable(); err != nil {
		return nil, err
	}
	res := &Result{}
	// The loop sleeps in one poll until a ring is half full, the end comes
	// (an eventfd written when the duration or ctx ends), or every target
	// process has exited (a pidfd each, readable at exit). It wakes every
	// second only to show progress, or where pidfds are missing.
	stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	defer unix.Close(stop)
	end := func() { unix.Write(stop, []byte{1, 0, 0, 0, 0, 0, 0, 0}) }
	defer context.AfterFunc(ctx, end)()
	defer time.AfterFunc(o.Duration, end).Stop()
	extra := []int{stop}
	pidfds, polled := sel.pidfds()
	defer func() {
		for _, fd := range pidfds {
			unix.Close(fd)
		}
	}()
	extra = append(extra, pidfds...)
	// Named processes are looked at when their first sample is read, and
	// one that exits before then cannot be named: read every second. The
	// processes of a pid target are read now.
	timeout := 1000
	if sel.pids != nil && o.Progress == nil && !polled {
		timeout = -1
	}
	for pid := range sel.pids {
		p := c.proc(pid)
		c.comm(pid, p)
		c.readMaps(pid, p)
	}
	// Every target may have exited before it could be watched.
	res.Exited = sel.pids != nil && len(pidfds) == 0 && !polled
	exited := make([]bool, len(pidfds))
	lastCheck := start
	for !res.Exited {
		ready, err := s.Wait(extra, timeout)
		if err != nil {
			return nil, err
		}
		s.Read(c)
		if ready[0] {
			break
		}
		gone := 0
		for i := range pidfds {
			exited[i] = exited[i] || ready[1+i]
			if exited[i] {
				gone++
				extra[1+i] = -1 // poll ignores negative fds
			}
		}
		if len(pidfds) > 0 && gone == len(pidfds) && !polled {
			res.Exited = true
			break
		}
		if now := time.Now(); now.Sub(lastCheck) >= time.Second {
			lastCheck = now
			if o.Progress != nil {
				o.Progress(now.Sub(start), c.kept)
			}
			if polled && !sel.anyAlive() {
				res.Exited = true
				break
			}
		}
	}
	s.Disable()
	elapsed := time.Since(start)
	s.Read(c)
	res.Samples, res.Seen, res.Lost = c.kept, c.seen, s.Lost()
	res.Profile, res.Warnings = c.build(elapsed, o.Freq)
	return res, nil
}

// selector decides which samples a profile keeps.
type selector struct {
	pids   map[uint32]bool
	name   string
	cgroup *cgroupsel.Matcher
	all    bool
}

func newSelector(t Target) (*selector, error) {
	n := 0
	for _, set := range []bool{len(t.PIDs) > 0, t.Name != "", t.Cgroup != "", t.All} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, invalid{errors.New("give one target: processes by pid, by name, by cgroup, or all of them")}
	}
	sel := &selector{name: t.Name, all: t.All}
	if len(t.PIDs) > 0 {
		sel.pids = make(map[uint32]bool)
		for _, pid := range t.PIDs {
			if pid <= 0 {
				return nil, invalid{fmt.Errorf("pid %d: want a positive process ID", pid)}
			}
			if !alive(uint32(pid)) {
				return nil, fmt.Errorf("process %d: %w (it may have exited)", pid, ErrNoProcess)
			}
			sel.pids[uint32(pid)] = true
		}
	}
	if t.Cgroup != "" {
		cg, err := cgroupsel.Resolve(t.Cgroup)
		if err != nil {
			return nil, invalid{err}
		}
		sel.cgroup = cgroupsel.NewMatcher(cg)
	}
	return sel, nil
}

func alive(pid uint32) bool {
	return unix.Kill(int(pid), 0) != unix.ESRCH
}

func (sel *selector) anyAlive() bool {
	for pid := range sel.pids {
		if alive(pid) {
			return true
		}
	}
	return false
}

// pidfds opens a pidfd for each target process, readable once it exits;
// polled tells that some could not be opened (before Linux 5.3), so that
// they must be looked at every second instead.
func (sel *selector) pidfds() (fds []int, polled bool) {
	for pid := range sel.pids {
		fd, err := unix.PidfdOpen(int(pid), 0)
		if err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue // already gone
			}
			return fds, true
		}
		fds = append(fds, fd)
	}
	return fds, false
}

// keep decides for a process, the idle task (pid 0) never kept.
func (sel *selector) keep(pid uint32, comm func() string) bool {
	switch {
	case pid == 0:
		return false
	case sel.pids != nil:
		return sel.pids[pid]
	case sel.name != "":
		return strings.Contains(comm(), sel.name)
	case sel.cgroup != nil:
		return sel.cgroup.Match(pid)
	}
	return sel.all
}

// collector keeps the samples of the target, counted by distinct stack,
// and what is needed to name their frames later: each process's mappings
// (read from /proc when its first sample arrives, then followed through
// the kernel's mmap records) and its name.
type collector struct {
	sel        *selector
	stacks     map[string]*stack
	procs      map[uint32]*proc
	seen, kept int
	key        []byte
}

type stack struct {
	pid, tid     uint32
	kernel, user []uint64
	count        int64
	period       int64
}

// proc is what a process's samples need to be named.
type proc struct {
	comm    string
	maps    []procfs.MapsEntry // executable mappings, from /proc, then mmap records
	root    string             // /proc/PID/root, to open files in its mount namespace
	noMaps  bool               // /proc/PID/maps could not be read
	checked bool               // selection decided
	keep    bool
}

// maxProcs bounds the processes a collector follows.
const maxProcs = 1 << 16

func newCollector(sel *selector) *collector {
	return &collector{sel: sel, stacks: make(map[string]*stack), procs: make(map[uint32]*proc)}
}

func (c *collector) proc(pid uint32) *proc {
	p := c.procs[pid]
	if p == nil {
		if len(c.procs) >= maxProcs {
			return &proc{comm: "?"}
		}
		p = &proc{root: "/proc/" + strconv.FormatUint(uint64(pid), 10) + "/root"}
		c.procs[pid] = p
	}
	return p
}

// Sample keeps s if its process is selected.
func (c *collector) Sample(s *Sample) {
	c.seen++
	p := c.proc(s.PID)
	if !p.checked || c.sel.name != "" {
		p.keep = c.sel.keep(s.PID, func() string { return c.comm(s.PID, p) })
		p.checked = c.sel.name == "" // a name can change at exec: look again
	}
	if !p.keep {
		return
	}
	c.kept++
	if p.maps == nil && !p.noMaps {
		c.readMaps(s.PID, p)
	}
	if p.comm == "" {
		c.comm(s.PID, p)
	}
	c.key = c.key[:0]
	c.key = binary.LittleEndian.AppendUint32(c.key, s.PID)
	c.key = binary.LittleEndian.AppendUint32(c.key, s.TID)
	c.key = binary.LittleEndian.AppendUint32(c.key, uint32(len(s.Kernel)))
	for _, a := range s.Kernel {
		c.key = binary.LittleEndian.AppendUint64(c.key, a)
	}
	for _, a := range s.User {
		c.key = binary.LittleEndian.AppendUint64(c.key, a)
	}
	st := c.stacks[string(c.key)]
	if st == nil {
		st = &stack{pid: s.PID, tid: s.TID, kernel: slices.Clone(s.Kernel), user: slices.Clone(s.User)}
		c.stacks[string(c.key)] = st
	}
	st.count++
	st.period += int64(s.Period)
}

// comm is the process's name: from a comm record, else /proc.
func (c *collector) comm(pid uint32, p *proc) string {
	if p.comm == "" {
		b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/comm")
		if err != nil {
			p.comm = "?"
		} else {
			p.comm = strings.TrimSuffix(string(b), "\n")
		}
	}
	return p.comm
}

func (c *collector) readMaps(pid uint32, p *proc) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/maps")
	if err != nil {
		p.noMaps = true
		return
	}
	ms, _ := procfs.ParseMaps(b) // the good lines are enough
	for _, m := range ms {
		if m.Executable() {
			p.maps = append(p.maps, m)
		}
	}
	if p.maps == nil {
		p.maps = []procfs.MapsEntry{} // read, and nothing executable
	}
}

// Comm follows process names; an exec also replaces the mappings.
func (c *collector) Comm(r *Comm) {
	if r.PID != r.TID {
		return // a thread's name; the process keeps its own
	}
	p := c.proc(r.PID)
	p.comm = r.Name
	if r.Exec {
		p.maps, p.noMaps, p.checked = nil, false, false
	}
}

// Mmap adds a mapping to a process whose mappings are known; others are
// read from /proc when their first sample comes.
func (c *collector) Mmap(r *Mmap) {
	p := c.procs[r.PID]
	if p == nil || p.maps == nil {
		return
	}
	m := procfs.MapsEntry{Start: r.Start, End: r.Start + r.Len, Perms: "r-xp", Offset: r.Pgoff, Path: r.Path}
	// A new mapping replaces what it overlaps.
	p.maps = slices.DeleteFunc(p.maps, func(o procfs.MapsEntry) bool { return o.Start < m.End && m.Start < o.End })
	p.maps = append(p.maps, m)
}
