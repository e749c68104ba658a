package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/cost"
)

type costOptions struct {
	from     string
	timeout  time.Duration
	maxBytes byteSize
	asJSON   bool
}

func newCostCmd(stdio IO) *cobra.Command {
	o := &costOptions{maxBytes: cost.DefaultMaxBytes}
	cmd := &cobra.Command{
		Use:   "cost [FILE|GLOB|-]...",
		Short: "time reading files in full, as cat would: wall time, user and system CPU, bytes, lines",
		Long: `Read each file to its end, as cat would, one after another, and report what
that cost: the wall time from open to close, the user and system CPU time of
the reading thread (its own rusage, so nothing else in mihari is counted),
the bytes and the lines; slowest first.

Files come from the arguments (shell-style globs are expanded, so they can
be quoted), from stdin, one path a line, when an argument is "-" or there
are no arguments and stdin is not a terminal, or --from the JSON output of
'mihari trace open' (the successful opens; their full_path when traced
with -F, else their path).

A read still running after --timeout is reported as hung, its thread left
blocked in the kernel, and the next file is measured: a file on a dead
network mount or a stuck FUSE daemon cannot stop the run. Reading stops at
--max-bytes (status "truncated"), so /dev/zero cannot run forever.

Status is ok, hung, truncated, or why the file could not be read. The exit
status is 1 when a file could not be read (or nothing was given), else 0:
hung and truncated files are findings, not errors.

--json prints one object:
  {"files":[{"path":S,"status":"ok"|"hung"|"truncated"|"error","error":S,
   "wall_seconds":N,"user_seconds":N,"system_seconds":N,"bytes":N,
   "lines":N}]}`,
		Example: `  # what does reading the blkio statistics of every cgroup cost?
  mihari cost '/sys/fs/cgroup/blkio/*/blkio.throttle.io_serviced' \
    '/sys/fs/cgroup/blkio/*/*/blkio.throttle.io_serviced'

  # time every file kubelet opened in 10 seconds
  sudo mihari trace open -n kubelet -F -d 10 --json > opens.json
  mihari cost --from opens.json

  # paths on stdin, with a short timeout
  find /proc/self -maxdepth 1 -type f | mihari cost --timeout 2s`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCost(cmd.Context(), stdio, o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.from, "from", "", "read the paths from this JSON output of 'mihari trace open' (- for stdin)")
	fs.DurationVar(&o.timeout, "timeout", cost.DefaultTimeout, "report a file as hung when reading it takes longer than this")
	fs.Var(&o.maxBytes, "max-bytes", "stop reading a file after this many bytes, such as 1GiB")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

func runCost(ctx context.Context, stdio IO, o *costOptions, args []string) error {
	if o.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout %v: want more than 0", o.timeout)}
	}
	paths, bad, err := costPaths(stdio, o, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 && len(bad) == 0 {
		return usageError{errors.New("no files to measure: give paths or globs, '-' to read them from stdin, or --from")}
	}
	_, tty := terminal(stdio.Err)
	progress := func(i int, p string) {
		if tty {
			fmt.Fprintf(stdio.Err, "\r\033[Kmeasuring %d/%d: %s", i+1, len(paths), p)
		}
	}
	results := cost.MeasureAll(ctx, paths, cost.Options{Timeout: o.timeout, MaxBytes: int64(o.maxBytes)}, progress)
	if tty {
		fmt.Fprint(stdio.Err, "\r\033[K")
	}
	results = append(results, bad...)
	cost.SortByWall(results)
	if o.asJSON {
		err = writeCostJSON(stdio.Out, results)
	} else {
		err = writeCostText(stdio.Out, results)
	}
	if err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d of %d files", len(results)-len(bad), len(paths))
	}
	failed := 0
	for _, r := range results {
		if r.Status == cost.Failed {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read", failed, len(results))
	}
	return nil
}

// costPaths gathers the files to measure, in order, each once. Patterns
// that match nothing come back as failed results.
func costPaths(stdio IO, o *costOptions, args []string) (paths []string, bad []cost.Result, err error) {
	seen := make(map[string]bool)
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	stdinUsed := false
	if o.from != "" {
		var r io.Reader
		if o.from == "-" {
			r, stdinUsed = stdio.In, true
		} else {
			f, err := os.Open(o.from)
			if err != nil {
				return nil, nil, fmt.Errorf("--from: %w", err)
			}
			defer f.Close()
			r = f
		}
		ps, relative, err := pathsFromTrace(r)
		if err != nil {
			return nil, nil, fmt.Errorf("--from %s: %w", o.from, err)
		}
		if relative > 0 {
			fmt.Fprintf(stdio.Err, "--from %s: left out %d relative paths (trace with -F to resolve them)\n", o.from, relative)
		}
		for _, p := range ps {
			add(p)
		}
	}
	readStdin := len(args) == 0 && o.from == ""
	if readStdin {
		if f, ok := stdio.In.(*os.File); ok {
			if _, tty := terminal(f); tty {
				readStdin = false
			}
		}
	}
	for _, a := range args {
		if a == "-" {
			readStdin = true
			continue
		}
		if !strings.ContainsAny(a, "*?[") {
			add(a)
			continue
		}
		matches, err := filepath.Glob(a)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("pattern %s: %w", a, err)}
		}
		if len(matches) == 0 {
			bad = append(bad, cost.Result{Path: a, Status: cost.Failed, Err: errors.New("no file matches")})
		}
		for _, m := range matches {
			add(m)
		}
	}
	if readStdin {
		if stdinUsed {
			return nil, nil, usageError{errors.New("stdin cannot be both --from - and a list of paths")}
		}
		sc := bufio.NewScanner(stdio.In)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			add(strings.TrimSpace(sc.Text()))
		}
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("reading paths from stdin: %w", err)
		}
	}
	return paths, bad, nil
}

