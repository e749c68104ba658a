package cost

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testdata is the repository's fixture directory.
func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
}

// blkio is the incident's file: 2,071 lines of blkio.throttle.io_serviced.
var blkio = testdata("cgroups", "v1", "blkio", "kubepods", "burstable",
	"podf63b565b-430b-43e4-a7c6-c2029c88601c",
	"f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837",
	"blkio.throttle.io_serviced")

func TestMeasureFixtures(t *testing.T) {
	for _, tc := range []struct {
		path         string
		bytes, lines int64
	}{
		{blkio, 43340, 2071},
		{testdata("cgroups", "blkio.throttle.io_serviced.2071"), 43340, 2071},
		{testdata("hosts", "big", "proc", "stat"), 14435, 136},
		{testdata("hosts", "big", "proc", "meminfo"), 1601, 57},
		{testdata("hosts", "big", "proc", "loadavg"), 34, 1},
		{testdata("hosts", "big", "proc", "1", "mounts"), 3178, 34},
	} {
		r := Measure(context.Background(), tc.path, Options{})
		if r.Status != OK || r.Err != nil || r.Bytes != tc.bytes || r.Lines != tc.lines {
			t.Errorf("%s: status %q, err %v, %d bytes, %d lines; want ok, %d bytes, %d lines",
				tc.path, r.Status, r.Err, r.Bytes, r.Lines, tc.bytes, tc.lines)
		}
		if r.Path != tc.path || r.Wall <= 0 || r.User < 0 || r.System < 0 {
			t.Errorf("%s: path %q, wall %v, user %v, system %v", tc.path, r.Path, r.Wall, r.User, r.System)
		}
	}
}

// Lines are counted as wc -l counts them, plus a last line without a
// newline.
func TestMeasureLines(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		lines         int64
	}{
		{"empty", "", 0},
		{"newline", "\n", 1},
		{"no-trailing-newline", "Total 0\n8:0 Read 1", 2},
		{"one-char", "x", 1},
		{"blank-lines", "\n\n\n", 3},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		r := Measure(context.Background(), p, Options{})
		if r.Status != OK || r.Bytes != int64(len(tc.content)) || r.Lines != tc.lines {
			t.Errorf("%s: status %q (%v), %d bytes, %d lines; want ok, %d bytes, %d lines",
				tc.name, r.Status, r.Err, r.Bytes, r.Lines, len(tc.content), tc.lines)
		}
	}
}

func TestMeasureUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosuch")
	r := Measure(context.Background(), missing, Options{})
	if r.Status != Failed || !errors.Is(r.Err, fs.ErrNotExist) || r.Reason() != "no such file or directory" {
		t.Errorf("missing file: status %q, err %v, reason %q", r.Status, r.Err, r.Reason())
	}
	if want := "open " + missing + ": no such file or directory"; r.Err == nil || r.Err.Error() != want {
		t.Errorf("missing file: err %v, want %q", r.Err, want)
	}
	r = Measure(context.Background(), dir, Options{})
	if r.Status != Failed || r.Reason() != "is a directory" || r.Bytes != 0 || r.Lines != 0 {
		t.Errorf("directory: status %q, err %v, reason %q, %d bytes, %d lines", r.Status, r.Err, r.Reason(), r.Bytes, r.Lines)
	}
}

func TestMeasureMaxBytes(t *testing.T) {
	content, err := os.ReadFile(blkio)
	if err != nil {
		t.Fatal(err)
	}
	linesOf := func(b []byte) int64 {
		n := int64(bytes.Count(b, []byte{'\n'}))
		if len(b) > 0 && b[len(b)-1] != '\n' {
			n++
		}
		return n
	}
	for _, tc := range []struct {
		path   string
		max    int64
		status Status
		bytes  int64
		lines  int64
	}{
		{blkio, 1000, Truncated, 1000, linesOf(content[:1000])},
		{blkio, int64(len(content)), OK, int64(len(content)), 2071},
		{blkio, int64(len(content)) - 1, Truncated, int64(len(content)) - 1, 2071},
		// Endless: the cap in the middle of a buffer and past the first.
		{"/dev/zero", 1 << 20, Truncated, 1 << 20, 1},
		{"/dev/zero", bufSize + 7, Truncated, bufSize + 7, 1},
	} {
		r := Measure(context.Background(), tc.path, Options{MaxBytes: tc.max})
		if r.Status != tc.status || r.Err != nil || r.Bytes != tc.bytes || r.Lines != tc.lines {
			t.Errorf("%s capped at %d: status %q, err %v, %d bytes, %d lines; want %q, %d bytes, %d lines",
				filepath.Base(tc.path), tc.max, r.Status, r.Err, r.Bytes, r.Lines, tc.status, tc.bytes, tc.lines)
		}
	}
}

