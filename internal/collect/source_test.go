package collect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/sys/unix"
)

func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }

// fakeClock is the Reader's clock in tests that exercise back-off.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// gate is an operation whose reads block until released.
type gate struct {
	calls   atomic.Int64
	mu      sync.Mutex
	blocked chan struct{} // nil: reads return at once
	data    string
	started chan struct{}
}

func newGate(data string) *gate { return &gate{data: data, started: make(chan struct{}, 100)} }

func (g *gate) block() {
	g.mu.Lock()
	g.blocked = make(chan struct{})
	g.mu.Unlock()
}

func (g *gate) release() {
	g.mu.Lock()
	if g.blocked != nil {
		close(g.blocked)
		g.blocked = nil
	}
	g.mu.Unlock()
}

func (g *gate) op(int) (any, int, error) {
	g.calls.Add(1)
	g.mu.Lock()
	b, data := g.blocked, g.data
	g.mu.Unlock()
	g.started <- struct{}{}
	if b != nil {
		<-b
	}
	return []byte(data), len(data), nil
}

func newTestReader(timeout time.Duration) (*Reader, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	r := NewReader(Config{Defaults: Limits{Timeout: timeout}})
	r.now = clk.now
	return r, clk
}

func doString(t *testing.T, s *Source, key string, g *gate) (string, Result, error) {
	t.Helper()
	v, res, err := s.do(context.Background(), key, g.op)
	if err != nil {
		return "", res, err
	}
	return string(v.([]byte)), res, nil
}

func TestSourceFreshRead(t *testing.T) {
	r, _ := newTestReader(time.Second)
	s := r.Source("/proc/x")
	g := newGate("hello")
	have, res, err := doString(t, s, "/p/x", g)
	if err != nil || have != "hello" || res.Stale {
		t.Fatalf("have %q stale=%v err=%v, want hello fresh", have, res.Stale, err)
	}
	st := s.Stats()
	if st.Reads != 1 || st.Bytes != 5 || st.Errors != 0 || st.Timeouts != 0 || st.Inflight != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A read that hangs in the kernel must cost one goroutine however many
// times the file is asked for, and every caller after the first must get
// the last good value without waiting.
func TestSourceHungReadServesStaleWithOneFlight(t *testing.T) {
	const timeout = 50 * time.Millisecond
	r, _ := newTestReader(timeout)
	s := r.Source("/proc/hang")
	g := newGate("v1")
	if _, _, err := doString(t, s, "/p/hang", g); err != nil {
		t.Fatal(err)
	}
	g.block()
	defer g.release()
	baseline := runtime.NumGoroutine()

	start := time.Now()
	have, res, err := doString(t, s, "/p/hang", g)
	if err != nil || have != "v1" || !res.Stale {
		t.Fatalf("first late read: have %q stale=%v err=%v, want stale v1", have, res.Stale, err)
	}
	if el := time.Since(start); el < timeout {
		t.Fatalf("late read returned after %v, before its deadline %v", el, timeout)
	}
	for i := range 1000 {
		have, res, err := doString(t, s, "/p/hang", g)
		if err != nil || have != "v1" || !res.Stale {
			t.Fatalf("read %d: have %q stale=%v err=%v", i, have, res.Stale, err)
		}
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d reads started, want 2 (one good, one hung)", n)
	}
	if n := runtime.NumGoroutine(); n > baseline+1 {
		t.Fatalf("%d goroutines, want at most %d", n, baseline+1)
	}
	st := s.Stats()
	if st.Timeouts != 1 || st.Stale != 1 || st.Inflight != 1 || st.LastRead < timeout {
		t.Fatalf("stats %+v, want 1 timeout, stale, 1 in flight, last read >= %v", st, timeout)
	}

	// Once the read returns, its value becomes the last good one.
	g.release()
	waitFor(t, func() bool { return s.Stats().Inflight == 0 })
	if st := s.Stats(); st.Timeouts != 1 || st.Reads != 2 {
		t.Fatalf("after release: %+v, want still 1 timeout and 2 reads", st)
	}
}

func TestSourceNoEarlierValue(t *testing.T) {
	r, _ := newTestReader(20 * time.Millisecond)
	s := r.Source("/proc/hang")
	g := newGate("v1")
	g.block()
	defer g.release()
	_, _, err := doString(t, s, "/p/hang", g)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "/p/hang") {
		t.Fatalf("error %q does not name the file", err)
	}
}

