package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/top"
	"github.com/mihari-dev/mihari/internal/trace"
)

func newTraceCmd(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "trace what processes do with files, with eBPF: opens as they happen, reads per file",
		Long: `Trace file activity with eBPF programs on the syscall tracepoints. They are
CO-RE: relocated at load time against the kernel's own type information
(/sys/kernel/btf/vmlinux), so the host needs no kernel headers, no compiler
and no kprobes. Tracing needs root (or CAP_BPF and CAP_PERFMON); tracefs is
mounted on /sys/kernel/tracing when it is not mounted yet.`,
		Example: `  # every open on the host as it happens, until Ctrl-C
  sudo mihari trace open

  # the files kubelet spends the most time reading, over 10 seconds
  sudo mihari trace files -n kubelet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newTraceOpenCmd(stdio), newTraceFilesCmd(stdio))
	return cmd
}

// seconds is a duration flag that takes Go durations (1m30s) and, as
// opensnoop's -d does, plain seconds (10, 0.5).
type seconds time.Duration

func (s *seconds) String() string {
	if *s == 0 {
		return "0s"
	}
	return time.Duration(*s).String()
}
func (s *seconds) Type() string { return "duration" }
func (s *seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case f < 0:
			return fmt.Errorf("want a positive duration")
		case math.IsNaN(f) || f*float64(time.Second) >= math.MaxInt64:
			return fmt.Errorf("want seconds (10) or a duration (1m30s) of at most %v", time.Duration(math.MaxInt64).Truncate(time.Hour))
		}
		*s = seconds(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want seconds (10) or a duration (1m30s)")
	}
	if d < 0 {
		return fmt.Errorf("want a positive duration")
	}
	*s = seconds(d)
	return nil
}

// byteSize is a size flag: 16MiB, 4096, 1M.
type byteSize int

func (b *byteSize) String() string { return strconv.Itoa(int(*b)) }
func (b *byteSize) Type() string   { return "size" }
func (b *byteSize) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseSize(v string) (int, error) {
	s := strings.TrimSuffix(strings.TrimSpace(v), "B")
	// An "i" only after a unit: 16MiB, not 16i.
	s, binary := strings.CutSuffix(s, "i")
	mult := 1
	if len(s) > 0 {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	if binary && mult == 1 {
		return 0, fmt.Errorf("want a size such as 16MiB, 256KiB or 4096")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > (1<<31)/mult {
		return 0, fmt.Errorf("want a size such as 16MiB, 256KiB or 4096")
	}
	return n * mult, nil
}

// targetFlags are the filters trace open and trace files share.
type targetFlags struct {
	pid, tid, uid int
	name          string
	cgroup        string
	duration      seconds
}

func (t *targetFlags) add(fs *pflag.FlagSet, what string) {
	fs.IntVarP(&t.pid, "pid", "p", 0, "trace only this process (thread group) ID")
	fs.IntVarP(&t.tid, "tid", "t", 0, "trace only this thread ID")
	fs.IntVarP(&t.uid, "uid", "u", -1, "trace only this user ID")
	fs.StringVarP(&t.name, "name", "n", "", "trace only commands whose name (comm, at most 15 bytes) contains this")
	fs.StringVar(&t.cgroup, "cgroup", "", "trace only processes in this cgroup or below it: a cgroup directory, or a path as /proc/PID/cgroup shows it")
	fs.VarP(&t.duration, "duration", "d", what)
}

func (t *targetFlags) filter() trace.Filter {
	return trace.Filter{PID: t.pid, TID: t.tid, UID: t.uid, Comm: t.name, Cgroup: t.cgroup}
}

// withDuration ends ctx after the duration, if there is one.
func (t *targetFlags) withDuration(ctx context.Context) (context.Context, context.CancelFunc) {
	if t.duration > 0 {
		return context.WithTimeout(ctx, time.Duration(t.duration))
	}
	return context.WithCancel(ctx)
}

type traceOpenOptions struct {
	targetFlags
	timestamp, showUID, failed, extended, fullPath, container, asJSON bool
	flags                                                             []string
	bufferSize                                                        byteSize
}

func newTraceOpenCmd(stdio IO) *cobra.Command {
	o := &traceOpenOptions{bufferSize: trace.DefaultBufferSize}
	cmd := &cobra.Command{
		Use:   "open",
		Short: "print every open, openat, openat2 and creat as it returns, like opensnoop",
		Long: `Print each file open on the host as it returns: the process, the file
descriptor it got or the error, and the path, with opensnoop's columns and
flags. Opens are caught at the syscall tracepoints (open, openat, openat2,
creat where the architecture has them) and sent through a BPF ring buffer;
the filters run in the kernel, so what they leave out costs next to nothing.

Columns: PID COMM FD ERR PATH; -T adds TIME(s) since the start, -U the
UID, -e the FLAGS of the open, --container the container or service the
process's cgroup names (as mihari top shows it). FD is -1 and ERR the errno
of a failed open.

-f FLAG keeps opens with any of the given flags (O_WRONLY, O_CREAT, ...;
the O_ may be left out; repeat it or separate with commas). --cgroup keeps
the processes in a cgroup: a cgroup v2 one is filtered in the kernel, a v1
one by reading each process's /proc/PID/cgroup when its first open arrives
(a process that has exited by then is left out). mihari's own opens are
never traced.

-F makes relative paths absolute: the kernel names the thread's working
directory (or the directory of the dirfd it passed) when the open returns,
by walking its dentries up to the process's root, so the answer holds even
for a process that exits at once. Where it can be wrong: a process in a
chroot or another mount namespace is shown its own view of the path, not
the host's; ".." is cleaned lexically and symlinks are not followed, as
the kernel would; a directory deeper than 64 levels (or 4 KiB) is instead
read from /proc when the event is printed, which is wrong if the thread
has changed directory or reused the dirfd since, and impossible once it
has exited (the path is then left as it was).

Nothing is lost silently: events the ring buffer had no room for are
counted in the kernel and reported in the summary line that ends the trace
(on stderr): events seen, events lost. Give a bigger --buffer-size when
events are lost. To stay cheap at hundreds of thousands of opens a second,
the kernel wakes mihari for batches of events, not for each one: an event
is printed at most 20 ms after its open (its TIME is the kernel's).

--json prints one JSON object per open on a line:
  {"time":RFC 3339,"pid":N,"tid":N,"uid":N,"comm":S,"fd":N,"errno":N,
   "error":"ENOENT"|"","flags":"O_WRONLY|O_CREAT","flags_raw":N,"mode":N,
   "syscall":"openat","dirfd":N,"path":S,"full_path":S (with -F),
   "container":S (with --container)}`,
		Example: `  # every open on the host, until Ctrl-C
  sudo mihari trace open

  # what kubelet opens for 10 seconds, with absolute paths
  sudo mihari trace open -n kubelet -F -d 10

  # failed opens only, with their flags
  sudo mihari trace open -x -e

  # files created or opened for writing, as JSON, then time reading them
  sudo mihari trace open -f O_WRONLY -f O_CREAT --json -d 5 > opens.json
  mihari cost --from opens.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTraceOpen(cmd.Context(), stdio, o)
		},
	}
	fs := cmd.Flags()
	o.add(fs, "trace for this long (10, 1m30s); until Ctrl-C when not given")
	fs.BoolVarP(&o.timestamp, "timestamp", "T", false, "add a TIME(s) column: seconds since the trace started")
	fs.BoolVarP(&o.showUID, "print-uid", "U", false, "add a UID column")
	fs.BoolVarP(&o.failed, "failed", "x", false, "only opens that failed")
	fs.BoolVarP(&o.extended, "extended", "e", false, "add a FLAGS column with the open flags")
	fs.StringSliceVarP(&o.flags, "flag", "f", nil, "only opens with this flag, such as O_WRONLY or O_CREAT (repeatable)")
	fs.BoolVarP(&o.fullPath, "full-path", "F", false, "resolve relative paths against the working directory or dirfd")
	fs.BoolVar(&o.container, "container", false, "add a CONTAINER column: the container or service of the process's cgroup")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per open, on a line")
	fs.Var(&o.bufferSize, "buffer-size", "ring buffer size: a power of two, such as 16MiB or 64MiB")
	return cmd
}

