package trace

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// FileUse is what the traced processes did with one file.
type FileUse struct {
	// Path names the file: the path it was opened by, resolved to an
	// absolute one; for a file opened before the trace began, the link of
	// the process's fd to it; "" when neither could be found (see Dev and
	// Ino, which always identify it).
	Path    string
	Dev     string // major:minor of the filesystem
	Ino     uint64
	Opens   uint64
	Reads   uint64 // read, pread64, readv, preadv and preadv2 calls
	Bytes   uint64
	Time    time.Duration // in those reads, entry to exit
	MaxRead time.Duration // the longest read
	// Procs are the processes that opened or read it, costliest first.
	Procs []ProcUse
}

// ProcUse is one process's share of a FileUse.
type ProcUse struct {
	PID     uint32
	Comm    string
	Opens   uint64
	Reads   uint64
	Bytes   uint64
	Time    time.Duration
	MaxRead time.Duration
}

// FilesReport is the result of TraceFiles.
type FilesReport struct {
	Duration time.Duration
	Files    []FileUse // costliest first
	Counts   Counts
}

type inodeKey struct {
	dev, ino uint64
}

type procFileKey struct {
	inodeKey
	pid uint32
}

// TraceFiles adds up, per file and process, the opens and reads of the
// processes o selects until ctx ends, and names the files. progress, if
// not nil, is called with each successful open seen.
func TraceFiles(ctx context.Context, o Options, progress func(*OpenEvent)) (*FilesReport, error) {
	t, err := Files(o)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	start := time.Now()
	names := make(map[procFileKey]string)
	anyName := make(map[inodeKey]string)
	comms := make(map[uint32]string)
	err = t.Run(ctx, func(e *OpenEvent) {
		if progress != nil {
			progress(e)
		}
		// The latest name wins: a process's first opens may be made
		// before it execs the program it becomes.
		if c, ok := comms[e.PID]; (ok && c != string(e.Comm)) || (!ok && len(comms) < maxCachedPIDs) {
			comms[e.PID] = string(e.Comm)
		}
		k := procFileKey{inodeKey{e.Dev, e.Ino}, e.PID}
		if e.Ino == 0 {
			return
		}
		if _, ok := names[k]; ok || len(names) >= 4*o.maxFiles() {
			return
		}
		p := e.pathOfFD()
		names[k] = p
		if _, ok := anyName[k.inodeKey]; !ok {
			anyName[k.inodeKey] = p
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	r := &FilesReport{Duration: time.Since(start)}
	stats, err := t.fileStats()
	if err != nil {
		return nil, err
	}
	if t.cgroup != nil {
		// A v1 cgroup is not known to the kernel program: keep the sums
		// of the processes in it now (one that has exited is left out).
		stats = slices.DeleteFunc(stats, func(s procFileStats) bool { return !t.cgroup.MatchNow(s.pid) })
	}
	r.Counts = t.Counts()
	r.Files = aggregate(stats, names, anyName, comms)
	return r, nil
}

func (o Options) maxFiles() int {
	if o.MaxFiles == 0 {
		return DefaultMaxFiles
	}
	return o.MaxFiles
}

type procFileStats struct {
	procFileKey
	traceFileStats
}

// fileStats reads the kernel's sums, adding up each CPU's share.
func (t *Tracer) fileStats() ([]procFileStats, error) {
	var (
		k   traceFileKey
		per []traceFileStats
		out []procFileStats
	)
	it := t.objs.Files.Iterate()
	for it.Next(&k, &per) {
		s := procFileStats{procFileKey: procFileKey{inodeKey{kernelDev(k.Dev), k.Ino}, k.Tgid}}
		for _, v := range per {
			s.Opens += v.Opens
			s.Reads += v.Reads
			s.Bytes += v.Bytes
			s.Ns += v.Ns
			s.MaxNs = max(s.MaxNs, v.MaxNs)
		}
		out = append(out, s)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("reading the per-file sums: %w", err)
	}
	return out, nil
}

// kernelDev converts the kernel's dev_t (major << 20 | minor) into the one
// stat(2) returns.
func kernelDev(d uint32) uint64 { return unix.Mkdev(d>>20, d&(1<<20-1)) }

// aggregate groups the per-process sums by file and names them.
func aggregate(stats []procFileStats, names map[procFileKey]string, anyName map[inodeKey]string, comms map[uint32]string) []FileUse {
	byFile := make(map[inodeKey]*FileUse)
	var unnamed []procFileKey
	// Costliest first, so that a file opened by several names is named as
	// the process that spent the most time reading it opened it.
	slices.SortFunc(stats, func(a, b procFileStats) int {
		return cmp.Or(cmp.Compare(b.Ns, a.Ns), cmp.Compare(b.Reads, a.Reads), cmp.Compare(a.pid, b.pid))
	})
	for _, s := range stats {
		f := byFile[s.inodeKey]
		if f == nil {
			f = &FileUse{
				Dev: fmt.Sprintf("%d:%d", unix.Major(s.dev), unix.Minor(s.dev)),
				Ino: s.ino,
			}
			byFile[s.inodeKey] = f
		}
		p := ProcUse{
			PID: s.pid, Opens: s.Opens, Reads: s.Reads, Bytes: s.Bytes,
			Time: time.Duration(s.Ns), MaxRead: time.Duration(s.MaxNs),
		}
		f.Opens += p.Opens
		f.Reads += p.Reads
		f.Bytes += p.Bytes
		f.Time += p.Time
		f.MaxRead = max(f.MaxRead, p.MaxRead)
		f.Procs = append(f.Procs, p)
		if f.Path == "" {
			if n := names[s.procFileKey]; n != "" {
				f.Path = n
			} else if n := anyName[s.inodeKey]; n != "" {
				f.Path = n
			} else {
				unnamed = append(unnamed, s.procFileKey)
			}
		}
	}
	nameFromFDs(byFile, unnamed)
	out := make([]FileUse, 0, len(byFile))
	for _, f := range byFile {
		for i := range f.Procs {
			p := &f.Procs[i]
			p.Comm = comms[p.PID]
			if p.Comm == "" {
				p.Comm = procComm(p.PID)
			}
		}
		slices.SortFunc(f.Procs, func(a, b ProcUse) int {
			return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(b.Reads, a.Reads), cmp.Compare(a.PID, b.PID))
		})
		out = append(out, *f)
	}
	SortFiles(out)
	return out
}

// SortFiles sorts by time in reads, then reads, opens, path, inode and
// device: a total order, whatever order the files come in.
func SortFiles(fs []FileUse) {
	slices.SortFunc(fs, func(a, b FileUse) int {
		return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(b.Reads, a.Reads),
			cmp.Compare(b.Opens, a.Opens), strings.Compare(a.Path, b.Path), cmp.Compare(a.Ino, b.Ino),
			strings.Compare(a.Dev, b.Dev))
	})
}

// nameFromFDs names the files opened before the trace began from the fds
// of the processes that read them, as long as those are still open.
func nameFromFDs(byFile map[inodeKey]*FileUse, unnamed []procFileKey) {
	pids := make(map[uint32]bool)
	for _, k := range unnamed {
		pids[k.pid] = true
	}
	for pid := range pids {
		dir := "/proc/" + strconv.FormatUint(uint64(pid), 10) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			fd := filepath.Join(dir, e.Name())
			var st unix.Stat_t
			if unix.Stat(fd, &st) != nil {
				continue
			}
			f := byFile[inodeKey{st.Dev, st.Ino}]
			if f == nil || f.Path != "" {
				continue
			}
			if p, err := os.Readlink(fd); err == nil {
				f.Path = p
			}
		}
	}
}

// procComm is a process's command name, "?" once it has gone.
func procComm(pid uint32) string {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSuffix(string(b), "\n")
}
