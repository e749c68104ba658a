package collect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the source layer. They are deliberately small: a monitoring
// agent that waits seconds for a file is already part of the problem.
const (
	DefaultTimeout     = time.Second
	DefaultMaxBytes    = 16 << 20
	DefaultMaxInflight = 64
	DefaultCacheBytes  = 64 << 20
	DefaultCPUBudget   = 50 * time.Millisecond
	maxBackoff         = 5 * time.Minute
	idleEntryTTL       = 10 * time.Minute
)

// ErrTimeout is returned when a read did not finish within its deadline and
// no earlier value of the same file is available to serve instead.
var ErrTimeout = errors.New("read timed out")

// ErrTooLarge is returned when a file is larger than its source's size cap.
var ErrTooLarge = errors.New("file larger than the size cap")

// ErrTooManyInflight is returned when a source already has its maximum number
// of reads stuck in the kernel; no further reads are started until one returns.
var ErrTooManyInflight = errors.New("too many reads in flight")

// Limits bound the reads of one source.
type Limits struct {
	// Timeout is how long a caller waits for one read before it is served
	// the last good value instead.
	Timeout time.Duration
	// MaxBytes caps the size of one file; larger files are an error.
	MaxBytes int
	// MaxInflight caps the reads of this source that may be outstanding at
	// once (each is a goroutine and possibly a file descriptor stuck in the
	// kernel).
	MaxInflight int
	// CPUBudget is the CPU (user plus system) one read may cost. A file
	// that costs more is read less often: its last value is served and it
	// is re-read after the same back-off as a late file. Zero: no budget.
	CPUBudget time.Duration
}

// Config configures a Reader.
type Config struct {
	// Defaults apply to every source without an override.
	Defaults Limits
	// CPUBudgetOverrides maps a source pattern, or a glob over source
	// patterns, to its own CPU budget.
	CPUBudgetOverrides map[string]time.Duration
	// TimeoutOverrides maps a source pattern, or a glob over source
	// patterns in which '*' matches any run of characters, to its own
	// timeout.
	TimeoutOverrides map[string]time.Duration
	// CacheBytes caps the memory held by last good values kept for serving
	// when a read is late.
	CacheBytes int64
	// Logger receives one warning per file when it turns slow and one
	// when it recovers.
	Logger *slog.Logger
}

// Reader is the one place through which mihari reads host files. Every read
// is timed (wall, and the user and system CPU of the reading thread),
// bounded (deadline, size, reads in flight) and accounted per source.
//
// A read that misses its deadline is not abandoned: it keeps running in its
// own goroutine (a read blocked in the kernel cannot be cancelled), the caller
// is served the file's last good value marked stale, and the file is not read
// again until that read returns and a back-off has passed. So a hung file
// costs at most one goroutine and one file descriptor, however often it is
// asked for.
type Reader struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	sources map[string]*Source

	cacheUsed atomic.Int64
	workers   workers
}

// NewReader returns a Reader with cfg; zero fields take the defaults.
func NewReader(cfg Config) *Reader {
	if cfg.Defaults.Timeout <= 0 {
		cfg.Defaults.Timeout = DefaultTimeout
	}
	if cfg.Defaults.MaxBytes <= 0 {
		cfg.Defaults.MaxBytes = DefaultMaxBytes
	}
	if cfg.Defaults.MaxInflight <= 0 {
		cfg.Defaults.MaxInflight = DefaultMaxInflight
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{cfg: cfg, log: log, now: time.Now, sources: map[string]*Source{},
		workers: workers{idle: make(chan chan func(), maxIdleWorkers)}}
}

// Source returns the source named pattern, creating it on first use.
// A pattern names a bounded family of files, such as "/proc/stat" or
// "/proc/[pid]/stat": it is the label under which reads are accounted, so it
// must never contain a pid, a device or any other unbounded value.
func (r *Reader) Source(pattern string, opts ...SourceOption) *Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.sources[pattern]; ok {
		return s
	}
	lim := r.cfg.Defaults
	if d, ok := override(r.cfg.TimeoutOverrides, pattern); ok {
		lim.Timeout = d
	}
	if d, ok := override(r.cfg.CPUBudgetOverrides, pattern); ok {
		lim.CPUBudget = d
	}
	s := &Source{r: r, pattern: pattern, limits: lim, entries: map[string]*entry{}}
	for _, o := range opts {
		o(s)
	}
	r.sources[pattern] = s
	return s
}