func runTraceOpen(ctx context.Context, stdio IO, o *traceOpenOptions) error {
	f := o.filter()
	f.Failed = o.failed
	f.Flags = o.flags
	start := time.Now() // -T counts from here, as opensnoop's does from its start
	t, err := trace.Opens(trace.Options{Filter: f, BufferSize: int(o.bufferSize), FullPath: o.fullPath})
	if err != nil {
		return traceError(err)
	}
	defer t.Close()
	ctx, cancel := o.withDuration(ctx)
	defer cancel()

	w := bufio.NewWriterSize(stdio.Out, 64<<10)
	p := openPrinter{o: o, w: w, start: start}
	if o.container {
		p.containers = trace.NewContainers(top.Container)
	}
	if !o.asJSON {
		p.header()
	}
	var werr error
	err = t.Run(ctx, func(e *trace.OpenEvent) {
		if werr == nil {
			werr = p.print(e)
		}
	}, func() {
		if werr == nil {
			werr = w.Flush()
		}
	})
	if ferr := w.Flush(); werr == nil {
		werr = ferr
	}
	c := t.Counts()
	fmt.Fprintln(stdio.Err, openSummary(c, time.Since(p.start)))
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("writing the output: %w", werr)
	}
	return nil
}

// traceError makes a mistake in the options a usage error (exit status 2).
func traceError(err error) error {
	if errors.Is(err, trace.ErrInvalid) {
		return usageError{err}
	}
	return err
}