// pathsFromTrace picks the files that were opened from trace open's JSON
// lines: the full path when there is one, else the path as opened.
// Relative paths without a full path cannot be found again: they are left
// out and counted (an error when they are all there is).
func pathsFromTrace(r io.Reader) (paths []string, relative int, err error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		n++
		if line == "" {
			continue
		}
		var e struct {
			FD       int    `json:"fd"`
			Path     string `json:"path"`
			FullPath string `json:"full_path"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, 0, fmt.Errorf("line %d: not an event of mihari trace open --json: %w", n, err)
		}
		if e.FD < 0 {
			continue
		}
		p := e.FullPath
		if p == "" {
			p = e.Path
		}
		if !filepath.IsAbs(p) {
			relative++
			continue
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if relative > 0 && len(out) == 0 {
		return nil, 0, fmt.Errorf("all %d opens have relative paths: trace with -F to resolve them", relative)
	}
	return out, relative, nil
}

func writeCostText(w io.Writer, results []cost.Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%10s %10s %10s %10s %8s  %-9s %s\n", "WALL", "USER", "SYS", "BYTES", "LINES", "STATUS", "PATH")
	for _, r := range results {
		wall, user, sys, size, lines := shortDuration(r.Wall), shortDuration(r.User), shortDuration(r.System), humanBytes(uint64(r.Bytes)), fmt.Sprint(r.Lines)
		switch r.Status {
		case cost.Failed:
			wall, user, sys, size, lines = "-", "-", "-", "-", "-"
		case cost.Hung:
			wall, user, sys = ">"+wall, "?", "?"
		}
		fmt.Fprintf(bw, "%10s %10s %10s %10s %8s  %-9s %s\n", wall, user, sys, size, lines, r.Reason(), r.Path)
	}
	return bw.Flush()
}

func writeCostJSON(w io.Writer, results []cost.Result) error {
	type fileJSON struct {
		Path   string  `json:"path"`
		Status string  `json:"status"`
		Error  string  `json:"error,omitempty"`
		Wall   float64 `json:"wall_seconds"`
		User   float64 `json:"user_seconds"`
		System float64 `json:"system_seconds"`
		Bytes  int64   `json:"bytes"`
		Lines  int64   `json:"lines"`
	}
	out := struct {
		Files []fileJSON `json:"files"`
	}{Files: []fileJSON{}}
	for _, r := range results {
		f := fileJSON{Path: r.Path, Status: string(r.Status), Wall: r.Wall.Seconds(), User: r.User.Seconds(),
			System: r.System.Seconds(), Bytes: r.Bytes, Lines: r.Lines}
		if r.Status == cost.Failed {
			f.Error = r.Reason()
		}
		out.Files = append(out.Files, f)
	}
	return json.NewEncoder(w).Encode(out)
}