// SourceOption changes how a source keeps its files.
type SourceOption func(*Source)

// Uncached makes a source keep no last good values: a late read gives an
// error instead of stale data. For files of which there are thousands and
// whose old value is of little use (one per process), so the cache does not
// hold a copy of each.
func Uncached() SourceOption { return func(s *Source) { s.uncached = true } }

// WholeInOneRead declares files that the kernel generates whole on the
// first read (procfs files built with single_open, such as /proc/PID/stat,
// status and io): a read that does not fill the buffer is taken as the end
// of the file, which saves a read(2) per file.
func WholeInOneRead() SourceOption { return func(s *Source) { s.shortReadEOF = true } }

// override finds pattern's value in overrides: its own, or that of the
// first matching glob in sorted order, so the choice is deterministic.
func override(overrides map[string]time.Duration, pattern string) (time.Duration, bool) {
	if d, ok := overrides[pattern]; ok {
		return d, true
	}
	globs := make([]string, 0, len(overrides))
	for g := range overrides {
		globs = append(globs, g)
	}
	sort.Strings(globs)
	for _, g := range globs {
		if globMatch(g, pattern) {
			return overrides[g], true
		}
	}
	return 0, false
}

// globMatch reports whether name matches pattern, in which '*' matches any
// run of characters, '/' included, and everything else only itself (so the
// brackets of "/proc/[pid]/stat" need no escaping).
func globMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// Sources returns all sources, sorted by pattern.
func (r *Reader) Sources() []*Source {
	r.mu.Lock()
	out := make([]*Source, 0, len(r.sources))
	for _, s := range r.sources {
		out = append(out, s)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].pattern < out[j].pattern })
	return out
}

// Cost is what one read cost: wall time and the CPU time of the thread
// that did it, split into user and system (kernel) time.
type Cost struct {
	Wall, User, System time.Duration
}

// Result is the outcome of a read.
type Result struct {
	// Data is the file's content. It is shared with the cache: callers must
	// not modify it.
	Data []byte
	// Stale is true when Data is the last good value of an earlier read,
	// served because the current read is late or the file is backing off.
	Stale bool
	// Age is the time since Data was read; zero for a fresh read.
	Age time.Duration
	// Cost is the cost of the read that produced Data.
	Cost Cost
}

// Source is one bounded family of files read through a Reader, such as
// "/proc/[pid]/stat". It holds the accounting exported as mihari_source_*.
type Source struct {
	r            *Reader
	pattern      string
	limits       Limits
	uncached     bool
	shortReadEOF bool

	reads, errors, timeouts, bytes atomic.Int64
	wallNs, userNs, sysNs          atomic.Int64
	// windowMaxNs is the longest read since the window was last taken
	// (each scrape of mihari's own metrics); lastMaxNs what was taken.
	windowMaxNs, lastMaxNs atomic.Int64

	mu       sync.Mutex
	entries  map[string]*entry
	inflight int
	slow     int // entries currently serving stale values
	lastSwep time.Time
}

// Pattern is the source's name.
func (s *Source) Pattern() string { return s.pattern }

// CountError records a failure found after a read, such as a file that
// could not be parsed; it is counted in mihari_source_errors_total.
func (s *Source) CountError() { s.errors.Add(1) }

// Limits returns the source's limits.
func (s *Source) Limits() Limits { return s.limits }

// entry is the state of one concrete file (or other keyed operation).
type entry struct {
	flight  *flight
	have    bool
	last    any
	lastAt  time.Time
	lastCst Cost
	cached  int64 // bytes of last charged to the Reader's cache budget
	sizeHnt int   // size of the last read, to size the next buffer

	slow    bool
	fails   int
	retryAt time.Time
	used    time.Time
}

