package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	mprofile "github.com/mihari-dev/mihari/internal/profile"
)

type profileOptions struct {
	pids     []int
	name     string
	cgroup   string
	all      bool
	duration seconds
	freq     int
	output   string
	top      int
	folded   bool
	svg      string
	asJSON   bool
	url      string
}

func newProfileCmd(stdio IO) *cobra.Command {
	o := &profileOptions{duration: seconds(mprofile.DefaultDuration), freq: mprofile.DefaultFreq, top: 20}
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "CPU profile of processes and the kernel under them, as pprof: any language, no agent in the target",
		Long: `Sample where the CPU is, in user space and in the kernel, for processes by
pid, by name or by cgroup, or for the whole host, and write a pprof profile
that go tool pprof and every pprof tool read.

Sampling is perf_event_open's software cpu-clock event (hardware counters
are missing in many VMs) at -F samples a second on every CPU, with the
kernel's and the process's call chains: whatever runs on a CPU is sampled,
so threads and processes started during the profile are in it, and the
cost is bounded by CPUs x frequency however many threads run. User call
chains are followed by frame pointers: Go programs, and C or C++ built with
-fno-omit-frame-pointer, give whole stacks (gcc 12 still leaves the frame
out of leaf functions that need no stack, and their caller goes missing);
code without frame pointers gives its leaf function and little above it.

Frames are named by mihari: kernel frames from /proc/kallsyms, in a
mapping named [kernel]; user frames from /proc/PID/maps and the mapped
files' ELF symbol tables (.symtab, else .dynsym) or, for Go programs, the
pclntab, which a stripped Go binary keeps. Files are opened in the
process's own mount namespace (/proc/PID/root), so containers are named
too. A frame that cannot be named keeps its address and mapping (with the
file's build ID), never dropped, for pprof to name later. Samples carry
labels: pid, tid, comm, and space (kernel or user: where the CPU was).

Output: the profile (gzipped protobuf) to -o, and on stdout where the time
went: the share in the kernel, the user functions that led into it, and
the top functions by flat time (--top, kernel ones marked [k]). --folded
prints folded stacks for flame graph tools instead; --svg writes a flame
graph to open in a browser; --json prints the summary as JSON:
  {"output":S,"duration_seconds":N,"frequency":N,"samples":N,"seen":N,
   "lost":N,"kernel_fraction":N,"user_fraction":N,
   "top":[{"name":S,"kernel":B,"flat_seconds":N,"cum_seconds":N}],
   "kernel_callers":[{"name":S,"fraction":N}],"warnings":[S]}

--url fetches a Go program's own profile instead (the /debug/pprof/profile
of net/http/pprof), writes it to -o and summarizes it the same way.

Profiling every CPU needs root or CAP_PERFMON (kernel.perf_event_paranoid
-1 allows it to anyone); naming kernel frames needs kernel.kptr_restrict 0,
or 1 as root.`,
		Example: `  # where does kubelet spend its CPU? 10 seconds, summary and profile
  sudo mihari profile -n kubelet

  # two processes for 30 s, then look at the profile in a browser
  sudo mihari profile -p 4242,4243 -d 30 -o kubelet.pb.gz
  go tool pprof -http=: kubelet.pb.gz

  # the whole host, as a flame graph
  sudo mihari profile --all --svg host.svg

  # a Go program's own profile, the way the kubelet incident was found
  mihari profile --url 'http://127.0.0.1:10248/debug/pprof/profile?seconds=10'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProfile(cmd.Context(), stdio, o)
		},
	}
	fs := cmd.Flags()
	fs.IntSliceVarP(&o.pids, "pid", "p", nil, "profile these processes, every thread (comma-separated or repeated)")
	fs.StringVarP(&o.name, "name", "n", "", "profile processes whose command name (comm) contains this")
	fs.StringVar(&o.cgroup, "cgroup", "", "profile processes in this cgroup or below it: a cgroup directory, or a path as /proc/PID/cgroup shows it")
	fs.BoolVar(&o.all, "all", false, "profile every process on the host")
	fs.VarP(&o.duration, "duration", "d", "profile for this long (10, 1m30s); Ctrl-C ends it early")
	fs.IntVarP(&o.freq, "freq", "F", mprofile.DefaultFreq, "samples a second on each CPU")
	fs.StringVarP(&o.output, "output", "o", "mihari-profile.pb.gz", "write the pprof profile here")
	fs.IntVar(&o.top, "top", 20, "functions to list by flat time; 0 for none")
	fs.BoolVar(&o.folded, "folded", false, "print folded stacks (comm;frame;...;leaf count) instead of the summary")
	fs.StringVar(&o.svg, "svg", "", "also write a flame graph to this SVG file")
	fs.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	fs.StringVar(&o.url, "url", "", "fetch a Go program's profile from this /debug/pprof/profile URL instead of sampling")
	return cmd
}

func runProfile(ctx context.Context, stdio IO, o *profileOptions) error {
	if o.top < 0 {
		return usageError{fmt.Errorf("--top %d: want 0 (none) or more", o.top)}
	}
	if o.folded && o.asJSON {
		return usageError{errors.New("--folded and --json both print to stdout: give one")}
	}
	targets := 0
	for _, set := range []bool{len(o.pids) > 0, o.name != "", o.cgroup != "", o.all, o.url != ""} {
		if set {
			targets++
		}
	}
	if targets != 1 {
		return usageError{errors.New("give one of -p PID, -n NAME, --cgroup PATH, --all or --url URL")}
	}
	var res *mprofile.Result
	var err error
	if o.url != "" {
		res, err = fetchProfile(ctx, o.url)
	} else {
		res, err = sampleProfile(ctx, stdio, o)
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stdio.Err, "warning:", w)
	}
	if err := writeProfileFiles(res.Profile, o); err != nil {
		return err
	}
	out := bufio.NewWriter(stdio.Out)
	switch {
	case o.folded:
		err = mprofile.WriteFolded(out, res.Profile)
	case o.asJSON:
		err = writeProfileJSON(out, res, o)
	default:
		err = writeProfileText(out, res, o)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	return nil
}

func sampleProfile(ctx context.Context, stdio IO, o *profileOptions) (*mprofile.Result, error) {
	if o.duration <= 0 {
		return nil, usageError{errors.New("--duration: want more than 0")}
	}
	opts := mprofile.Options{
		Target:   mprofile.Target{PIDs: o.pids, Name: o.name, Cgroup: o.cgroup, All: o.all},
		Duration: time.Duration(o.duration),
		Freq:     o.freq,
	}
	if _, tty := terminal(stdio.Err); tty {
		opts.Progress = func(elapsed time.Duration, samples int) {
			fmt.Fprintf(stdio.Err, "\r\033[Kprofiling: %.0fs of %v, %d samples (Ctrl-C to stop early)", elapsed.Seconds(), time.Duration(o.duration), samples)
		}
		defer fmt.Fprint(stdio.Err, "\r\033[K")
	}
	res, err := mprofile.Run(ctx, opts)
	if err != nil {
		if errors.Is(err, mprofile.ErrInvalid) {
			return nil, usageError{err}
		}
		return nil, err
	}
	if res.Exited {
		res.Warnings = append(res.Warnings, fmt.Sprintf("every process profiled exited after %.1fs; the profile covers that time", float64(res.Profile.DurationNanos)/1e9))
	}
	if res.Samples == 0 {
		res.Warnings = append(res.Warnings, "no sample of the target: it used no CPU while profiled")
	}
	return res, nil
}

// fetchProfile gets a Go program's CPU profile over HTTP, waiting as long
// as the profile lasts (its seconds parameter, 30 s by default).
func fetchProfile(ctx context.Context, raw string) (*mprofile.Result, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Errorf("--url %q: want http(s)://HOST:PORT/debug/pprof/profile?seconds=N", raw)}
	}
	wait := 30 * time.Second
	if s := u.Query().Get("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, usageError{fmt.Errorf("--url %q: seconds=%q: want a positive number", raw, s)}
		}
		wait = time.Duration(n) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("fetching the profile: %s: %s", resp.Status, body)
	}
	p, err := profile.Parse(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s did not answer with a pprof profile: %w", u.Redacted(), err)
	}
	r := &mprofile.Result{Profile: p}
	for _, s := range p.Sample {
		if len(s.Value) > 0 {
			r.Samples += int(s.Value[0])
		}
	}
	r.Seen = r.Samples
	return r, nil
}

func writeProfileFiles(p *profile.Profile, o *profileOptions) error {
	if o.output != "" {
		if err := writeFileAtomic(o.output, p.Write); err != nil {
			return fmt.Errorf("writing the profile: %w", err)
		}
	}
	if o.svg != "" {
		title := fmt.Sprintf("mihari profile of %s, %.1fs", profileTarget(o), float64(p.DurationNanos)/1e9)
		if err := writeFileAtomic(o.svg, func(w io.Writer) error { return mprofile.WriteFlameGraph(w, p, title) }); err != nil {
			return fmt.Errorf("writing the flame graph: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary one beside it, so that
// a crash never leaves half a profile under the name.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(dirOf(name), ".mihari-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

func dirOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			if i == 0 {
				return "/"
			}
			return name[:i]
		}
	}
	return "."
}

func writeProfileText(w io.Writer, res *mprofile.Result, o *profileOptions) error {
	p := res.Profile
	sum := mprofile.Summarize(p)
	d := time.Duration(p.DurationNanos)
	if o.url != "" {
		fmt.Fprintf(w, "profile of %s: %.1fs, %d samples\n", o.url, d.Seconds(), sum.Samples)
	} else {
		fmt.Fprintf(w, "profiled %s for %.1fs at %d Hz: %d samples kept of %d, %d lost\n",
			profileTarget(o), d.Seconds(), o.freq, res.Samples, res.Seen, res.Lost)
	}
	switch {
	case o.url != "":
		fmt.Fprintln(w, "(a Go program's own profile does not see into the kernel: mihari profile -p PID shows the kernel's share)")
	case sum.Samples > 0:
		fmt.Fprintf(w, "CPU: %.0f%% in the kernel, %.0f%% in user space\n", 100*sum.Kernel, 100*sum.User)
		for _, c := range sum.KernelCallers {
			fmt.Fprintf(w, "  %4.1f%% in the kernel under %s\n", 100*c.Fraction, c.Name)
		}
	}
	if o.output != "" {
		fmt.Fprintf(w, "profile: %s (go tool pprof -http=: %s)\n", o.output, o.output)
	}
	if o.svg != "" {
		fmt.Fprintf(w, "flame graph: %s\n", o.svg)
	}
	if o.top > 0 && sum.Samples > 0 {
		fmt.Fprintln(w)
		return mprofile.WriteTop(w, p, o.top)
	}
	return nil
}

func profileTarget(o *profileOptions) string {
	switch {
	case o.url != "":
		return o.url
	case len(o.pids) == 1:
		return "process " + strconv.Itoa(o.pids[0])
	case len(o.pids) > 1:
		return strconv.Itoa(len(o.pids)) + " processes"
	case o.name != "":
		return "processes named *" + o.name + "*"
	case o.cgroup != "":
		return "cgroup " + o.cgroup
	}
	return "the host"
}

func writeProfileJSON(w io.Writer, res *mprofile.Result, o *profileOptions) error {
	type fn struct {
		Name   string  `json:"name"`
		Kernel bool    `json:"kernel"`
		Flat   float64 `json:"flat_seconds"`
		Cum    float64 `json:"cum_seconds"`
	}
	type caller struct {
		Name     string  `json:"name"`
		Fraction float64 `json:"fraction"`
	}
	p := res.Profile
	sum := mprofile.Summarize(p)
	out := struct {
		Output   string   `json:"output"`
		Duration float64  `json:"duration_seconds"`
		Freq     int      `json:"frequency"`
		Samples  int      `json:"samples"`
		Seen     int      `json:"seen"`
		Lost     uint64   `json:"lost"`
		Kernel   float64  `json:"kernel_fraction"`
		User     float64  `json:"user_fraction"`
		Top      []fn     `json:"top"`
		Callers  []caller `json:"kernel_callers"`
		Warnings []string `json:"warnings"`
	}{Output: o.output, Duration: float64(p.DurationNanos) / 1e9, Freq: o.freq, Samples: res.Samples, Seen: res.Seen,
		Lost: res.Lost, Kernel: sum.Kernel, User: sum.User, Top: []fn{}, Callers: []caller{}, Warnings: res.Warnings}
	if o.url != "" {
		out.Freq = 0
		if p.Period > 0 {
			out.Freq = int(time.Second / time.Duration(p.Period))
		}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	// Seconds when the value is CPU time in nanoseconds, as in every
	// profile mihari writes and every Go CPU profile.
	scale := 1e-9
	for i, f := range mprofile.TopFunctions(p) {
		if o.top > 0 && i == o.top {
			break
		}
		out.Top = append(out.Top, fn{Name: f.Name, Kernel: f.Kernel, Flat: float64(f.Flat) * scale, Cum: float64(f.Cum) * scale})
	}
	for _, c := range sum.KernelCallers {
		out.Callers = append(out.Callers, caller{Name: c.Name, Fraction: c.Fraction})
	}
	return json.NewEncoder(w).Encode(out)
}