// openSummary is the line that ends a trace: what was seen, what was lost
// and what to do about it.
func openSummary(c trace.Counts, d time.Duration) string {
	s := fmt.Sprintf("%d events seen in %.1fs, %d lost", c.Events, d.Seconds(), c.Lost)
	if c.Lost > 0 {
		s += " (the ring buffer was full: give a bigger --buffer-size, or filter more)"
	}
	if c.StartsFull > 0 {
		s += fmt.Sprintf(", %d opens not traced (too many threads inside open at once)", c.StartsFull)
	}
	return s
}

type openPrinter struct {
	o          *traceOpenOptions
	w          *bufio.Writer
	start      time.Time
	containers *trace.Containers
	buf        []byte
}

func (p *openPrinter) header() {
	var b []byte
	if p.o.timestamp {
		b = append(b, "TIME(s)      "...)
	}
	if p.o.showUID {
		b = append(b, "UID    "...)
	}
	b = append(b, "PID     COMM             "...)
	if p.o.container {
		b = append(b, "CONTAINER     "...)
	}
	b = append(b, " FD ERR "...)
	if p.o.extended {
		b = append(b, "FLAGS                        "...)
	}
	b = append(b, "PATH\n"...)
	p.w.Write(b)
}

func (p *openPrinter) print(e *trace.OpenEvent) error {
	if p.o.asJSON {
		return p.printJSON(e)
	}
	b := p.buf[:0]
	if p.o.timestamp {
		b = pad(strconv.AppendFloat(b, e.Time.Sub(p.start).Seconds(), 'f', 6, 64), len(b), 13)
	}
	if p.o.showUID {
		b = pad(strconv.AppendUint(b, uint64(e.UID), 10), len(b), 7)
	}
	b = pad(strconv.AppendUint(b, uint64(e.PID), 10), len(b), 8)
	b = pad(append(b, e.Comm...), len(b), 17)
	if p.containers != nil {
		b = pad(append(b, p.containers.Of(e.PID)...), len(b), 14)
	}
	b = padLeft(b, strconv.AppendInt(nil, int64(e.FD), 10), 3)
	b = append(b, ' ')
	b = padLeft(b, strconv.AppendUint(nil, uint64(e.Errno), 10), 3)
	b = append(b, ' ')
	if p.o.extended {
		b = pad(append(b, trace.FormatFlags(e.Flags)...), len(b), 29)
	}
	path := e.Path
	if p.o.fullPath {
		if fp := e.FullPath(); fp != "" {
			path = []byte(fp)
		}
	}
	b = append(b, path...)
	b = append(b, '\n')
	p.buf = b
	_, err := p.w.Write(b)
	return err
}

// pad pads the field that starts at b[start:] with spaces to width, and
// always ends it with one.
func pad(b []byte, start, width int) []byte {
	for len(b)-start < width-1 {
		b = append(b, ' ')
	}
	return append(b, ' ')
}

func padLeft(b, field []byte, width int) []byte {
	for i := len(field); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, field...)
}

func (p *openPrinter) printJSON(e *trace.OpenEvent) error {
	b := p.buf[:0]
	b = append(b, `{"time":"`...)
	b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","pid":`...)
	b = strconv.AppendUint(b, uint64(e.PID), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendUint(b, uint64(e.TID), 10)
	b = append(b, `,"uid":`...)
	b = strconv.AppendUint(b, uint64(e.UID), 10)
	b = append(b, `,"comm":`...)
	b = appendJSONString(b, e.Comm)
	b = append(b, `,"fd":`...)
	b = strconv.AppendInt(b, int64(e.FD), 10)
	b = append(b, `,"errno":`...)
	b = strconv.AppendUint(b, uint64(e.Errno), 10)
	b = append(b, `,"error":"`...)
	if e.Errno != 0 {
		b = append(b, unix.ErrnoName(e.Errno)...)
	}
	b = append(b, `","flags":"`...)
	b = append(b, trace.FormatFlags(e.Flags)...)
	b = append(b, `","flags_raw":`...)
	b = strconv.AppendUint(b, uint64(e.Flags), 10)
	b = append(b, `,"mode":`...)
	b = strconv.AppendUint(b, uint64(e.Mode), 10)
	b = append(b, `,"syscall":"`...)
	b = append(b, e.Syscall...)
	b = append(b, `","dirfd":`...)
	b = strconv.AppendInt(b, int64(e.DirFD), 10)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, e.Path)
	if p.o.fullPath {
		b = append(b, `,"full_path":`...)
		b = appendJSONString(b, []byte(e.FullPath()))
	}
	if p.containers != nil {
		b = append(b, `,"container":`...)
		b = appendJSONString(b, []byte(p.containers.Of(e.PID)))
	}
	b = append(b, "}\n"...)
	p.buf = b
	_, err := p.w.Write(b)
	return err
}

