package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/top"
	"github.com/mihari-dev/mihari/internal/top/tui"
)

type topOptions struct {
	collect    collect.Options
	batch      bool
	iterations int
	delay      time.Duration
	sort       string
	filter     string
	asJSON     bool
	limit      int
}

// minDelay keeps top from becoming the load it watches.
const minDelay = 100 * time.Millisecond

func newTopCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &topOptions{}
	cmd := &cobra.Command{
		Use:   "top",
		Short: "show processes live: CPU split into user and system time, memory, I/O, container",
		Long: `Show the host's processes, refreshed every --delay, like top: who burns CPU,
split into user and system (kernel) time, their memory and storage I/O, and
the container each runs in. The header has the CPU of all CPUs by mode
(user, system, iowait, steal, nice, irq, softirq, idle) over the last
interval, the load averages, memory, and one line on what watching costs:
this mihari's own CPU, the costliest kind of file it read (a source, as in
mihari_source_*) in CPU milliseconds per second, and the CPU of any other
mihari process, such as a running 'mihari serve'.

%CPU, %USR and %SYS are in percent of one CPU, as top shows them. READ/s and
WRITE/s are storage I/O from /proc/PID/io, "-" where it cannot be read.
CONTAINER is what the process's cgroup says: a container's short ID, "pod/"
and a pod UID's first characters, or the cgroup's last element (such as
kubelet.service); "-" for the root cgroup.

Keys: c, s, m, i, p sort by CPU, system CPU, memory (RSS), I/O or PID;
/ filters by command (a substring, ignoring case; Enter applies, Esc
clears); Up, Down, PgUp, PgDn, Home, End scroll; q or Ctrl-C quits.

With -b (batch), top prints frames as plain text to stdout instead, the
first one --delay after starting so that its rates are real, at most
--limit processes each. With --json (which implies -b), each frame is one
JSON object on a line, CPU in percent (host.cpu of all CPUs, the rest of
one CPU), memory in bytes, rates per second, I/O rates null when unknown:
` + top.JSONShape,
		Example: `  # the live view
  mihari top

  # the processes burning the most system (kernel) CPU, refreshed every second
  mihari top --sort sys -d 1s

  # one frame as text, then as JSON
  mihari top -b -n 1
  mihari top --json -n 1 | jq '.processes[] | select(.system_percent > 10)'

  # the host's processes from a container that mounts its files under /host
  mihari top --path.procfs=/host/proc --path.rootfs=/host`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("iterations") && (o.batch || o.asJSON) {
				o.iterations = 1
			}
			return runTop(cmd.Context(), stdio, logOpts, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.batch, "batch", "b", false, "print frames as plain text to stdout instead of the live view")
	fs.IntVarP(&o.iterations, "iterations", "n", 0, "frames to show before exiting; 0 for no end (default 1 with -b or --json)")
	fs.DurationVarP(&o.delay, "delay", "d", 2*time.Second, "time between frames, over which the rates are computed")
	fs.StringVar(&o.sort, "sort", "cpu", "order of the processes: cpu, sys (system CPU), mem (RSS), io (read+write) or pid")
	fs.StringVar(&o.filter, "filter", "", "show only processes whose command (comm) contains this, ignoring case")
	fs.BoolVar(&o.asJSON, "json", false, "print each frame as one JSON object per line (implies -b)")
	fs.IntVarP(&o.limit, "limit", "N", 30, "processes per frame with -b or --json; 0 for all")
	o.collect.AddSourceFlags(fs)
	return cmd
}

func runTop(ctx context.Context, stdio IO, logOpts *logOptions, o *topOptions) error {
	sortKey, err := top.ParseSortKey(o.sort)
	switch {
	case err != nil:
		return usageError{fmt.Errorf("--sort %w", err)}
	case o.delay < minDelay:
		return usageError{fmt.Errorf("--delay %v: want %v or more", o.delay, minDelay)}
	case o.iterations < 0:
		return usageError{fmt.Errorf("--iterations %d: want 0 (no end) or more", o.iterations)}
	case o.limit < 0:
		return usageError{fmt.Errorf("--limit %d: want 0 (all) or more", o.limit)}
	}
	batch := o.batch || o.asJSON
	out, tty := terminal(stdio.Out)
	if !batch && !tty {
		return errors.New("stdout is not a terminal; use -b for plain text or --json")
	}
	if err := o.collect.CheckPaths(); err != nil {
		return usageError{err}
	}

	// Logs would tear through the live view: they wait until it ends.
	logw := stdio.Err
	var held *tailBuffer
	if !batch {
		held = &tailBuffer{max: 64 << 10}
		logw = held
		defer func() { _, _ = held.WriteTo(stdio.Err) }()
	}
	log, err := logOpts.logger(logw)
	if err != nil {
		return err
	}
	reader, err := o.collect.Reader(log.With("component", "source"))
	if err != nil {
		return usageError{err}
	}
	src := top.NewCollector(reader, o.collect.Paths)

	if !batch {
		return tui.Run(ctx, src, stdio.In, stdio.Out, tui.Options{
			Delay: o.delay, Sort: sortKey, Filter: o.filter, Frames: o.iterations,
		})
	}
	width := 0
	if tty {
		if ws, err := unix.IoctlGetWinsize(int(out.Fd()), unix.TIOCGWINSZ); err == nil {
			width = int(ws.Col)
		}
	}
	return top.Batch(ctx, src, stdio.Out, top.BatchOptions{
		View:   top.View{Sort: sortKey, Filter: o.filter, Width: width},
		Frames: o.iterations,
		Delay:  o.delay,
		Limit:  o.limit,
		JSON:   o.asJSON,
	})
}

// terminal returns w as a file and whether it is a terminal.
func terminal(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return nil, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return f, err == nil
}

// tailBuffer keeps the latest writes, up to max bytes of whole writes (a
// log record is one write).
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     [][]byte
	size    int
	dropped int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, bytes.Clone(p))
	t.size += len(p)
	for t.size > t.max && len(t.buf) > 1 {
		t.size -= len(t.buf[0])
		t.buf = t.buf[1:]
		t.dropped++
	}
	return len(p), nil
}

// WriteTo writes what was kept to w, after a line on what was not.
func (t *tailBuffer) WriteTo(w io.Writer) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	if t.dropped > 0 {
		k, err := fmt.Fprintf(w, "(%d earlier log records dropped)\n", t.dropped)
		if n += int64(k); err != nil {
			return n, err
		}
	}
	for _, b := range t.buf {
		k, err := w.Write(b)
		if n += int64(k); err != nil {
			return n, err
		}
	}
	return n, nil
}
