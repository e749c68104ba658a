// Package process reads every process of the host through the source layer
// and exports them grouped the way process-exporter does
// (namedprocess_namegroup_*), plus the top processes by CPU one by one
// (mihari_process_*). The same Sampler feeds `mihari top`.
package process

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

// Proc is what one sample knows of one process.
type Proc struct {
	PID, PPID int
	Comm      string
	State     byte
	// Start is when the process started; with PID it identifies the
	// process across samples (PIDs are reused).
	Start      time.Time
	startTicks uint64
	// UTime and STime are the CPU the process has used, in user and
	// system (kernel) mode.
	UTime, STime   time.Duration
	MinFlt, MajFlt uint64
	Threads        int64
	VSize, RSS     uint64 // bytes
	Swap           uint64 // bytes
	UID            uint64 // real user ID
	VolCtx, InvCtx uint64 // context switches of the main thread
	// ReadBytes and WriteBytes are storage I/O; IOKnown is false when
	// /proc/PID/io could not be read (another user's process, without
	// CAP_SYS_PTRACE).
	ReadBytes, WriteBytes uint64
	IOKnown               bool
	OpenFDs               int64 // -1 when unknown
	MaxFDs                uint64
	Wchan                 string
	// Cmdline and Cgroup are read once per process, when the Sampler was
	// asked for them.
	Cmdline []string
	Cgroup  string
	// Kernel is true for kernel threads.
	Kernel bool
}

// CPU is the process's total CPU time.
func (p *Proc) CPU() time.Duration { return p.UTime + p.STime }

// Snapshot is one sample of all processes.
type Snapshot struct {
	Time  time.Time
	Procs []*Proc
	// Vanished counts processes listed in /proc that exited before they
	// could be read; ReadErrors those that could not be read for another
	// reason; Partial those read only in part (io, fd or limits denied).
	Vanished, ReadErrors, Partial int
}

// Options say what a Sampler reads beyond the per-process basics.
type Options struct {
	Cmdline bool // /proc/PID/cmdline, once per process
	Cgroup  bool // /proc/PID/cgroup, once per process
	Wchan   bool // /proc/PID/wchan, every sample
	// Parallel is how many processes are read at once.
	Parallel int
}

// limitsTTL is how long a process's fd limit is trusted before it is read
// again: limits change rarely (prlimit), and /proc/PID/limits is a
// comparatively expensive file.
const limitsTTL = 5 * time.Minute

// Sampler reads all processes through the source layer.
type Sampler struct {
	paths collect.Paths
	opts  Options

	list, stat, status, io, fd, limits, cmdline, cgroup, wchan, hostStat *collect.Source

	fdSize   bool // st_size of /proc/PID/fd is the number of open fds (Linux 6.2+)
	pageSize uint64

	mu     sync.Mutex
	static map[int]*static // by PID
	boot   time.Time
}

// static is what is read once per process (or rarely).
type static struct {
	startTicks uint64
	cmdline    []string
	cgroup     string
	maxFDs     uint64
	limitsAt   time.Time
	seen       bool // in the current sample
}

// NewSampler returns a Sampler reading under paths.
func NewSampler(r *collect.Reader, paths collect.Paths, opts Options) *Sampler {
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	// One source per kind of file; per-process files are many and their
	// old values of little use, so they are not cached.
	pid := func(name string, opts ...collect.SourceOption) *collect.Source {
		return r.Source("/proc/[pid]/"+name, append(opts, collect.Uncached())...)
	}
	whole := collect.WholeInOneRead()
	s := &Sampler{
		paths:    paths,
		opts:     opts,
		list:     r.Source("/proc", collect.Uncached()),
		stat:     pid("stat", whole),
		status:   pid("status", whole),
		io:       pid("io", whole),
		fd:       pid("fd"),
		limits:   pid("limits", whole),
		cmdline:  pid("cmdline"),
		cgroup:   pid("cgroup"),
		wchan:    pid("wchan"),
		hostStat: r.Source("/proc/stat"),
		pageSize: uint64(os.Getpagesize()),
		static:   map[int]*static{},
	}
	s.fdSize = fdCountInSize(paths.Proc())
	return s
}

// fdCountInSize reports whether stat(2) of /proc/PID/fd gives the number
// of open descriptors as its size: true of a real procfs on Linux 6.2 and
// later, false of a copy of one (fixtures), whose fd directories are
// listed instead.
func fdCountInSize(procRoot string) bool {
	var sfs unix.Statfs_t
	if unix.Statfs(procRoot, &sfs) != nil || sfs.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	var st unix.Stat_t
	return unix.Stat(procRoot+"/self/fd", &st) == nil && st.Size > 0
}

// bootTime reads the host's boot time from /proc/stat once.
func (s *Sampler) bootTime(ctx context.Context) time.Time {
	s.mu.Lock()
	b := s.boot
	s.mu.Unlock()
	if !b.IsZero() {
		return b
	}
	st, err := collect.ReadParse(ctx, s.hostStat, s.paths.Proc("stat"), procfs.ParseStat)
	if err != nil {
		return time.Time{}
	}
	b = time.Unix(int64(st.BootTime), 0)
	s.mu.Lock()
	s.boot = b
	s.mu.Unlock()
	return b
}

