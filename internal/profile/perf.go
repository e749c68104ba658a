package profile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/sysfs"
)

// A Sampler samples every online CPU with the software cpu-clock event
// (hardware counters are missing in many VMs), with kernel and user call
// chains, whatever runs there: one event per CPU, not per thread, so that
// threads and processes started during the profile are sampled too, and
// the cost is bounded by CPUs × frequency however many threads run.
// Which samples belong to the target is decided afterwards, in user space.
type Sampler struct {
	rings []*ring
	lost  uint64
}

// SamplerOptions configure a Sampler.
type SamplerOptions struct {
	// Freq is the sampling frequency per CPU, in Hz.
	Freq int
	// Pages is the ring buffer of each CPU, in pages: a power of two.
	Pages int
}

// Sample is one PERF_RECORD_SAMPLE.
type Sample struct {
	PID, TID uint32
	CPU      uint32
	Time     uint64 // perf clock, ns
	Period   uint64 // ns of CPU time the sample stands for
	// Kernel and User are the call chain's instruction pointers, leaf
	// first: the sampled instruction, then return addresses.
	Kernel, User []uint64
}

// Comm is a PERF_RECORD_COMM: a thread's new name, Exec when an exec gave
// it (the process's mappings are new too).
type Comm struct {
	PID, TID uint32
	Name     string
	Exec     bool
}

// Mmap is a PERF_RECORD_MMAP2 of an executable mapping.
type Mmap struct {
	PID, TID          uint32
	Start, Len, Pgoff uint64
	Path              string
}

// Handler receives what a Sampler reads.
type Handler interface {
	Sample(*Sample)
	Comm(*Comm)
	Mmap(*Mmap)
}

// ErrPerfPrivilege is returned when mihari may not sample every CPU.
var ErrPerfPrivilege = errors.New("profiling needs root or CAP_PERFMON")

// OpenSampler opens and maps one cpu-clock event per online CPU, disabled;
// Enable starts sampling.
func OpenSampler(o SamplerOptions) (*Sampler, error) {
	if o.Freq <= 0 || o.Freq > maxFreq() {
		return nil, fmt.Errorf("frequency %d Hz: want 1 to %d (kernel.perf_event_max_sample_rate)", o.Freq, maxFreq())
	}
	if o.Pages == 0 {
		o.Pages = 64
	}
	if o.Pages&(o.Pages-1) != 0 {
		return nil, fmt.Errorf("ring buffer of %d pages: want a power of two", o.Pages)
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_CPU_CLOCK,
		Sample: uint64(o.Freq),
		Sample_type: unix.PERF_SAMPLE_IP | unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME |
			unix.PERF_SAMPLE_CPU | unix.PERF_SAMPLE_PERIOD | unix.PERF_SAMPLE_CALLCHAIN,
		Bits: unix.PerfBitDisabled | unix.PerfBitFreq | unix.PerfBitSampleIDAll | unix.PerfBitExcludeIdle |
			unix.PerfBitComm | unix.PerfBitCommExec | unix.PerfBitMmap | unix.PerfBitMmap2 | unix.PerfBitWatermark,
		// Wake the reader when a ring is half full: every few seconds at
		// 99 Hz, so that reading costs next to nothing.
		Wakeup:           uint32(o.Pages * os.Getpagesize() / 2),
		Sample_max_stack: maxStack,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	s := &Sampler{}
	for _, cpu := range cpus {
		fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
		if err != nil {
			s.Close()
			return nil, perfOpenError(err)
		}
		r, err := mapRing(fd, cpu, o.Pages)
		if err != nil {
			unix.Close(fd)
			s.Close()
			return nil, err
		}
		s.rings = append(s.rings, r)
	}
	return s, nil
}

// maxStack is the deepest call chain asked for, the kernel's default
// limit (kernel.perf_event_max_stack).
const maxStack = 127

// maxFreq is the kernel's limit on sampling frequencies.
func maxFreq() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_max_sample_rate")
	if err != nil {
		return 100000
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return 100000
	}
	return n
}

// Paranoid is kernel.perf_event_paranoid, -1 if it cannot be read.
func Paranoid() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