// A slow file (slower than its deadline, but it returns) is read in the
// background after its first timeout, with back-off, never twice at once.
func TestSourceSlowFileBacksOff(t *testing.T) {
	const timeout = 200 * time.Millisecond
	r, clk := newTestReader(timeout)
	s := r.Source("/sys/slow")
	g := newGate("v1")
	g.block()
	if _, _, err := doString(t, s, "/s/slow", g); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout on first slow read", err)
	}
	g.release()
	waitFor(t, func() bool { return s.Stats().Inflight == 0 })

	// The late read's value is served, stale, without reading again.
	have, res, err := doString(t, s, "/s/slow", g)
	if err != nil || have != "v1" || !res.Stale {
		t.Fatalf("have %q stale=%v err=%v", have, res.Stale, err)
	}
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d reads during back-off, want 1", n)
	}

	// After the back-off, one retry starts in the background and the
	// caller is served the last good value rather than wait for it.
	g.mu.Lock()
	g.data = "v2"
	g.mu.Unlock()
	clk.add(backoff(timeout, 1) + time.Millisecond)
	have, res, err = doString(t, s, "/s/slow", g)
	if err != nil || have != "v1" || !res.Stale {
		t.Fatalf("retry: have %q stale=%v err=%v", have, res.Stale, err)
	}
	waitFor(t, func() bool { return g.calls.Load() == 2 })

	// The retry returned quickly: the file has recovered and is read
	// synchronously again.
	waitFor(t, func() bool { return s.Stats().Inflight == 0 })
	have, res, err = doString(t, s, "/s/slow", g)
	if err != nil || have != "v2" || res.Stale {
		t.Fatalf("after recovery: have %q stale=%v err=%v, want fresh v2", have, res.Stale, err)
	}
	if st := s.Stats(); st.Stale != 0 {
		t.Fatalf("stale=%d after recovery", st.Stale)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		fails int
		want  time.Duration
	}{
		{1, 2 * time.Second},
		{2, 4 * time.Second},
		{5, 32 * time.Second},
		{50, maxBackoff},
	} {
		if have := backoff(time.Second, tc.fails); have != tc.want {
			t.Errorf("backoff(1s, %d) = %v, want %v", tc.fails, have, tc.want)
		}
	}
}

func TestSourceConcurrentCallersShareOneRead(t *testing.T) {
	r, _ := newTestReader(5 * time.Second)
	s := r.Source("/proc/shared")
	g := newGate("x")
	g.block()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, _, err := doString(t, s, "/p/shared", g); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, func() bool { return joined(s, "/p/shared") == 9 })
	g.release()
	wg.Wait()
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d reads for 10 concurrent callers, want 1", n)
	}
}

// joined is the number of callers waiting on the file's read in flight.
func joined(s *Source, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil && e.flight != nil {
		return e.flight.joined
	}
	return 0
}

func TestSourceCallerContextEndsFirst(t *testing.T) {
	r, _ := newTestReader(5 * time.Second)
	s := r.Source("/proc/ctx")
	g := newGate("v1")
	if _, _, err := doString(t, s, "/p/ctx", g); err != nil {
		t.Fatal(err)
	}
	g.block()
	defer g.release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	v, res, err := s.do(ctx, "/p/ctx", g.op)
	if err != nil || string(v.([]byte)) != "v1" || !res.Stale {
		t.Fatalf("have %v stale=%v err=%v", v, res.Stale, err)
	}
	if st := s.Stats(); st.Timeouts != 0 || st.Stale != 0 {
		t.Fatalf("the caller's deadline is not the file's fault: %+v", st)
	}
}