// Sample reads every process.
func (s *Sampler) Sample(ctx context.Context) (*Snapshot, error) {
	names, err := s.list.ReadDir(ctx, s.paths.Proc())
	if err != nil {
		return nil, err
	}
	boot := s.bootTime(ctx)
	now := time.Now()
	var pids []int
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}

	snap := &Snapshot{Time: now}
	results := make([]*Proc, len(pids))
	outcomes := make([]outcome, len(pids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.opts.Parallel, len(pids)) {
		wg.Go(func() {
			for i := range next {
				results[i], outcomes[i] = s.readProc(ctx, pids[i], boot, now)
			}
		})
	}
	for i := range pids {
		next <- i
	}
	close(next)
	wg.Wait()

	s.mu.Lock()
	for _, st := range s.static {
		st.seen = false
	}
	for i, p := range results {
		switch outcomes[i] {
		case vanished:
			snap.Vanished++
		case failed:
			snap.ReadErrors++
		case partial:
			snap.Partial++
		}
		if p == nil {
			continue
		}
		snap.Procs = append(snap.Procs, p)
		if st := s.static[p.PID]; st != nil {
			st.seen = true
		}
	}
	for pid, st := range s.static {
		if !st.seen {
			delete(s.static, pid)
		}
	}
	s.mu.Unlock()
	return snap, nil
}

type outcome int

const (
	complete outcome = iota
	partial
	vanished
	failed
)

func (s *Sampler) readProc(ctx context.Context, pid int, boot, now time.Time) (*Proc, outcome) {
	dir := s.paths.Proc(strconv.Itoa(pid))
	st, err := collect.ReadParse(ctx, s.stat, dir+"/stat", procfs.ParsePidStat)
	if err != nil {
		return nil, classify(err)
	}
	status, err := collect.ReadParse(ctx, s.status, dir+"/status", procfs.ParsePidStatus)
	if err != nil {
		return nil, classify(err)
	}
	p := &Proc{
		PID:        pid,
		PPID:       st.PPID,
		Comm:       st.Comm,
		State:      st.State,
		startTicks: st.StartTime,
		Start:      boot.Add(ticks(st.StartTime)),
		UTime:      ticks(st.UTime),
		STime:      ticks(st.STime),
		MinFlt:     st.MinFlt,
		MajFlt:     st.MajFlt,
		Threads:    st.NumThreads,
		VSize:      st.VSize,
		RSS:        uint64(max(st.RSS, 0)) * s.pageSize,
		Swap:       status.VmSwap,
		UID:        status.UIDs[0],
		VolCtx:     status.VoluntaryCtxtSwitches,
		InvCtx:     status.NonvoluntaryCtxtSwitches,
		OpenFDs:    -1,
		// Kernel threads are children of kthreadd (PID 2), or kthreadd.
		Kernel: st.PPID == 2 || pid == 2,
	}
	out := complete

	if io, err := collect.ReadParse(ctx, s.io, dir+"/io", procfs.ParsePidIO); err == nil {
		p.ReadBytes, p.WriteBytes, p.IOKnown = io.ReadBytes, io.WriteBytes, true
	} else if gone(err) {
		return nil, vanished
	} else if !p.Kernel && st.State != 'Z' {
		out = partial
	}

	switch n, err := s.countFDs(ctx, dir+"/fd"); {
	case err == nil:
		p.OpenFDs = n
	case gone(err):
		if _, err := s.fd.Stat(ctx, dir); err != nil {
			return nil, vanished
		}
		// The process is still there without an fd directory (a copy of
		// a /proc tree, where empty directories are not kept): none open.
		p.OpenFDs = 0
	case st.State != 'Z':
		out = partial
	}

	stc := s.staticFor(pid, st.StartTime)
	if stc.limitsAt.IsZero() || now.Sub(stc.limitsAt) > limitsTTL {
		if l, err := collect.ReadParse(ctx, s.limits, dir+"/limits", procfs.ParseLimits); err == nil {
			stc.maxFDs, stc.limitsAt = l.OpenFiles.Soft, now
		} else if gone(err) {
			return nil, vanished
		} else {
			out = partial
		}
	}
	p.MaxFDs = stc.maxFDs

	if s.opts.Cmdline {
		if stc.cmdline == nil {
			if b, err := s.cmdline.ReadFile(ctx, dir+"/cmdline"); err == nil {
				stc.cmdline = procfs.ParseCmdline(b)
				if stc.cmdline == nil {
					stc.cmdline = []string{}
				}
			}
		}
		p.Cmdline = stc.cmdline
	}
	if s.opts.Cgroup {
		if stc.cgroup == "" {
			if cgs, err := collect.ReadParseLines(ctx, s.cgroup, dir+"/cgroup", procfs.ParsePidCgroup); err == nil {
				stc.cgroup = procfs.PrimaryCgroup(cgs)
			}
		}
		p.Cgroup = stc.cgroup
	}
	if s.opts.Wchan {
		if b, err := s.wchan.ReadFile(ctx, dir+"/wchan"); err == nil {
			if w := string(b); w != "0" && w != "" {
				p.Wchan = w
			}
		}
	}
	return p, out
}

// staticFor returns the once-per-process state of pid, starting afresh
// when the PID now belongs to another process.
func (s *Sampler) staticFor(pid int, start uint64) *static {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.static[pid]
	if st == nil || st.startTicks != start {
		st = &static{startTicks: start}
		s.static[pid] = st
	}
	return st
}

// countFDs counts a process's open descriptors.
func (s *Sampler) countFDs(ctx context.Context, dir string) (int64, error) {
	if s.fdSize {
		st, err := s.fd.Stat(ctx, dir)
		if err != nil {
			return 0, err
		}
		return st.Size, nil
	}
	names, err := s.fd.ReadDir(ctx, dir)
	return int64(len(names)), err
}

// ticks converts USER_HZ ticks to a duration.
func ticks(n uint64) time.Duration {
	return time.Duration(n) * (time.Second / procfs.UserHZ)
}

// gone reports whether err means the process exited.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

func classify(err error) outcome {
	if gone(err) {
		return vanished
	}
	return failed
}
