package cost

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// bufSize is the read buffer: as big as cat's, so a file of a few thousand
// lines is read in one or two read(2) calls, as cat and most agents do.
const bufSize = 64 << 10

// Meter measures files one at a time on a thread of its own, reusing the
// thread and its buffer from file to file. It is not safe for concurrent
// use; Close it when done.
type Meter struct {
	opts Options
	w    *worker
}

// NewMeter returns a Meter that bounds every read with opts.
func NewMeter(opts Options) *Meter { return &Meter{opts: opts} }

// Measure reads the file at path to its end, or to the size cap, and
// reports what that cost.
//
// A read still running after the timeout is reported as Hung, and Measure
// returns. The read itself cannot be stopped: a thread blocked in the
// kernel (open(2) on a FIFO nobody writes to, read(2) on a dead network
// mount or a stuck FUSE file) ignores everything but the end of the
// process. So the Meter abandons that worker — its goroutine, its locked
// thread, its buffer and its file descriptor stay with the read until the
// kernel lets go, or until the process exits — and measures the next file
// on a fresh worker. Nothing waits for the abandoned one: not the next
// file, not Close, not the exit of the program.
func (m *Meter) Measure(ctx context.Context, path string) Result {
	if m.w == nil {
		m.w = startWorker()
	}
	timeout := m.opts.timeout()
	j := &job{path: path, max: m.opts.maxBytes(), done: make(chan Result, 1)}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	start := time.Now()
	m.w.jobs <- j
	select {
	case r := <-j.done:
		return r
	case <-timer.C:
		m.abandon()
		return Result{Path: path, Wall: timeout, Bytes: j.bytes.Load(), Lines: j.lines.Load(), Status: Hung}
	case <-ctx.Done():
		m.abandon()
		return Result{Path: path, Wall: time.Since(start), Bytes: j.bytes.Load(), Lines: j.lines.Load(), Status: Failed, Err: ctx.Err()}
	}
}

// Close lets the Meter's idle worker end. Abandoned workers end when their
// reads return, if ever.
func (m *Meter) Close() { m.abandon() }

func (m *Meter) abandon() {
	if m.w != nil {
		close(m.w.jobs)
		m.w = nil
	}
}

// job is one file to measure; bytes and lines show its progress while it
// runs, for the report of a read that hangs.
type job struct {
	path         string
	max          int64
	bytes, lines atomic.Int64
	done         chan Result // buffered: an abandoned worker never blocks on it
}

// worker reads files on one OS thread, so that the thread's rusage before
// and after a read is the cost of that read alone.
type worker struct {
	jobs  chan *job
	ended chan struct{} // closed when the worker's goroutine ends
}

func startWorker() *worker {
	w := &worker{jobs: make(chan *job), ended: make(chan struct{})}
	go w.loop()
	return w
}

func (w *worker) loop() {
	defer close(w.ended)
	// Never unlocked: when the loop ends, the thread ends with it rather
	// than going back to the runtime.
	runtime.LockOSThread()
	buf := make([]byte, bufSize)
	// Fault the buffer's pages in now: otherwise the first file measured
	// pays for them in system time.
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	for j := range w.jobs {
		j.done <- j.run(buf)
	}
}

// run reads the job's file and measures the read.
func (j *job) run(buf []byte) Result {
	r := Result{Path: j.path, Status: OK}
	u0, s0 := threadCPU()
	t0 := time.Now()
	err := j.read(buf, &r)
	r.Wall = time.Since(t0)
	u1, s1 := threadCPU()
	r.User, r.System = u1-u0, s1-s0
	if err != nil {
		r.Status, r.Err = Failed, err
	}
	return r
}

// read reads the file like cat does, without the runtime's poller (which
// would move a blocking read of a pipe off this thread) and without stat
// (files in /proc and /sys say they are empty), counting bytes and lines.
func (j *job) read(buf []byte, r *Result) error {
	fd, err := retry(func() (int, error) {
		return unix.Open(j.path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	})
	if err != nil {
		return &os.PathError{Op: "open", Path: j.path, Err: err}
	}
	defer unix.Close(fd)
	last := byte('\n')
	for {
		chunk := buf
		if left := j.max - r.Bytes; left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		if len(chunk) == 0 {
			// At the cap: one byte more says whether the file goes on.
			if n, err := retry(func() (int, error) { return unix.Read(fd, buf[:1]) }); err == nil && n > 0 {
				r.Status = Truncated
			}
			break
		}
		n, err := retry(func() (int, error) { return unix.Read(fd, chunk) })
		if err != nil {
			return &os.PathError{Op: "read", Path: j.path, Err: err}
		}
		if n == 0 {
			break
		}
		r.Bytes += int64(n)
		r.Lines += int64(bytes.Count(chunk[:n], []byte{'\n'}))
		last = chunk[n-1]
		j.bytes.Store(r.Bytes)
		j.lines.Store(r.Lines)
	}
	if last != '\n' {
		r.Lines++
	}
	return nil
}

// retry calls f again while it is interrupted by a signal.
func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}

// threadCPU returns the user and system CPU time used so far by the calling
// thread; the caller must be locked to its thread.
func threadCPU() (user, system time.Duration) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