// fifo makes a FIFO nobody writes to: open(2) on it blocks in the kernel, an
// honest hung file that needs no privilege. At the end of the test a writer
// comes and goes, so the blocked read returns and its worker ends.
func fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Non-blocking: it succeeds while a reader waits in open(2), and
		// fails (ENXIO) when none does.
		if fd, err := unix.Open(p, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == nil {
			unix.Close(fd)
		}
	})
	return p
}

func TestMeasureHungThenNext(t *testing.T) {
	const timeout = 200 * time.Millisecond
	hung := fifo(t)
	start := time.Now()
	results := MeasureAll(context.Background(), []string{hung, blkio}, Options{Timeout: timeout}, nil)
	elapsed := time.Since(start)
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	if r := results[0]; r.Status != Hung || r.Wall != timeout || r.Err != nil || r.Reason() != "hung" || r.Bytes != 0 {
		t.Errorf("FIFO: status %q, wall %v, err %v, %d bytes; want hung, wall %v", r.Status, r.Wall, r.Err, r.Bytes, timeout)
	}
	if r := results[1]; r.Status != OK || r.Bytes != 43340 || r.Lines != 2071 {
		t.Errorf("file after the hung one: status %q (%v), %d bytes, %d lines; want ok, 43340, 2071", r.Status, r.Err, r.Bytes, r.Lines)
	}
	if elapsed < timeout || elapsed > timeout+5*time.Second {
		t.Errorf("took %v, want the timeout %v and a little more", elapsed, timeout)
	}
}

// The abandoned worker ends once its read returns: a hung read costs a
// goroutine and a thread only while the kernel holds it.
func TestHungWorkerEnds(t *testing.T) {
	hung := fifo(t)
	m := NewMeter(Options{Timeout: 50 * time.Millisecond})
	defer m.Close()
	m.w = startWorker()
	w := m.w
	if r := m.Measure(context.Background(), hung); r.Status != Hung {
		t.Fatalf("status %q, want hung", r.Status)
	}
	if m.w != nil {
		t.Fatal("the hung worker was not abandoned")
	}
	select {
	case <-w.ended:
		t.Fatal("the worker ended while its read was blocked")
	default:
	}
	// The next file gets a worker of its own.
	if r := m.Measure(context.Background(), blkio); r.Status != OK || m.w == nil || m.w == w {
		t.Fatalf("after the hung read: status %q (%v), worker %p (hung one %p)", r.Status, r.Err, m.w, w)
	}
	f, err := os.OpenFile(hung, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	select {
	case <-w.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned worker did not end within 10 s of its read returning")
	}
}

func TestMeasureInterrupted(t *testing.T) {
	hung := fifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	results := MeasureAll(ctx, []string{hung, blkio}, Options{}, func(i int, _ string) {
		if i == 0 {
			// The read of the FIFO is about to start and will block.
			time.AfterFunc(50*time.Millisecond, cancel)
		}
	})
	if len(results) != 1 {
		t.Fatalf("%d results, want the interrupted one only", len(results))
	}
	if r := results[0]; r.Status != Failed || !errors.Is(r.Err, context.Canceled) || r.Reason() != "interrupted" {
		t.Errorf("status %q, err %v, reason %q; want error, interrupted", r.Status, r.Err, r.Reason())
	}
}

func TestSortByWall(t *testing.T) {
	rs := []Result{
		{Path: "a", Wall: time.Millisecond},
		{Path: "b", Wall: 3600 * time.Millisecond},
		{Path: "c", Wall: time.Millisecond},
		{Path: "d", Wall: 10 * time.Second, Status: Hung},
		{Path: "e", Wall: 0},
	}
	SortByWall(rs)
	var have string
	for _, r := range rs {
		have += r.Path
	}
	if have != "dbace" {
		t.Errorf("order %s, want dbace (slowest first, ties in order)", have)
	}
}
