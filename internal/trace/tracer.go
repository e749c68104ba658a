package trace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/cgroupsel"
)

// Filter selects what is traced. The kernel applies it, so that what it
// leaves out costs next to nothing.
type Filter struct {
	PID    int    // process (thread group) ID; 0 for any
	TID    int    // thread ID; 0 for any
	UID    int    // user ID; -1 for any
	Comm   string // a substring of the command name (at most 15 bytes); "" for any
	Failed bool   // only opens that failed
	// Flags keeps opens with any of these flags: names such as O_WRONLY,
	// O_CREAT (see ParseFlag).
	Flags []string
	// Cgroup keeps the processes in this cgroup and below it: a directory
	// of a cgroup v2 hierarchy, or a cgroup path as /proc/PID/cgroup shows
	// it (see cgroupsel.Resolve).
	Cgroup string
}

// Options configure a Tracer.
type Options struct {
	Filter
	// BufferSize is the ring buffer's size in bytes: a power of two, at
	// least a page. Events that do not fit are counted as lost.
	BufferSize int
	// MaxFiles bounds the (process, file) pairs trace files adds up.
	MaxFiles int
	// AllFiles makes trace files add up reads of pipes, sockets, terminals
	// and devices too, not only of regular files.
	AllFiles bool
	// FullPath has the kernel name the directory of each relative path,
	// for OpenEvent.FullPath.
	FullPath bool
}

// ErrInvalid matches (errors.Is) the errors that are mistakes in Options,
// the caller's and not the host's.
var ErrInvalid = errors.New("invalid trace options")

// invalid is a mistake in Options, with its own message.
type invalid struct{ err error }

func (e invalid) Error() string        { return e.err.Error() }
func (e invalid) Unwrap() error        { return e.err }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

// Defaults.
const (
	DefaultBufferSize = 16 << 20
	DefaultMaxFiles   = 16384
)

// pollEvery is how long an event may wait in the ring buffer before it is
// read, when too few follow it to wake the reader.
const pollEvery = 20 * time.Millisecond

// wakeupBytes is how much must wait in a ring buffer of size bytes for the
// kernel to wake the reader: a quarter of it, at most 256 KiB, so that the
// reader is woken well before the buffer fills and rarely otherwise.
func wakeupBytes(size int) uint64 {
	return uint64(min(size/4, 256<<10))
}

// Counts is what a Tracer saw and what it could not keep.
type Counts struct {
	Events uint64 // open events received
	// Lost open events: the ring buffer was full (reader too slow).
	Lost uint64
	// Opens not traced because too many threads were inside open at once.
	StartsFull uint64
	// Reads not timed because too many threads were inside read at once.
	ReadsFull uint64
	// Reads or opens not added up because MaxFiles pairs were reached.
	FilesFull uint64
}

// Tracer is loaded BPF programs attached to the syscall tracepoints.
type Tracer struct {
	objs   traceObjects
	links  []link.Link
	rd     *ringbuf.Reader
	files  bool
	cgroup *cgroupsel.Matcher // in user space, for a cgroup v1 path
	offset int64              // wall clock minus CLOCK_MONOTONIC, ns
	events uint64
}

// Opens traces open, openat, openat2 and creat.
func Opens(o Options) (*Tracer, error) { return start(o, false) }

// Files adds up reads (read, pread64, readv, preadv, preadv2) and opens per
// process and file, and traces successful opens to name the files.
func Files(o Options) (*Tracer, error) { return start(o, true) }