func TestSourceMaxInflight(t *testing.T) {
	r := NewReader(Config{Defaults: Limits{Timeout: 10 * time.Millisecond, MaxInflight: 2}})
	s := r.Source("/proc/[pid]/cmdline")
	g := newGate("x")
	g.block()
	defer g.release()
	for i := range 2 {
		if _, _, err := doString(t, s, fmt.Sprintf("/p/%d", i), g); !errors.Is(err, ErrTimeout) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, _, err := doString(t, s, "/p/3", g); !errors.Is(err, ErrTooManyInflight) {
		t.Fatalf("third stuck read: %v, want ErrTooManyInflight", err)
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d reads started, want 2", n)
	}
}

func TestTimeoutOverrides(t *testing.T) {
	r := NewReader(Config{
		Defaults: Limits{Timeout: time.Second},
		TimeoutOverrides: map[string]time.Duration{
			"/proc/stat":    3 * time.Second,
			"/proc/[pid]/*": 200 * time.Millisecond,
			"/sys/*":        5 * time.Second,
		},
	})
	for pattern, want := range map[string]time.Duration{
		"/proc/stat":       3 * time.Second,
		"/proc/[pid]/stat": 200 * time.Millisecond,
		"/sys/block":       5 * time.Second,
		"/sys/fs/cgroup/blkio/[cgroup]/blkio.throttle.io_serviced": 5 * time.Second,
		"/proc/[pid]":   time.Second,
		"/proc/meminfo": time.Second,
	} {
		if have := r.Source(pattern).Limits().Timeout; have != want {
			t.Errorf("%s: timeout %v, want %v", pattern, have, want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"/proc/stat", "/proc/stat", true},
		{"/proc/stat", "/proc/stat2", false},
		{"*", "anything/at/all", true},
		{"/sys/*", "/sys/a/b/c", true},
		{"/sys/*", "/proc/sys", false},
		{"*/stat", "/proc/[pid]/stat", true},
		{"/proc/*/stat", "/proc/[pid]/status", false},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxcyyb", false},
		{"/a**", "/a", true},
	} {
		if have := globMatch(tc.pattern, tc.name); have != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.name, have, tc.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef\n", 1000)
	for name, content := range map[string]string{"empty": "", "small": "a b c\n", "big": big} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(Config{Defaults: Limits{MaxBytes: 8000}})
	s := r.Source("/test")
	ctx := context.Background()
	for _, name := range []string{"empty", "small", "small"} {
		b, err := s.ReadFile(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if string(b) != string(want) {
			t.Fatalf("%s: have %q want %q", name, b, want)
		}
	}
	if _, err := s.ReadFile(ctx, filepath.Join(dir, "big")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big file: %v, want ErrTooLarge", err)
	}
	if _, err := s.ReadFile(ctx, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want ErrNotExist", err)
	}
	st := s.Stats()
	if st.Reads != 5 || st.Errors != 1 || st.Bytes != 12 {
		t.Fatalf("stats %+v, want 5 reads, 1 error (too large; missing is not an error), 12 bytes", st)
	}

	// Reading a real file grows the buffer past its first guess.
	r2 := NewReader(Config{})
	b, err := r2.Source("/test").ReadFile(ctx, filepath.Join(dir, "big"))
	if err != nil || string(b) != big {
		t.Fatalf("big read: %d bytes, err %v", len(b), err)
	}
}

// A FIFO without a writer blocks open(2) in the kernel: an honest hung file
// that needs no privilege.
func TestReadFileBlockedInKernel(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	r := NewReader(Config{Defaults: Limits{Timeout: 50 * time.Millisecond}})
	s := r.Source("/fifo")
	for range 100 {
		if _, err := s.ReadFile(context.Background(), fifo); !errors.Is(err, ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
	}
	if st := s.Stats(); st.Inflight != 1 || st.Timeouts != 1 {
		t.Fatalf("stats %+v, want 1 read in flight and 1 timeout", st)
	}
	// Unblock it: a writer that writes and closes.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("done\n")
	w.Close()
	waitFor(t, func() bool { return s.Stats().Inflight == 0 })
}

func TestCacheBudget(t *testing.T) {
	r := NewReader(Config{CacheBytes: 10})
	s := r.Source("/c")
	g := newGate("123456")
	for _, k := range []string{"a", "b", "a"} {
		if _, _, err := doString(t, s, k, g); err != nil {
			t.Fatal(err)
		}
	}
	if have := r.cacheUsed.Load(); have != 6 {
		t.Fatalf("cache holds %d bytes, want 6 (second file over budget)", have)
	}
	s.mu.Lock()
	haveA, haveB := s.entries["a"].have, s.entries["b"].have
	s.mu.Unlock()
	if !haveA || haveB {
		t.Fatalf("cached a=%v b=%v, want a only", haveA, haveB)
	}
}

func TestSourceMetrics(t *testing.T) {
	r, _ := newTestReader(time.Second)
	s := r.Source("/proc/[pid]/stat")
	g := newGate("12345")
	for _, k := range []string{"/proc/1/stat", "/proc/2/stat"} {
		if _, _, err := doString(t, s, k, g); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	want := `
# HELP mihari_source_bytes_total Bytes read, per source pattern.
# TYPE mihari_source_bytes_total counter
mihari_source_bytes_total{source="/proc/[pid]/stat"} 10
# HELP mihari_source_reads_total Reads of host files (or directory listings, statfs calls) completed by mihari, per source pattern.
# TYPE mihari_source_reads_total counter
mihari_source_reads_total{source="/proc/[pid]/stat"} 2
# HELP mihari_source_stale 1 while some file of the source is late: its last good value, if it has one, is served instead of a fresh read.
# TYPE mihari_source_stale gauge
mihari_source_stale{source="/proc/[pid]/stat"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"mihari_source_bytes_total", "mihari_source_reads_total", "mihari_source_stale"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(r, "mihari_source_cpu_seconds_total"); n != 2 {
		t.Fatalf("%d cpu series, want user and system", n)
	}
}

func TestSweepForgetsIdleFiles(t *testing.T) {
	r, clk := newTestReader(time.Second)
	s := r.Source("/proc/[pid]/stat")
	g := newGate("abc")
	if _, _, err := doString(t, s, "/proc/1/stat", g); err != nil {
		t.Fatal(err)
	}
	clk.add(idleEntryTTL + 2*time.Minute)
	if _, _, err := doString(t, s, "/proc/2/stat", g); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	_, has1 := s.entries["/proc/1/stat"]
	n := len(s.entries)
	s.mu.Unlock()
	if has1 || n != 1 {
		t.Fatalf("entries=%d has /proc/1/stat=%v after it went idle", n, has1)
	}
	if have := r.cacheUsed.Load(); have != 3 {
		t.Fatalf("cache %d bytes, want 3", have)
	}
}

// waitFor polls cond; it synchronises with reads that finish in goroutines
// the test cannot join.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Within one collection a file is read once, however many collectors ask
// for it, concurrently or one after the other.
func TestScrapeReadsEachFileOnce(t *testing.T) {
	r, _ := newTestReader(time.Second)
	s := r.Source("/proc/stat")
	g := newGate("cpu 1 2 3")
	ctx := WithScrape(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, _, err := s.do(ctx, "/proc/stat", g.op)
			if err != nil || string(v.([]byte)) != "cpu 1 2 3" {
				t.Errorf("have %v, %v", v, err)
			}
		})
	}
	wg.Wait()
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("%d reads in one collection, want 1", n)
	}
	// The next collection reads it again.
	if _, _, err := s.do(WithScrape(context.Background()), "/proc/stat", g.op); err != nil {
		t.Fatal(err)
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d reads after a second collection, want 2", n)
	}
}

// A file whose read costs more CPU than the source's budget is served from
// its last value until its back-off passes, and a warning names it.
func TestSourceCPUBudget(t *testing.T) {
	var logs strings.Builder
	r := NewReader(Config{
		Defaults: Limits{Timeout: 10 * time.Second, CPUBudget: 5 * time.Millisecond},
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	r.now = clk.now
	s := r.Source("/sys/fs/cgroup/blkio/[cgroup]/blkio.throttle.io_serviced")
	var calls atomic.Int64
	spin := func(int) (any, int, error) {
		calls.Add(1)
		// Burn 20 ms of this thread's CPU, as a huge blkio file does.
		u0, s0 := threadCPU()
		for {
			u, s := threadCPU()
			if u+s-u0-s0 >= 20*time.Millisecond {
				break
			}
		}
		return []byte("8:0 Read 1\n"), 11, nil
	}
	for i := range 3 {
		v, res, err := s.do(context.Background(), "/cg/blkio.throttle.io_serviced", spin)
		if err != nil || string(v.([]byte)) != "8:0 Read 1\n" {
			t.Fatalf("read %d: %v %v", i, v, err)
		}
		if want := i > 0; res.Stale != want {
			t.Fatalf("read %d: stale=%v, want %v", i, res.Stale, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d reads of an over-budget file within its back-off, want 1", n)
	}
	if !strings.Contains(logs.String(), "cost more CPU than its budget") || !strings.Contains(logs.String(), "path=/cg/blkio.throttle.io_serviced") {
		t.Fatalf("no warning naming the file:\n%s", logs.String())
	}
	clk.add(backoff(10*time.Second, 1) + time.Second)
	if _, _, err := s.do(context.Background(), "/cg/blkio.throttle.io_serviced", spin); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return calls.Load() == 2 && s.Stats().Inflight == 0 })
	if st := s.Stats(); st.Stale != 1 || st.User+st.System < 40*time.Millisecond {
		t.Fatalf("stats %+v: want stale and the CPU of both reads", st)
	}
}