func perfOpenError(err error) error {
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("%w (sampling every CPU with call chains; kernel.perf_event_paranoid is %d, which allows it without privilege only at -1): run it with sudo, or grant CAP_PERFMON", ErrPerfPrivilege, Paranoid())
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("this kernel has no cpu-clock perf event (%w): it was built without CONFIG_PERF_EVENTS", err)
	case errors.Is(err, unix.EMFILE):
		return fmt.Errorf("opening a perf event per CPU: %w; raise the open files limit (ulimit -n)", err)
	}
	return fmt.Errorf("opening a perf event: %w", err)
}

func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, fmt.Errorf("listing the online CPUs: %w", err)
	}
	cpus, err := sysfs.ParseCPUList(b)
	if err != nil {
		return nil, fmt.Errorf("listing the online CPUs: %w", err)
	}
	return cpus, nil
}

// Enable starts sampling on every CPU.
func (s *Sampler) Enable() error {
	for _, r := range s.rings {
		if err := unix.IoctlSetInt(r.fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			return fmt.Errorf("starting the perf event of CPU %d: %w", r.cpu, err)
		}
	}
	return nil
}

// Disable stops sampling; what is in the rings can still be read.
func (s *Sampler) Disable() {
	for _, r := range s.rings {
		unix.IoctlSetInt(r.fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	}
}

// Wait blocks until a ring is half full, one of extra is readable, or
// timeout passes (milliseconds; -1 for none), and tells which of extra
// are readable.
func (s *Sampler) Wait(extra []int, timeout int) ([]bool, error) {
	fds := make([]unix.PollFd, 0, len(s.rings)+len(extra))
	for _, r := range s.rings {
		fds = append(fds, unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN})
	}
	for _, fd := range extra {
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	for {
		_, err := unix.Poll(fds, timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("waiting for samples: %w", err)
		}
		ready := make([]bool, len(extra))
		for i := range extra {
			ready[i] = fds[len(s.rings)+i].Revents&unix.POLLIN != 0
		}
		return ready, nil
	}
}

// Read hands h everything the rings hold now.
func (s *Sampler) Read(h Handler) {
	for _, r := range s.rings {
		s.lost += r.drain(h)
	}
}

// Lost is the number of records the kernel dropped because a ring was
// full (PERF_RECORD_LOST), so far.
func (s *Sampler) Lost() uint64 { return s.lost }

// Close unmaps and closes the events.
func (s *Sampler) Close() {
	for _, r := range s.rings {
		unix.Munmap(r.mem)
		unix.Close(r.fd)
	}
	s.rings = nil
}

// ring is one CPU's perf ring buffer: a header page, then data pages the
// kernel writes at data_head and we free up to data_tail.
type ring struct {
	fd, cpu int
	mem     []byte
	data    []byte
	head    *uint64 // perf_event_mmap_page.data_head
	tail    *uint64 // perf_event_mmap_page.data_tail
	buf     []byte  // a record that wraps around the end of data
	sample  Sample
}

// Offsets of data_head and data_tail in struct perf_event_mmap_page.
const (
	offDataHead = 1024
	offDataTail = 1032
)

func mapRing(fd, cpu, pages int) (*ring, error) {
	page := os.Getpagesize()
	mem, err := unix.Mmap(fd, 0, (1+pages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping the perf ring of CPU %d: %w", cpu, err)
	}
	return &ring{
		fd: fd, cpu: cpu, mem: mem, data: mem[page:],
		head: (*uint64)(unsafe.Pointer(&mem[offDataHead])),
		tail: (*uint64)(unsafe.Pointer(&mem[offDataTail])),
	}, nil
}

// drain reads every record from tail to head, then frees them, and
// returns the records the kernel reports lost.
func (r *ring) drain(h Handler) (lost uint64) {
	head := atomic.LoadUint64(r.head) // a load-acquire, as the kernel asks
	tail := *r.tail
	size := uint64(len(r.data))
	for tail < head {
		off := tail % size
		var hdr [8]byte
		r.copy(hdr[:], off)
		n := uint64(binary.LittleEndian.Uint16(hdr[6:]))
		if n < 8 || n > head-tail {
			break // cannot happen with a sane kernel; do not loop forever
		}
		rec := r.record(off, n)
		switch binary.LittleEndian.Uint32(hdr[:]) {
		case unix.PERF_RECORD_SAMPLE:
			if parseSample(rec, &r.sample) {
				h.Sample(&r.sample)
			}
		case unix.PERF_RECORD_COMM:
			if c, ok := parseComm(rec); ok {
				h.Comm(&c)
			}
		case unix.PERF_RECORD_MMAP2:
			if m, ok := parseMmap2(rec); ok {
				h.Mmap(&m)
			}
		case unix.PERF_RECORD_LOST:
			if len(rec) >= 24 {
				lost += binary.LittleEndian.Uint64(rec[16:])
			}
		}
		tail += n
	}
	atomic.StoreUint64(r.tail, tail) // a store-release: the kernel may reuse the space
	return lost
}

// copy copies len(dst) bytes of data from off, wrapping around.
func (r *ring) copy(dst []byte, off uint64) {
	n := copy(dst, r.data[off:])
	copy(dst[n:], r.data)
}

// record returns the n bytes at off: in place, or copied when they wrap.
func (r *ring) record(off, n uint64) []byte {
	if off+n <= uint64(len(r.data)) {
		return r.data[off : off+n]
	}
	if uint64(cap(r.buf)) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	r.copy(b, off)
	return b
}

// The markers of a call chain: what follows PERF_CONTEXT_KERNEL is kernel,
// what follows PERF_CONTEXT_USER is user; any value at or above
// PERF_CONTEXT_MAX is a marker, never an address.
const (
	contextKernel = 1<<64 - 128
	contextUser   = 1<<64 - 512
	contextMax    = 1<<64 - 4095
)

// parseSample parses a PERF_RECORD_SAMPLE with the sample type the Sampler
// asks for: ip, pid and tid, time, cpu, period, callchain. Kernel and User
// reuse s's slices. It reports false for a record too short.
func parseSample(b []byte, s *Sample) bool {
	const fixed = 8 + 8 + 8 + 8 + 8 + 8 + 8 // header ip tid time cpu period nr
	if len(b) < fixed {
		return false
	}
	le := binary.LittleEndian
	ip := le.Uint64(b[8:])
	s.PID, s.TID = le.Uint32(b[16:]), le.Uint32(b[20:])
	s.Time = le.Uint64(b[24:])
	s.CPU = le.Uint32(b[32:])
	s.Period = le.Uint64(b[40:])
	nr := le.Uint64(b[48:])
	if nr > uint64(len(b)-fixed)/8 {
		return false
	}
	s.Kernel, s.User = s.Kernel[:0], s.User[:0]
	var in *[]uint64
	for i := range nr {
		a := le.Uint64(b[fixed+8*i:])
		switch {
		case a == contextKernel:
			in = &s.Kernel
		case a == contextUser:
			in = &s.User
		case a >= contextMax:
			in = nil // hypervisor or guest: not ours to name
		case in != nil:
			*in = append(*in, a)
		}
	}
	if nr == 0 && ip != 0 {
		// No chain (it could not be taken): the sampled instruction alone,
		// in the kernel's half of the address space or the user's.
		if ip >= 1<<63 {
			s.Kernel = append(s.Kernel, ip)
		} else {
			s.User = append(s.User, ip)
		}
	}
	return true
}

// parseComm parses a PERF_RECORD_COMM: pid, tid, a NUL-terminated name.
func parseComm(b []byte) (Comm, bool) {
	if len(b) < 16 {
		return Comm{}, false
	}
	le := binary.LittleEndian
	c := Comm{PID: le.Uint32(b[8:]), TID: le.Uint32(b[12:])}
	c.Name = cstring(b[16:])
	c.Exec = le.Uint16(b[4:])&unix.PERF_RECORD_MISC_COMM_EXEC != 0
	return c, true
}

// parseMmap2 parses a PERF_RECORD_MMAP2 of an executable mapping: pid,
// tid, addr, len, pgoff, 24 bytes of device and inode (or build ID),
// prot, flags, a NUL-terminated file name.
func parseMmap2(b []byte) (Mmap, bool) {
	const fixed = 8 + 8 + 8 + 8 + 8 + 24 + 8
	if len(b) < fixed {
		return Mmap{}, false
	}
	le := binary.LittleEndian
	if le.Uint32(b[64:])&unix.PROT_EXEC == 0 {
		return Mmap{}, false
	}
	return Mmap{
		PID: le.Uint32(b[8:]), TID: le.Uint32(b[12:]),
		Start: le.Uint64(b[16:]), Len: le.Uint64(b[24:]), Pgoff: le.Uint64(b[32:]),
		Path: cstring(b[fixed:]),
	}, true
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