func start(o Options, files bool) (*Tracer, error) {
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.MaxFiles == 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if err := o.check(); err != nil {
		return nil, invalid{err}
	}
	accmodes, bits, _ := flagMasks(o.Flags)
	cg, err := cgroupsel.Resolve(o.Cgroup)
	if err != nil {
		return nil, invalid{err}
	}
	if err := prepare(); err != nil {
		return nil, err
	}

	spec, err := loadTrace()
	if err != nil {
		return nil, fmt.Errorf("reading mihari's BPF programs: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(o.BufferSize)
	spec.Maps["files"].MaxEntries = uint32(o.MaxFiles)
	uid := uint32(0xffffffff)
	if o.UID >= 0 {
		uid = uint32(o.UID)
	}
	var comm [16]byte
	copy(comm[:], o.Comm)
	set := map[string]any{
		"targ_tgid":     uint32(o.PID),
		"targ_tid":      uint32(o.TID),
		"targ_uid":      uid,
		"targ_failed":   o.Failed && !files,
		"targ_accmodes": accmodes,
		"targ_flagbits": bits,
		"targ_comm":     comm,
		"targ_comm_len": uint32(len(o.Comm)),
		"files_mode":    files,
		"send_failed":   !files,
		"files_all":     o.AllFiles,
		"full_path":     o.FullPath && !files,
		"self_tgid":     uint32(os.Getpid()),
		"wakeup_bytes":  wakeupBytes(o.BufferSize),
	}
	set["targ_cgroup"] = cg.V2
	for name, v := range set {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
	}
	t := &Tracer{files: files}
	if !cg.V2 && cg.Path != "" {
		t.cgroup = cgroupsel.NewMatcher(cg)
	}
	if err := spec.LoadAndAssign(&t.objs, nil); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("the kernel refused mihari's BPF programs: %w (%+v)", err, verr)
		}
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("loading BPF programs: %w; %v", err, ErrPrivilege)
		}
		return nil, fmt.Errorf("loading BPF programs: %w", err)
	}
	if cg.V2 {
		if err := setCgroup(t.objs.TargCgroups, cg.Dir); err != nil {
			t.Close()
			return nil, err
		}
	}
	if err := t.attach(); err != nil {
		t.Close()
		return nil, err
	}
	t.rd, err = ringbuf.NewReader(t.objs.Events)
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("opening the ring buffer: %w", err)
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	t.offset = time.Now().UnixNano() - ts.Nano()
	return t, nil
}

// setCgroup puts the cgroup v2 directory dir in the array the kernel
// filter tests against; the map keeps its own reference to the cgroup.
func setCgroup(m *ebpf.Map, dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := m.Put(uint32(0), uint32(fd)); err != nil {
		return fmt.Errorf("cgroup %s: setting the kernel's filter: %w", dir, err)
	}
	return nil
}

// check validates what can be validated without the kernel.
func (o Options) check() error {
	page := os.Getpagesize()
	if o.BufferSize < page || o.BufferSize&(o.BufferSize-1) != 0 {
		return fmt.Errorf("buffer size %d: want a power of two of at least %d bytes, such as 16MiB", o.BufferSize, page)
	}
	if o.MaxFiles < 1 {
		return fmt.Errorf("max files %d: want 1 or more", o.MaxFiles)
	}
	if len(o.Comm) > 15 {
		return fmt.Errorf("name %q: the kernel keeps 15 bytes of a command name; give at most 15", o.Comm)
	}
	if o.PID < 0 || o.TID < 0 {
		return fmt.Errorf("pid %d, tid %d: want positive IDs", o.PID, o.TID)
	}
	_, _, err := flagMasks(o.Flags)
	return err
}

