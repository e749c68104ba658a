package collect

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ReadFile reads the whole file at path through the source.
// The returned bytes are shared with the cache and must not be modified.
func (s *Source) ReadFile(ctx context.Context, path string) ([]byte, error) {
	res, err := s.Read(ctx, path)
	return res.Data, err
}

// Read reads the whole file at path through the source and reports how.
func (s *Source) Read(ctx context.Context, path string) (Result, error) {
	limit, once := s.limits.MaxBytes, s.shortReadEOF
	v, res, err := s.do(ctx, path, func(hint int) (any, int, error) {
		b, err := readFile(path, nil, hint, limit, once)
		return b, len(b), err
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = v.([]byte)
	return res, nil
}

// readFile reads path like os.ReadFile, without stat (files in /proc and
// /sys report size 0) and without the runtime poller, and fails on files
// larger than limit. hint sizes the first buffer. With shortEOF, a read
// that does not fill the buffer ends the file, saving the read that would
// return 0.
func readFile(path string, buf []byte, hint, limit int, shortEOF bool) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)

	size := 4096
	if hint > 0 {
		// The file is usually about as big as last time.
		size = hint + hint/8 + 512
	}
	size = min(size, limit+1)
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, fmt.Errorf("%s: %w of %d bytes", path, ErrTooLarge, limit)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		short := len(buf)+n < cap(buf)
		buf = buf[:len(buf)+n]
		if shortEOF && short {
			break
		}
	}
	if len(buf) > limit {
		return nil, fmt.Errorf("%s: %w of %d bytes", path, ErrTooLarge, limit)
	}
	return buf, nil
}

func openRetry(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// ReadDir lists the names in the directory at path, sorted, through the
// source. The returned slice is shared with the cache and must not be
// modified.
func (s *Source) ReadDir(ctx context.Context, path string) ([]string, error) {
	v, _, err := s.do(ctx, "readdir "+path, func(int) (any, int, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil {
			return nil, 0, err
		}
		sort.Strings(names)
		n := 0
		for _, name := range names {
			n += len(name)
		}
		return names, n, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// Subdirs lists the subdirectories of the directory at path, sorted,
// through the source, without a stat(2) per entry (cgroup directories hold
// dozens of files for each child directory).
func (s *Source) Subdirs(ctx context.Context, path string) ([]string, error) {
	v, _, err := s.do(ctx, "subdirs "+path, func(int) (any, int, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		ents, err := f.ReadDir(-1)
		if err != nil {
			return nil, 0, err
		}
		var dirs []string
		n := 0
		for _, e := range ents {
			n += len(e.Name())
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
		sort.Strings(dirs)
		return dirs, n, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// Statfs calls statfs(2) on path through the source: on a dead network
// mount it blocks like a read does.
func (s *Source) Statfs(ctx context.Context, path string) (unix.Statfs_t, Result, error) {
	v, res, err := s.do(ctx, "statfs "+path, func(int) (any, int, error) {
		var st unix.Statfs_t
		for {
			err := unix.Statfs(path, &st)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return nil, 0, &os.PathError{Op: "statfs", Path: path, Err: err}
			}
			return st, 0, nil
		}
	})
	if err != nil {
		return unix.Statfs_t{}, Result{}, err
	}
	return v.(unix.Statfs_t), res, nil
}

// Stat calls stat(2) on path through the source.
func (s *Source) Stat(ctx context.Context, path string) (unix.Stat_t, error) {
	v, _, err := s.do(ctx, "stat "+path, func(int) (any, int, error) {
		var st unix.Stat_t
		for {
			err := unix.Stat(path, &st)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return nil, 0, &os.PathError{Op: "stat", Path: path, Err: err}
			}
			return st, 0, nil
		}
	})
	if err != nil {
		return unix.Stat_t{}, err
	}
	return v.(unix.Stat_t), nil
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

// ReadParse reads path through s and parses it with parse. A parse error is
// counted on the source (mihari_source_errors_total) and returned: for a
// file that is one record, a malformed file drops all its metrics.
//
// parse must not keep b: for an Uncached source, b is a pooled buffer that
// is reused once parse returns (the parsers of internal/procfs copy what
// they keep).
func ReadParse[T any](ctx context.Context, s *Source, path string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if s.uncached {
		v, err := readPooled(ctx, s, path, func(b []byte) (any, error) { return parse(b) })
		if err != nil {
			return zero, err
		}
		return v.(T), nil
	}
	b, err := s.ReadFile(ctx, path)
	if err != nil {
		return zero, err
	}
	v, err := parse(b)
	if err != nil {
		s.CountError()
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ReadParseLines is ReadParse for files of many records (one per line or
// device): malformed records are counted on the source and dropped, the
// good ones kept; it fails only when the file yields no record but an
// error.
func ReadParseLines[R any](ctx context.Context, s *Source, path string, parse func([]byte) ([]R, error)) ([]R, error) {
	if s.uncached {
		v, err := readPooled(ctx, s, path, func(b []byte) (any, error) {
			recs, err := parse(b)
			if err != nil && len(recs) > 0 {
				// Keep the good records; the error is the source's.
				s.CountError()
				err = nil
			}
			return recs, err
		})
		if err != nil {
			return nil, err
		}
		return v.([]R), nil
	}
	b, err := s.ReadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	recs, err := parse(b)
	if err != nil {
		s.CountError()
		if len(recs) == 0 {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return recs, nil
}

// pooledBuf is a read buffer on loan from bufPool.
type pooledBuf struct {
	p *[]byte
	b []byte
}

// bufPool holds the buffers of Uncached sources' reads, which are parsed
// on the worker and given back at once: with thousands of processes, a
// fresh buffer per file would be most of what a collection allocates.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readPooled reads path into a pooled buffer and parses it on the worker,
// after the read is measured, then returns the buffer to the pool.
func readPooled(ctx context.Context, s *Source, path string, parse func([]byte) (any, error)) (any, error) {
	limit, once := s.limits.MaxBytes, s.shortReadEOF
	v, _, err := s.doPost(ctx, path, func(hint int) (any, int, error) {
		p := bufPool.Get().(*[]byte)
		b, err := readFile(path, *p, hint, limit, once)
		if err != nil {
			bufPool.Put(p)
			return nil, 0, err
		}
		return pooledBuf{p, b}, len(b), nil
	}, func(v any) (any, error) {
		pb := v.(pooledBuf)
		out, err := parse(pb.b)
		if cap(pb.b) <= 1<<20 {
			// Keep the grown buffer, but not a huge one.
			*pb.p = pb.b[:0]
			bufPool.Put(pb.p)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return out, nil
	})
	return v, err
}