// appendJSONString appends s as a JSON string; bytes that are not UTF-8
// become U+FFFD, as encoding/json does.
func appendJSONString(b, s []byte) []byte {
	simple := true
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(string(s))
	return append(b, q...)
}

type traceFilesOptions struct {
	targetFlags
	top      int
	all      bool
	asJSON   bool
	maxFiles int
}

func newTraceFilesCmd(stdio IO) *cobra.Command {
	o := &traceFilesOptions{}
	o.duration = seconds(10 * time.Second)
	cmd := &cobra.Command{
		Use:   "files",
		Short: "which files cost the traced processes the most time to read",
		Long: `Add up, per file, for a process, a name, a cgroup or the whole host, over
-d: the opens, the read calls (read, pread64, readv, preadv, preadv2), the
bytes they returned, and the time spent in them, total and longest, from
entry to exit of each call, matched per thread. The kernel adds it all up in
a map, so a file read a million times costs the same to report as one read
once; nothing is sent per read.

A file is known by its device and inode, taken from the process's fd table
when each read starts, so an fd number reused for another file never mixes
the two. It is named by the path it was opened by (the fd's link in /proc,
absolute) or, for a file opened before the trace began, by the link of an
fd still open to it at the end; "dev M:m inode N" when neither is left.

Only regular files are counted (which /proc, /sys and cgroup files are),
not a thread blocked reading a pipe, socket or terminal; --all-files counts
those too. --cgroup on a cgroup v2 directory is filtered in the kernel; on
a v1 one, when the trace ends, by the processes in it then (one that has
exited by then is left out).

Columns: TIME (in reads), MAX (the longest read), READS, BYTES, OPENS, the
PROCESSES that did them (costliest first), and the PATH, costliest first.
The summary line on stderr says what could not be counted, if anything.

--json prints one object:
  {"duration_seconds":N,"files":[{"path":S,"dev":"M:m","inode":N,"opens":N,
   "reads":N,"bytes":N,"seconds":N,"max_read_seconds":N,
   "processes":[{"pid":N,"comm":S,"opens":N,"reads":N,"bytes":N,
   "seconds":N,"max_read_seconds":N}]}],"lost":{"reads_not_timed":N,
   "not_counted":N}}`,
		Example: `  # the files kubelet spends the most time reading, over 10 seconds
  sudo mihari trace files -n kubelet

  # the whole host for 30 seconds, the top 5 as JSON
  sudo mihari trace files -d 30 --top 5 --json

  # one process, until Ctrl-C stops it early
  sudo mihari trace files -p 4242 -d 1h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTraceFiles(cmd.Context(), stdio, o)
		},
	}
	fs := cmd.Flags()
	o.add(fs, "trace for this long (10, 1m30s); Ctrl-C ends it early")
	fs.IntVar(&o.top, "top", 20, "files to show, the costliest; 0 for all")
	fs.BoolVar(&o.all, "all-files", false, "count reads of pipes, sockets, terminals and devices too")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object")
	fs.IntVar(&o.maxFiles, "max-files", trace.DefaultMaxFiles, "(process, file) pairs the kernel adds up at most")
	return cmd
}

func runTraceFiles(ctx context.Context, stdio IO, o *traceFilesOptions) error {
	if o.top < 0 {
		return usageError{fmt.Errorf("--top %d: want 0 (all) or more", o.top)}
	}
	if o.maxFiles <= 0 {
		return usageError{fmt.Errorf("--max-files %d: want 1 or more", o.maxFiles)}
	}
	if o.duration <= 0 {
		return usageError{fmt.Errorf("--duration: want more than 0")}
	}
	ctx, cancel := o.withDuration(ctx)
	defer cancel()
	if _, tty := terminal(stdio.Err); tty {
		fmt.Fprintf(stdio.Err, "tracing reads for %v (Ctrl-C to stop early)...\n", time.Duration(o.duration))
	}
	r, err := trace.TraceFiles(ctx, trace.Options{Filter: o.filter(), MaxFiles: o.maxFiles, AllFiles: o.all}, nil)
	if err != nil {
		return traceError(err)
	}
	files := r.Files
	if o.top > 0 && len(files) > o.top {
		files = files[:o.top]
	}
	if o.asJSON {
		err = writeFilesJSON(stdio.Out, r, files)
	} else {
		err = writeFilesText(stdio.Out, files)
	}
	if err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	fmt.Fprintln(stdio.Err, filesSummary(r, len(files)))
	return nil
}

func filesSummary(r *trace.FilesReport, shown int) string {
	s := fmt.Sprintf("%d files read or opened in %.1fs, %d shown", len(r.Files), r.Duration.Seconds(), shown)
	if c := r.Counts; c.ReadsFull > 0 || c.FilesFull > 0 {
		s += fmt.Sprintf("; not counted: %d reads (too many threads inside read at once), %d reads or opens (more than --max-files pairs)", c.ReadsFull, c.FilesFull)
	}
	return s
}

// fileName is how a file is shown when no path names it.
func fileName(f trace.FileUse) string {
	if f.Path != "" {
		return f.Path
	}
	return fmt.Sprintf("dev %s inode %d", f.Dev, f.Ino)
}

func writeFilesText(w io.Writer, files []trace.FileUse) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%10s %10s %8s %10s %6s  %-30s %s\n", "TIME", "MAX", "READS", "BYTES", "OPENS", "PROCESSES", "PATH")
	for _, f := range files {
		fmt.Fprintf(bw, "%10s %10s %8d %10s %6d  %-30s %s\n",
			shortDuration(f.Time), shortDuration(f.MaxRead), f.Reads, humanBytes(f.Bytes), f.Opens,
			procList(f.Procs, 30), fileName(f))
	}
	return bw.Flush()
}

// procList names processes as comm[pid], as many as fit in width.
func procList(ps []trace.ProcUse, width int) string {
	var b strings.Builder
	for i, p := range ps {
		s := fmt.Sprintf("%s[%d]", p.Comm, p.PID)
		more := "" // room for " +N" unless this is the last
		if i < len(ps)-1 {
			more = fmt.Sprintf(" +%d", len(ps)-i)
		}
		if i > 0 && b.Len()+1+len(s) > width-len(more) {
			more = fmt.Sprintf(" +%d", len(ps)-i)
			b.WriteString(more)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

func shortDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func humanBytes(n uint64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	}
}

type procJSON struct {
	PID     uint32  `json:"pid"`
	Comm    string  `json:"comm"`
	Opens   uint64  `json:"opens"`
	Reads   uint64  `json:"reads"`
	Bytes   uint64  `json:"bytes"`
	Seconds float64 `json:"seconds"`
	MaxRead float64 `json:"max_read_seconds"`
}

type fileJSON struct {
	Path    string     `json:"path"`
	Dev     string     `json:"dev"`
	Ino     uint64     `json:"inode"`
	Opens   uint64     `json:"opens"`
	Reads   uint64     `json:"reads"`
	Bytes   uint64     `json:"bytes"`
	Seconds float64    `json:"seconds"`
	MaxRead float64    `json:"max_read_seconds"`
	Procs   []procJSON `json:"processes"`
}

func writeFilesJSON(w io.Writer, r *trace.FilesReport, files []trace.FileUse) error {
	out := struct {
		Duration float64    `json:"duration_seconds"`
		Files    []fileJSON `json:"files"`
		Lost     struct {
			ReadsNotTimed uint64 `json:"reads_not_timed"`
			NotCounted    uint64 `json:"not_counted"`
		} `json:"lost"`
	}{Duration: r.Duration.Seconds(), Files: []fileJSON{}}
	out.Lost.ReadsNotTimed = r.Counts.ReadsFull
	out.Lost.NotCounted = r.Counts.FilesFull
	for _, f := range files {
		fj := fileJSON{Path: f.Path, Dev: f.Dev, Ino: f.Ino, Opens: f.Opens, Reads: f.Reads, Bytes: f.Bytes,
			Seconds: f.Time.Seconds(), MaxRead: f.MaxRead.Seconds()}
		for _, p := range f.Procs {
			fj.Procs = append(fj.Procs, procJSON{PID: p.PID, Comm: p.Comm, Opens: p.Opens, Reads: p.Reads,
				Bytes: p.Bytes, Seconds: p.Time.Seconds(), MaxRead: p.MaxRead.Seconds()})
		}
		out.Files = append(out.Files, fj)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}
