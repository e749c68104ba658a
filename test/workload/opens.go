package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// OpenSpec is the file -opens names: the opens to make, spread over
// Threads threads, once the file Go exists. Until then each thread opens
// Sentinel every few milliseconds with O_RDWR|O_CREAT (in a directory that
// does not exist, so that it fails), so that a test can tell when its
// tracer sees the workload whatever its filter.
type OpenSpec struct {
	Dir      string // the working directory for relative paths
	Threads  int
	Sentinel string
	Go       string
	Opens    []Open
}

// Open is one open to make.
type Open struct {
	Path    string
	Flags   int
	Syscall string // openat (the default), openat2, open or creat
	// DirFD, for openat and openat2, is a directory that a relative Path
	// is relative to (opened with O_PATH before the opens start); the
	// working directory if "".
	DirFD string
}

// OpenResult is what one open returned, a line of -opens-out.
type OpenResult struct {
	Index int
	TID   int
	FD    int
	Errno int
	DirFD int // the dirfd passed: AT_FDCWD (-100) or an fd
}

// doOpens prints "tids T1 T2 ..." once its threads are started, makes the
// opens, writes the results and returns.
func doOpens(specPath, outPath string) error {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var spec OpenSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("%s: %w", specPath, err)
	}
	if err := os.Chdir(spec.Dir); err != nil {
		return err
	}
	dirs := map[string]int{}
	for _, o := range spec.Opens {
		if _, ok := dirs[o.DirFD]; ok || o.DirFD == "" {
			continue
		}
		d, err := unix.Open(o.DirFD, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", o.DirFD, err)
		}
		dirs[o.DirFD] = d
	}
	results := make([]OpenResult, len(spec.Opens))
	tids := make(chan int, spec.Threads)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for th := range spec.Threads {
		wg.Go(func() {
			runtime.LockOSThread() // one thread for these opens, never another
			tids <- unix.Gettid()
			for {
				select {
				case <-start:
				default:
					if fd, err := unix.Open(spec.Sentinel, unix.O_RDWR|unix.O_CREAT, 0o644); err == nil {
						unix.Close(fd)
					}
					time.Sleep(5 * time.Millisecond)
					continue
				}
				break
			}
			for i := th; i < len(spec.Opens); i += spec.Threads {
				results[i] = open(i, spec.Opens[i], dirs)
			}
		})
	}
	var list []string
	for range spec.Threads {
		list = append(list, strconv.Itoa(<-tids))
	}
	fmt.Println("tids " + strings.Join(list, " "))
	for {
		if _, err := os.Stat(spec.Go); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(start)
	wg.Wait()
	out, err := json.Marshal(results)
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, out, 0o644)
}

func open(i int, o Open, dirs map[string]int) OpenResult {
	r := OpenResult{Index: i, TID: unix.Gettid(), DirFD: unix.AT_FDCWD}
	if o.DirFD != "" {
		r.DirFD = dirs[o.DirFD]
	}
	dirfd := r.DirFD
	var fd int
	var err error
	switch o.Syscall {
	case "openat2":
		fd, err = unix.Openat2(dirfd, o.Path, &unix.OpenHow{Flags: uint64(o.Flags), Mode: 0o644})
	case "open", "creat":
		fd, err = legacyOpen(o.Syscall, o.Path, o.Flags)
	default:
		fd, err = unix.Openat(dirfd, o.Path, o.Flags, 0o644)
	}
	if err != nil {
		r.FD = -1
		if errno, ok := err.(unix.Errno); ok {
			r.Errno = int(errno)
		}
		return r
	}
	r.FD = fd
	unix.Close(fd)
	return r
}