// flight is one read in progress. Callers that ask for the same file while
// it runs wait for it instead of starting another.
type flight struct {
	done        chan struct{}
	started     time.Time // by the Reader's clock, for reporting
	startedMono time.Time // by the real clock, for the deadline
	val         any
	n           int
	err         error
	cost        Cost
	late        bool // a waiter gave up on it: it is accounted as a timeout
	joined      int  // callers that shared this read instead of starting one
	memo        *memo
}

// op performs one read. hint is the size of the previous read of the same
// key, for sizing buffers; n is the number of bytes it read.
type op func(hint int) (val any, n int, err error)

// do runs op for key under the source's rules, see Reader. The key of an
// operation other than reading a file (listing, stat) starts with the
// operation's name, so that one path read and stat'ed in one collection is
// two keys.
func (s *Source) do(ctx context.Context, key string, fn op) (any, Result, error) {
	return s.doPost(ctx, key, fn, nil)
}

// doPost is do with post, which the worker applies to what fn returned
// once the read is measured: parsing from a pooled buffer, for instance,
// which must end before the buffer is reused. An error from post counts as
// the source's error.
func (s *Source) doPost(ctx context.Context, key string, fn op, post func(any) (any, error)) (any, Result, error) {
	var m *memo
	if !s.uncached {
		// Uncached sources hold one of thousands of files (one per
		// process) that no two collectors share.
		m = memoFrom(ctx)
	}
	if v, res, ok := m.get(key); ok {
		return v, res, nil
	}
	now := s.r.now()
	s.mu.Lock()
	e := s.entries[key]
	if e == nil {
		e = &entry{}
		s.entries[key] = e
	}
	e.used = now
	s.sweepLocked(now)

	f := e.flight
	if f == nil {
		// A read of this collection may have completed since the check
		// above; completions record into the memo under s.mu.
		if v, res, ok := m.get(key); ok {
			s.mu.Unlock()
			return v, res, nil
		}
	}
	switch {
	case f != nil && e.slow:
		// Known to be late: do not wait for it again.
		return s.staleLocked(e, now, key)
	case f != nil:
		// Someone else is reading this file right now: share that read.
		f.joined++
	case e.slow && now.Before(e.retryAt):
		return s.staleLocked(e, now, key)
	default:
		if s.inflight >= s.limits.MaxInflight {
			s.mu.Unlock()
			s.errors.Add(1)
			return nil, Result{}, fmt.Errorf("%s: %w (%d of source %q)", key, ErrTooManyInflight, s.inflight, s.pattern)
		}
		f = &flight{done: make(chan struct{}), started: now, startedMono: time.Now(), memo: m}
		e.flight = f
		s.inflight++
		hint := e.sizeHnt
		s.r.workers.do(func() { s.run(key, e, f, fn, post, hint) })
		if e.slow {
			// A retry of a slow file runs in the background; serve the
			// last good value meanwhile rather than wait for it again.
			return s.staleLocked(e, now, key)
		}
	}
	s.mu.Unlock()

	timer := getTimer(s.limits.Timeout - time.Since(f.startedMono))
	defer putTimer(timer)
	select {
	case <-f.done:
		if f.err != nil {
			return nil, Result{}, f.err
		}
		return f.val, Result{Cost: f.cost}, nil
	case <-timer.C:
		s.mu.Lock()
		if !f.late {
			f.late = true
			s.timeouts.Add(1)
		}
		if e.flight == f && !e.slow {
			s.setSlowLocked(e)
			s.r.log.Warn("source read is late; serving the last good value, if any, until it recovers",
				"source", s.pattern, "path", key, "timeout", s.limits.Timeout)
		}
		return s.staleLocked(e, s.r.now(), key)
	case <-ctx.Done():
		// The caller ran out of time, not the file: nothing is marked slow.
		s.mu.Lock()
		if !e.have {
			s.mu.Unlock()
			return nil, Result{}, fmt.Errorf("%s: %w", key, ctx.Err())
		}
		return s.staleLocked(e, s.r.now(), key)
	}
}