// attach links the programs to their tracepoints. openat and read are on
// every kernel; open and creat exist only on some architectures (not
// arm64), openat2 from Linux 5.6, preadv2 from 4.6.
func (t *Tracer) attach() error {
	p := &t.objs.tracePrograms
	type tp struct {
		name     string
		prog     *ebpf.Program
		required bool
	}
	tps := []tp{
		{"sys_enter_openat", p.EnterOpenat, true}, {"sys_exit_openat", p.ExitOpenat, true},
		{"sys_enter_open", p.EnterOpen, false}, {"sys_exit_open", p.ExitOpen, false},
		{"sys_enter_creat", p.EnterCreat, false}, {"sys_exit_creat", p.ExitCreat, false},
		{"sys_enter_openat2", p.EnterOpenat2, false}, {"sys_exit_openat2", p.ExitOpenat2, false},
	}
	if t.files {
		tps = append(tps,
			tp{"sys_enter_read", p.EnterRead, true}, tp{"sys_exit_read", p.ExitRead, true},
			tp{"sys_enter_pread64", p.EnterPread64, false}, tp{"sys_exit_pread64", p.ExitPread64, false},
			tp{"sys_enter_readv", p.EnterReadv, false}, tp{"sys_exit_readv", p.ExitReadv, false},
			tp{"sys_enter_preadv", p.EnterPreadv, false}, tp{"sys_exit_preadv", p.ExitPreadv, false},
			tp{"sys_enter_preadv2", p.EnterPreadv2, false}, tp{"sys_exit_preadv2", p.ExitPreadv2, false},
		)
	}
	// Exits first: an entry recorded with no exit attached would stay in
	// the map until the thread's next call.
	for _, x := range []bool{false, true} {
		for _, tp := range tps {
			if (tp.name[:9] == "sys_enter") != x {
				continue
			}
			l, err := link.Tracepoint("syscalls", tp.name, tp.prog, nil)
			if err != nil {
				if !tp.required && errors.Is(err, os.ErrNotExist) {
					continue
				}
				return fmt.Errorf("attaching to the tracepoint syscalls/%s: %w", tp.name, err)
			}
			t.links = append(t.links, l)
		}
	}
	return nil
}

// Run delivers open events to fn until ctx ends, then detaches and
// delivers what is left in the ring buffer. The event and its slices are
// valid only during the call. idle, if not nil, is called whenever the
// ring buffer has been emptied: a moment to flush output.
func (t *Tracer) Run(ctx context.Context, fn func(*OpenEvent), idle func()) error {
	stop := context.AfterFunc(ctx, func() {
		t.detach()
		t.rd.Flush()
	})
	defer stop()
	var rec ringbuf.Record
	var ev OpenEvent
	for {
		// The kernel wakes the reader only for a batch (wakeup_bytes):
		// look at the ring every pollEvery as well.
		if t.rd.AvailableBytes() == 0 {
			t.rd.SetDeadline(time.Now().Add(pollEvery))
		}
		err := t.rd.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if idle != nil {
				idle()
			}
			continue
		}
		if err != nil {
			if errors.Is(err, ringbuf.ErrFlushed) || errors.Is(err, ringbuf.ErrClosed) {
				if idle != nil {
					idle()
				}
				return nil
			}
			return fmt.Errorf("reading the ring buffer: %w", err)
		}
		if !ev.decode(rec.RawSample, t.offset) {
			continue
		}
		// In files mode the sums are filtered at the end (TraceFiles):
		// every open names its file, whichever cgroup the process was
		// in when it opened it.
		if t.cgroup != nil && !t.files && !t.cgroup.Match(ev.PID) {
			continue
		}
		t.events++
		fn(&ev)
		if idle != nil && t.rd.AvailableBytes() == 0 {
			idle()
		}
	}
}

func (t *Tracer) detach() {
	// Each close waits for an RCU grace period (tens of ms): wait for
	// them all at once.
	var wg sync.WaitGroup
	for _, l := range t.links {
		wg.Go(func() { l.Close() })
	}
	wg.Wait()
	t.links = nil
}

// Counts returns the events received and the kernel's counts of what it
// could not keep. Call it after Run has returned for the final numbers.
func (t *Tracer) Counts() Counts {
	c := Counts{Events: t.events}
	read := func(i uint32) uint64 {
		var per []uint64
		if err := t.objs.Counters.Lookup(i, &per); err != nil {
			return 0
		}
		var n uint64
		for _, v := range per {
			n += v
		}
		return n
	}
	c.Lost = read(0)
	c.StartsFull = read(1)
	c.FilesFull = read(2)
	c.ReadsFull = read(3)
	return c
}

// Close detaches the programs and frees the maps.
func (t *Tracer) Close() error {
	t.detach()
	if t.rd != nil {
		t.rd.Close()
	}
	return t.objs.Close()
}
