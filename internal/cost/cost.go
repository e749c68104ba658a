// Package cost measures what reading a file costs: the wall time, the user
// and system CPU of the reading thread, the bytes and the lines. It is what
// a person does by hand with `xargs time cat` when a file is suspected of
// being expensive — a cgroup blkio file of thousands of lines, a file on a
// dead network mount — with a timeout and a size cap, so that measuring
// cannot hang or run forever.
//
// Unlike collect.Source, which reads files for collectors (with deadlines,
// caching and back-off), cost reads every file it is given, once, in full,
// and keeps nothing: its numbers are the file's, not a cache's.
package cost

import (
	"context"
	"errors"
	"os"
	"slices"
	"time"
)

// Defaults for Options left zero.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 30 // 1 GiB
)

// Status says how a measurement ended.
type Status string

const (
	// OK: the file was read to its end.
	OK Status = "ok"
	// Hung: the read was still running after Options.Timeout; it goes on
	// in the background (see Meter.Measure).
	Hung Status = "hung"
	// Truncated: reading stopped at Options.MaxBytes; the numbers cover
	// the bytes read up to the cap.
	Truncated Status = "truncated"
	// Failed: the file could not be read (it does not exist, permission
	// denied, it is a directory, an I/O error); Result.Err says why.
	Failed Status = "error"
)

// Options bound one measurement.
type Options struct {
	// Timeout is how long a read may take, open to close, before it is
	// reported as hung; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes is the most bytes read from one file (so that /dev/zero or
	// a huge file cannot run forever); 0 means DefaultMaxBytes.
	MaxBytes int64
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// Result is the cost of reading one file.
type Result struct {
	// Path is the file, as given.
	Path string
	// Wall is the elapsed time from open(2) to close(2); for a hung read,
	// the timeout.
	Wall time.Duration
	// User and System are the CPU time of the reading thread during the
	// read (getrusage(RUSAGE_THREAD)), counting newlines included (a
	// vectorised scan, small beside the copy). They are unknown, and
	// zero, for a hung read: the thread is still in the kernel.
	User, System time.Duration
	// Bytes and Lines are what was read: lines are newlines, plus one for
	// a last line without one. For a hung read, what was read before the
	// timeout.
	Bytes, Lines int64
	// Status says how the measurement ended.
	Status Status
	// Err is why the file could not be read, when Status is Failed.
	Err error
}

// Reason is the status for a person: "ok", "hung", "truncated", or for a
// file that could not be read, the short reason ("no such file or
// directory", "permission denied", "is a directory").
func (r Result) Reason() string {
	if r.Status != Failed || r.Err == nil {
		return string(r.Status)
	}
	var pe *os.PathError
	switch {
	case errors.As(r.Err, &pe):
		return pe.Err.Error()
	case errors.Is(r.Err, context.Canceled):
		return "interrupted"
	}
	return r.Err.Error()
}

// Measure reads the file at path to its end, or to opts.MaxBytes, and
// reports what that cost. A read that takes longer than opts.Timeout is
// reported as Hung and left running (see Meter.Measure).
func Measure(ctx context.Context, path string, opts Options) Result {
	m := NewMeter(opts)
	defer m.Close()
	return m.Measure(ctx, path)
}

// MeasureAll measures paths one after another, never two at once, so that
// their timings do not disturb each other, and returns the results in the
// order of paths (SortByWall orders them by cost). A hung file does not
// hold up the next one. progress, when not nil, is called before each file
// with its index. When ctx is done, MeasureAll stops and returns the
// results so far, the interrupted file's last.
func MeasureAll(ctx context.Context, paths []string, opts Options, progress func(i int, path string)) []Result {
	m := NewMeter(opts)
	defer m.Close()
	results := make([]Result, 0, len(paths))
	for i, p := range paths {
		if ctx.Err() != nil {
			break
		}
		if progress != nil {
			progress(i, p)
		}
		results = append(results, m.Measure(ctx, p))
	}
	return results
}

// SortByWall orders results by wall time, slowest first; files that took
// as long keep their order.
func SortByWall(results []Result) {
	slices.SortStableFunc(results, func(a, b Result) int {
		switch {
		case a.Wall > b.Wall:
			return -1
		case a.Wall < b.Wall:
			return 1
		}
		return 0
	})
}