// staleLocked serves e's last good value and unlocks s.mu.
func (s *Source) staleLocked(e *entry, now time.Time, key string) (any, Result, error) {
	defer s.mu.Unlock()
	if !e.have {
		return nil, Result{}, fmt.Errorf("%s: %w after %s and no earlier value to serve", key, ErrTimeout, s.limits.Timeout)
	}
	return e.last, Result{Stale: true, Age: now.Sub(e.lastAt), Cost: e.lastCst}, nil
}

func (s *Source) setSlowLocked(e *entry) {
	if !e.slow {
		e.slow = true
		s.slow++
	}
}

// backoff is the wait before retrying a file whose last read was late:
// twice the timeout, doubling with each late read, capped at maxBackoff.
func backoff(timeout time.Duration, fails int) time.Duration {
	d := 2 * timeout
	for i := 1; i < fails && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// run performs one read on a thread of its own, so that the thread's CPU
// usage before and after is the cost of this read alone.
func (s *Source) run(key string, e *entry, f *flight, fn op, post func(any) (any, error), hint int) {
	runtime.LockOSThread()
	u0, s0 := threadCPU()
	t0 := time.Now()
	val, n, err := fn(hint)
	wall := time.Since(t0)
	u1, s1 := threadCPU()
	runtime.UnlockOSThread()

	cost := Cost{Wall: wall, User: u1 - u0, System: s1 - s0}
	s.reads.Add(1)
	s.wallNs.Add(int64(cost.Wall))
	s.userNs.Add(int64(cost.User))
	s.sysNs.Add(int64(cost.System))
	s.bytes.Add(int64(n))
	for {
		old := s.windowMaxNs.Load()
		if int64(cost.Wall) <= old || s.windowMaxNs.CompareAndSwap(old, int64(cost.Wall)) {
			break
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A missing file is an answer, not a failure: optional files
		// (thermal_throttle in a VM, PSI on old kernels) and processes that
		// exit between listing and reading are expected.
		s.errors.Add(1)
	}
	if post != nil && err == nil {
		if val, err = post(val); err != nil {
			s.errors.Add(1)
		}
	}

	now := s.r.now()
	s.mu.Lock()
	f.val, f.n, f.err, f.cost = val, n, err, cost
	if err == nil {
		f.memo.put(key, val, cost)
	}
	e.flight = nil
	s.inflight--
	if err == nil {
		s.storeLocked(e, val, n, now, cost)
	}
	late := cost.Wall > s.limits.Timeout
	if late && !f.late {
		f.late = true
		s.timeouts.Add(1)
	}
	costly := s.limits.CPUBudget > 0 && cost.User+cost.System > s.limits.CPUBudget
	switch {
	case late || costly:
		// The back-off starts when the read returns, so a file that takes
		// longer than its back-off is still never read twice at once.
		s.setSlowLocked(e)
		e.fails++
		wait := backoff(s.limits.Timeout, e.fails)
		e.retryAt = now.Add(wait)
		if e.fails == 1 {
			// Once per episode, with what the read cost: the file to look at.
			why := "took longer than its deadline"
			if !late {
				why = "cost more CPU than its budget"
			}
			s.r.log.Warn("source read "+why+"; serving its last value and reading it less often",
				"source", s.pattern, "path", key, "wall", cost.Wall, "user", cost.User, "system", cost.System,
				"bytes", n, "deadline", s.limits.Timeout, "cpu_budget", s.limits.CPUBudget, "next_read_in", wait)
		}
	case e.slow:
		e.slow, e.fails = false, 0
		s.slow--
		s.r.log.Info("source read recovered", "source", s.pattern, "path", key, "wall", cost.Wall)
	}
	s.mu.Unlock()
	close(f.done)
}

// storeLocked keeps val as e's last good value if the cache budget allows.
func (s *Source) storeLocked(e *entry, val any, n int, now time.Time, cost Cost) {
	e.sizeHnt = n
	if s.uncached {
		return
	}
	size := int64(n)
	budget := s.r.cfg.CacheBytes
	if budget > 0 && s.r.cacheUsed.Add(size-e.cached) > budget {
		// Over budget: keep nothing for this file rather than evict others.
		s.r.cacheUsed.Add(-size)
		e.have, e.last, e.cached = false, nil, 0
		return
	}
	e.have, e.last, e.lastAt, e.lastCst, e.cached = true, val, now, cost, size
}

// timers are reused from read to read: a read's wait is a few
// microseconds, a new timer each time is most of what the wait allocates.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

func getTimer(d time.Duration) *time.Timer {
	t := timers.Get().(*time.Timer)
	t.Reset(d)
	return t
}

// putTimer stops t and keeps it; since Go 1.23 a stopped timer's channel
// holds no stale tick, so it is safe to reuse.
func putTimer(t *time.Timer) {
	t.Stop()
	timers.Put(t)
}

// maxIdleWorkers bounds the goroutines kept waiting for the next read.
const maxIdleWorkers = 8

// workers runs reads on goroutines that are reused from read to read, so a
// read does not pay for a new goroutine growing its stack. A worker stuck in
// a hung read is simply not idle; new ones are started as needed.
type workers struct {
	idle chan chan func()
}

func (w *workers) do(job func()) {
	select {
	case jobs := <-w.idle:
		jobs <- job
	default:
		go w.loop(job)
	}
}

func (w *workers) loop(job func()) {
	jobs := make(chan func())
	for {
		job()
		select {
		case w.idle <- jobs:
			job = <-jobs
		default:
			return // enough idle workers already
		}
	}
}

// sweepLocked forgets files that have not been asked for in a while (a
// process that exited, a cgroup that was removed), at most once a minute.
func (s *Source) sweepLocked(now time.Time) {
	if now.Sub(s.lastSwep) < time.Minute {
		return
	}
	s.lastSwep = now
	for k, e := range s.entries {
		if e.flight == nil && now.Sub(e.used) > idleEntryTTL {
			s.r.cacheUsed.Add(-e.cached)
			if e.slow {
				s.slow--
			}
			delete(s.entries, k)
		}
	}
}

// SourceStats is a snapshot of one source's accounting.
type SourceStats struct {
	Pattern         string
	Reads           int64
	Errors          int64
	Timeouts        int64
	Bytes           int64
	Wall            time.Duration
	User, System    time.Duration
	LastRead        time.Duration // longest read of the latest window (see TakeWindow); a read still in flight counts with its age
	Inflight        int
	Stale           int // files currently served from their last good value
	TimeoutDuration time.Duration
}

// takeWindow closes the current window of reads: LastRead is from then on
// the longest read completed in it, or, when none completed, stays what it
// was (a file that is backing off keeps showing its cost).
func (s *Source) takeWindow() {
	if m := s.windowMaxNs.Swap(0); m > 0 {
		s.lastMaxNs.Store(m)
	}
}

// Stats returns a snapshot of the source's accounting.
func (s *Source) Stats() SourceStats {
	st := SourceStats{
		Pattern:         s.pattern,
		Reads:           s.reads.Load(),
		Errors:          s.errors.Load(),
		Timeouts:        s.timeouts.Load(),
		Bytes:           s.bytes.Load(),
		Wall:            time.Duration(s.wallNs.Load()),
		User:            time.Duration(s.userNs.Load()),
		System:          time.Duration(s.sysNs.Load()),
		LastRead:        time.Duration(s.lastMaxNs.Load()),
		TimeoutDuration: s.limits.Timeout,
	}
	s.mu.Lock()
	st.Inflight, st.Stale = s.inflight, s.slow
	if s.inflight > 0 {
		for _, e := range s.entries {
			if e.flight != nil {
				st.LastRead = max(st.LastRead, time.Since(e.flight.startedMono))
			}
		}
	}
	s.mu.Unlock()
	return st
}
