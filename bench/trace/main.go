// Command trace measures what tracing opens costs: a tight loop of
// openat(O_RDONLY) and close on one thread, untraced, under mihari trace
// open and under bpftrace running the equivalent of its opensnoop, both
// filtering on the loop's pid in the kernel. In the same run:
//
//   - unpaced, as fast as the loop goes: the opens per second under each,
//     the overhead per traced open (1e9/traced rate - 1e9/untraced rate, in
//     ns, from the same round) and each tracer's own CPU per event;
//   - paced at -rates opens per second: the opens made, the events each
//     tracer printed, the events it reported lost, and what is left
//     (unaccounted: lost without a word).
//
// Setups run in turn, -runs rounds interleaved (none, mihari, mihari
// --json, bpftrace, none, ...); the table gives medians.
//
// The loop is this program again (-loop), started first: it opens a
// sentinel file every millisecond until the tracer has printed that open,
// and only then loops, so every open of the loop is made while the tracer
// traces. A tracer's stdout is therefore a pipe, not /dev/null: this
// program reads it every 5 ms in large reads, outside Go's netpoller (what
// that costs it is the table's drain CPU), and counts the lines of the
// loop's opens and bpftrace's "Lost N events". CPU is user+sys: the
// loop's thread's own, and the tracer's from the moment it was seen
// tracing to its exit (its rusage), printing what it had left included.
//
//	go run ./bench/trace -duration 5s -runs 3 -rates 100000,200000,300000,400000
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/bench/internal/peer"
)

func main() {
	// The workload is this binary again, behind a flag -h does not list.
	if len(os.Args) > 1 && os.Args[1] == "-loop" {
		if err := loop(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench loop:", err)
			os.Exit(1)
		}
		return
	}
	duration := flag.Duration("duration", 5*time.Second, "how long each loop runs")
	runs := flag.Int("runs", 3, "rounds of the unpaced setups, interleaved; the table gives medians")
	rates := flag.String("rates", "100000,200000,300000,400000", "comma-separated paced rates, opens per second")
	pacedRuns := flag.Int("paced-runs", 1, "rounds of the paced setups")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	bpftrace := flag.String("bpftrace", "/usr/bin/bpftrace", "bpftrace binary")
	btPages := flag.Int("bpftrace-pages", 0, "bpftrace's perf buffer, pages per CPU (BPFTRACE_PERF_RB_PAGES; 0: its default, 64)")
	noJSON := flag.Bool("no-mihari-json", false, "leave out the mihari --json setup")
	asJSON := flag.Bool("json", false, "print the result as JSON instead of a table")
	flag.Parse()
	var paced []int
	for s := range strings.SplitSeq(*rates, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		r, err := strconv.Atoi(s)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "bench: -rates %q: want positive integers\n", s)
			os.Exit(2)
		}
		paced = append(paced, r)
	}
	if *runs < 1 || *pacedRuns < 0 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1, -paced-runs at least 0, -duration positive")
		os.Exit(2)
	}
	if *btPages > 0 {
		os.Setenv("BPFTRACE_PERF_RB_PAGES", strconv.Itoa(*btPages))
	}
	b := &bench{duration: *duration, bpftrace: *bpftrace}
	if err := b.run(*runs, *pacedRuns, paced, *mihari, !*noJSON, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// The workload: -loop -file F [-sentinel S -go G] [-rate R] -duration D.
//
// Until G exists it opens S (an open the tracers can be seen to print)
// every millisecond; then, on one locked thread, openat(F, O_RDONLY) and
// close for D, as fast as it can or at R opens per second, checking the
// clock every 64 opens. It prints "opens N seconds S cpu C": the loop's
// opens, its wall time and its thread's CPU time (user+sys, seconds).
func loop(args []string) error {
	fs := flag.NewFlagSet("loop", flag.ContinueOnError)
	file := fs.String("file", "", "")
	sentinel := fs.String("sentinel", "", "")
	goFile := fs.String("go", "", "")
	rate := fs.Float64("rate", 0, "")
	d := fs.Duration("duration", 5*time.Second, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	runtime.LockOSThread()
	if *sentinel != "" {
		ms := unix.NsecToTimespec(int64(time.Millisecond))
		for unix.Access(*goFile, unix.F_OK) != nil { // access(2) is not an open
			if fd, err := unix.Openat(unix.AT_FDCWD, *sentinel, unix.O_RDONLY, 0); err == nil {
				unix.Close(fd)
			}
			unix.Nanosleep(&ms, nil)
		}
	}
	path, err := unix.BytePtrFromString(*file)
	if err != nil {
		return err
	}
	const batch = 64
	cwd := unix.AT_FDCWD
	var n int64
	cpu0 := threadCPU()
	start := time.Now()
	end := start.Add(*d)
	for {
		for range batch {
			fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(path)), unix.O_RDONLY, 0, 0, 0)
			if errno != 0 {
				return fmt.Errorf("openat %s: %w", *file, errno)
			}
			unix.Close(int(fd))
		}
		n += batch
		now := time.Now()
		if !now.Before(end) {
			break
		}
		if *rate > 0 {
			due := start.Add(time.Duration(float64(n) / *rate * 1e9))
			if ahead := due.Sub(now); ahead > 0 {
				ts := unix.NsecToTimespec(int64(min(ahead, end.Sub(now))))
				unix.Nanosleep(&ts, nil)
			}
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("opens %d seconds %.9f cpu %.9f\n", n, elapsed.Seconds(), threadCPU()-cpu0)
	return nil
}

func threadCPU() float64 {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func selfCPU() float64 {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// setup is a way of running the loop: untraced or under a tracer.
type setup struct {
	name string
	// args returns the tracer's command line for the workload's pid; nil
	// for no tracer.
	args func(pid int) []string
	// lineEnd ends each line the tracer prints for an open of path.
	lineEnd func(path string) string
}

// Run is one loop under one setup.
type Run struct {
	Opens   int64   `json:"opens"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"opens_per_second"`
	// CPU of the loop's thread, user+sys: the kernel runs the tracers'
	// BPF programs on it.
	LoopCPU float64 `json:"loop_cpu_seconds"`
	// The tracer's CPU, user+sys, from the moment it was seen tracing to
	// its exit (after it printed what it had).
	TracerCPU float64 `json:"tracer_cpu_seconds"`
	// This program's CPU over the same window: reading the tracer's
	// output from a pipe and counting its lines.
	DrainCPU    float64 `json:"drain_cpu_seconds"`
	Seen        int64   `json:"seen"`
	Lost        int64   `json:"lost"`
	Unaccounted int64   `json:"unaccounted"`
}

// Unpaced is a setup's runs as fast as the loop goes.
type Unpaced struct {
	Setup string `json:"setup"`
	Runs  []Run  `json:"runs"`
	// Medians over the runs; the overhead is computed per round against
	// that round's untraced loop.
	Rate                float64 `json:"opens_per_second"`
	OverheadNs          float64 `json:"overhead_ns_per_open"`
	LoopCPUPerOpenNs    float64 `json:"loop_cpu_ns_per_open"`
	TracerCPUPerEventNs float64 `json:"tracer_cpu_ns_per_event"`
	overheads           []float64
}

// Paced is a tracer's runs at one target rate.
type Paced struct {
	Target int    `json:"target_opens_per_second"`
	Setup  string `json:"setup"`
	Runs   []Run  `json:"runs"`
	// The median achieved rate and tracer CPU; the counts are sums.
	Rate                float64 `json:"opens_per_second"`
	TracerCPUPerEventNs float64 `json:"tracer_cpu_ns_per_event"`
	Opens               int64   `json:"opens"`
	Seen                int64   `json:"seen"`
	Lost                int64   `json:"lost"`
	Unaccounted         int64   `json:"unaccounted"`
}

// Result is what -json prints.
type Result struct {
	CPUs            int       `json:"cpus"`
	Kernel          string    `json:"kernel"`
	Bpftrace        string    `json:"bpftrace"`
	BpftracePages   int       `json:"bpftrace_perf_rb_pages"`
	DurationSeconds float64   `json:"duration_seconds"`
	Unpaced         []Unpaced `json:"unpaced"`
	Paced           []Paced   `json:"paced"`
}

type bench struct {
	duration time.Duration
	bpftrace string
	dir      string
	file     string // the loop opens it
	sentinel string // the workload opens it until the tracer is seen tracing
	self     string // this binary, for the workload
}

func (b *bench) run(runs, pacedRuns int, rates []int, mihari string, withJSON, asJSON bool) error {
	mihari, cleanup, err := peer.Mihari(mihari)
	if err != nil {
		return err
	}
	defer cleanup()
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if b.dir, err = os.MkdirTemp("", "mihari-bench-trace-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.dir)
	b.file, b.sentinel = filepath.Join(b.dir, "loop"), filepath.Join(b.dir, "sentinel")
	// bpftrace's str() keeps 63 bytes by default: the paths must fit.
	if len(b.sentinel) > 63 {
		return fmt.Errorf("temporary directory %s too long for bpftrace's str(): set TMPDIR", b.dir)
	}
	for _, f := range []string{b.file, b.sentinel} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			return err
		}
	}
	script := filepath.Join(b.dir, "opensnoop.bt")
	textEnd := func(path string) string { return " " + path + "\n" }
	none := setup{name: "none"}
	mi := setup{name: "mihari", lineEnd: textEnd, args: func(pid int) []string {
		return []string{mihari, "trace", "open", "-p", strconv.Itoa(pid)}
	}}
	miJSON := setup{name: "mihari --json", args: func(pid int) []string {
		return []string{mihari, "trace", "open", "--json", "-p", strconv.Itoa(pid)}
	}, lineEnd: func(path string) string { return `"path":"` + path + `"}` + "\n" }}
	bt := setup{name: "bpftrace", lineEnd: textEnd, args: func(pid int) []string {
		if err := os.WriteFile(script, []byte(opensnoop(pid)), 0o644); err != nil {
			panic(err)
		}
		return []string{b.bpftrace, script}
	}}
	unpacedSetups := []setup{none, mi}
	if withJSON {
		unpacedSetups = append(unpacedSetups, miJSON)
	}
	unpacedSetups = append(unpacedSetups, bt)

	res := Result{CPUs: runtime.NumCPU(), Kernel: kernel(), Bpftrace: btVersion(b.bpftrace), BpftracePages: 64, DurationSeconds: b.duration.Seconds()}
	if n, err := strconv.Atoi(os.Getenv("BPFTRACE_PERF_RB_PAGES")); err == nil && n > 0 {
		res.BpftracePages = n
	}
	fmt.Fprintf(os.Stderr, "bench: %d unpaced rounds of %d setups, then %d paced rounds of %d rates x 3 tracers, %s each\n",
		runs, len(unpacedSetups), pacedRuns, len(rates), b.duration)
	un := make([]Unpaced, len(unpacedSetups))
	for i, s := range unpacedSetups {
		un[i].Setup = s.name
	}
	for r := range runs {
		var base float64
		for i, s := range unpacedSetups {
			run, err := b.once(s, 0)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", s.name, r+1, err)
			}
			fmt.Fprintf(os.Stderr, "bench: round %d %-14s %s\n", r+1, s.name, run)
			un[i].Runs = append(un[i].Runs, run)
			if i == 0 {
				base = run.Rate
			}
			un[i].overheads = append(un[i].overheads, 1e9/run.Rate-1e9/base)
		}
	}
	for i := range un {
		u := &un[i]
		u.Rate = peer.MedianOf(u.Runs, func(r Run) float64 { return r.Rate })
		u.OverheadNs = peer.Median(u.overheads)
		u.LoopCPUPerOpenNs = peer.MedianOf(u.Runs, func(r Run) float64 { return r.LoopCPU / float64(r.Opens) * 1e9 })
		u.TracerCPUPerEventNs = peer.MedianOf(u.Runs, perEvent)
	}
	res.Unpaced = un

	// mihari with a ring buffer of one page, which must lose events at
	// these rates: the losses must be counted to the event.
	miSmall := setup{name: "mihari, 4 KiB buffer", lineEnd: textEnd, args: func(pid int) []string {
		return []string{mihari, "trace", "open", "--buffer-size", "4KiB", "-p", strconv.Itoa(pid)}
	}}
	pacedSetups := []setup{mi, miSmall, bt}
	if pacedRuns > 0 {
		for _, rate := range rates {
			for _, s := range pacedSetups {
				res.Paced = append(res.Paced, Paced{Target: rate, Setup: s.name})
			}
		}
	}
	for r := range pacedRuns {
		for i := range res.Paced {
			p := &res.Paced[i]
			var s setup
			for _, s = range pacedSetups {
				if s.name == p.Setup {
					break
				}
			}
			run, err := b.once(s, p.Target)
			if err != nil {
				return fmt.Errorf("%s at %d/s, round %d: %w", s.name, p.Target, r+1, err)
			}
			fmt.Fprintf(os.Stderr, "bench: paced %d/s round %d %-9s %s\n", p.Target, r+1, s.name, run)
			p.Runs = append(p.Runs, run)
			p.Opens += run.Opens
			p.Seen += run.Seen
			p.Lost += run.Lost
			p.Unaccounted += run.Unaccounted
		}
	}
	for i := range res.Paced {
		p := &res.Paced[i]
		p.Rate = peer.MedianOf(p.Runs, func(r Run) float64 { return r.Rate })
		p.TracerCPUPerEventNs = peer.MedianOf(p.Runs, perEvent)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printTable(res, runs, pacedRuns)
	return nil
}

func perEvent(r Run) float64 {
	if r.Seen == 0 {
		return 0
	}
	return r.TracerCPU / float64(r.Seen) * 1e9
}

func printTable(res Result, runs, pacedRuns int) {
	fmt.Printf("host: %d CPUs, kernel %s; mihari with its default 16 MiB ring buffer, bpftrace %s with a perf buffer of %d pages per CPU; loop of openat(O_RDONLY)+close on one thread, %s a run\n\n",
		res.CPUs, res.Kernel, res.Bpftrace, res.BpftracePages, time.Duration(res.DurationSeconds*1e9))
	fmt.Printf("unpaced, %d rounds interleaved, medians (seen, lost, unaccounted: sums)\n\n", runs)
	fmt.Println("| setup | opens/s | overhead per traced open | loop CPU per open | tracer CPU per event | drain CPU per event | opens | seen | lost | unaccounted |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for i, u := range res.Unpaced {
		var opens, seen, lost, unacc int64
		var drain, events float64
		for _, r := range u.Runs {
			opens, seen, lost, unacc = opens+r.Opens, seen+r.Seen, lost+r.Lost, unacc+r.Unaccounted
			drain += r.DrainCPU
			events += float64(r.Seen)
		}
		if i == 0 {
			fmt.Printf("| %s | %.0f | - | %.0f ns | - | - | %d | - | - | - |\n", u.Setup, u.Rate, u.LoopCPUPerOpenNs, opens)
			continue
		}
		fmt.Printf("| %s | %.0f | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %d | %d | %d | %d |\n", u.Setup, u.Rate, u.OverheadNs,
			u.LoopCPUPerOpenNs, u.TracerCPUPerEventNs, drain/max(events, 1)*1e9, opens, seen, lost, unacc)
	}
	var mi, bt *Unpaced
	for i := range res.Unpaced {
		switch res.Unpaced[i].Setup {
		case "mihari":
			mi = &res.Unpaced[i]
		case "bpftrace":
			bt = &res.Unpaced[i]
		}
	}
	if mi != nil && bt != nil {
		fmt.Printf("\nmihari / bpftrace: overhead per traced open %.2f, tracer CPU per event %.2f, opens/s %.2f\n",
			mi.OverheadNs/bt.OverheadNs, mi.TracerCPUPerEventNs/bt.TracerCPUPerEventNs, mi.Rate/bt.Rate)
	}
	if len(res.Paced) == 0 {
		return
	}
	fmt.Printf("\npaced, %d round(s) (rate, CPU: medians; counts: sums)\n\n", pacedRuns)
	fmt.Println("| target opens/s | tracer | achieved opens/s | opens | seen | lost | unaccounted | tracer CPU per event |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, p := range res.Paced {
		fmt.Printf("| %d | %s | %.0f | %d | %d | %d | %d | %.0f ns |\n", p.Target, p.Setup, p.Rate, p.Opens, p.Seen, p.Lost, p.Unaccounted, p.TracerCPUPerEventNs)
	}
}

func (r Run) String() string {
	return fmt.Sprintf("%.0f opens/s (%d in %.2fs), loop CPU %.2fs, tracer CPU %.2fs, drain CPU %.2fs, seen %d, lost %d, unaccounted %d",
		r.Rate, r.Opens, r.Seconds, r.LoopCPU, r.TracerCPU, r.DrainCPU, r.Seen, r.Lost, r.Unaccounted)
}

// once runs the loop once under s, at rate opens per second (0: as fast
// as it goes).
func (b *bench) once(s setup, rate int) (Run, error) {
	goFile := filepath.Join(b.dir, "go")
	os.Remove(goFile)
	args := []string{"-loop", "-file", b.file, "-duration", b.duration.String(), "-rate", strconv.Itoa(rate)}
	if s.args != nil {
		args = append(args, "-sentinel", b.sentinel, "-go", goFile)
	}
	wl := exec.Command(b.self, args...)
	var wlOut bytes.Buffer
	wl.Stdout, wl.Stderr = &wlOut, os.Stderr
	if err := wl.Start(); err != nil {
		return Run{}, err
	}
	defer func() {
		if wl.ProcessState == nil {
			wl.Process.Kill()
			wl.Wait()
		}
	}()
	wait := func() (Run, error) {
		if err := wl.Wait(); err != nil {
			return Run{}, fmt.Errorf("the loop: %w", err)
		}
		var r Run
		if _, err := fmt.Sscanf(wlOut.String(), "opens %d seconds %g cpu %g", &r.Opens, &r.Seconds, &r.LoopCPU); err != nil {
			return Run{}, fmt.Errorf("the loop printed %q: %w", wlOut.String(), err)
		}
		r.Rate = float64(r.Opens) / r.Seconds
		return r, nil
	}
	if s.args == nil {
		return wait()
	}

	t, err := startTracer(s.args(wl.Process.Pid), s.lineEnd(b.sentinel), s.lineEnd(b.file))
	if err != nil {
		return Run{}, err
	}
	defer t.kill()
	select {
	case <-t.ready:
	case <-t.exited:
		return Run{}, fmt.Errorf("%s exited before tracing: %s", s.name, t.stderr())
	case <-time.After(time.Minute):
		return Run{}, fmt.Errorf("%s did not print the loop's sentinel open within a minute: %s", s.name, t.stderr())
	}
	cpu0, self0 := peer.ProcessCPU(t.cmd.Process.Pid).Total(), selfCPU()
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		return Run{}, err
	}
	r, err := wait()
	if err != nil {
		return Run{}, err
	}
	// Let the tracer catch up: until it has printed or reported every
	// open, or has printed nothing new for half a second.
	last, quiet := int64(-1), time.Now()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n := t.seen.Load() + t.lost.Load()
		if n >= r.Opens {
			break
		}
		if n != last {
			last, quiet = n, time.Now()
		} else if time.Since(quiet) > 500*time.Millisecond {
			break
		}
	}
	if err := t.stop(); err != nil {
		return Run{}, fmt.Errorf("%s: %w: %s", s.name, err, t.stderr())
	}
	ps := t.cmd.ProcessState
	r.TracerCPU = (ps.UserTime() + ps.SystemTime()).Seconds() - cpu0
	r.DrainCPU = selfCPU() - self0
	r.Seen = t.seen.Load()
	r.Lost = t.lost.Load()
	errText := t.stderr()
	for _, m := range lostRE.FindAllStringSubmatch(errText, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.Lost += n
	}
	if strings.HasPrefix(s.name, "mihari") {
		m := summaryRE.FindStringSubmatch(errText)
		if m == nil {
			return Run{}, fmt.Errorf("%s printed no summary: %s", s.name, errText)
		}
		r.Lost, _ = strconv.ParseInt(m[3], 10, 64)
	}
	r.Unaccounted = r.Opens - r.Seen - r.Lost
	return r, nil
}

var (
	summaryRE = regexp.MustCompile(`(?m)^(\d+) events seen in ([0-9.]+)s, (\d+) lost`)
	lostRE    = regexp.MustCompile(`(?m)^Lost (\d+) events`)
)

// opensnoop is bpftrace's tools/opensnoop.bt with a pid filter, on every
// open syscall mihari trace open traces that this kernel has.
func opensnoop(pid int) string {
	var enter, exit []string
	for _, sc := range []string{"open", "openat", "openat2", "creat"} {
		if _, err := os.Stat("/sys/kernel/tracing/events/syscalls/sys_enter_" + sc); err != nil {
			if _, err := os.Stat("/sys/kernel/debug/tracing/events/syscalls/sys_enter_" + sc); err != nil {
				continue
			}
		}
		arg := "filename"
		if sc == "creat" {
			arg = "pathname"
		}
		enter = append(enter, fmt.Sprintf("tracepoint:syscalls:sys_enter_%s /pid == %d/ { @filename[tid] = args->%s; }", sc, pid, arg))
		exit = append(exit, "tracepoint:syscalls:sys_exit_"+sc)
	}
	return strings.Join(enter, "\n") + `
` + strings.Join(exit, ",\n") + `
/@filename[tid]/
{
	$ret = args->ret;
	$fd = $ret >= 0 ? $ret : -1;
	$errno = $ret >= 0 ? 0 : - $ret;
	printf("%-6d %-16s %4d %3d %s\n", pid, comm, $fd, $errno, str(@filename[tid]));
	delete(@filename[tid]);
}
END { clear(@filename); }
`
}

// tracer is a running tracer whose output is drained from a pipe and
// counted as it comes.
type tracer struct {
	cmd    *exec.Cmd
	errBuf bytes.Buffer
	ready  chan struct{} // closed when it has printed the sentinel open
	exited chan struct{} // closed when its output has ended and it has exited
	seen   atomic.Int64  // lines of the loop's opens
	lost   atomic.Int64  // events it reported lost on stdout (bpftrace)
	err    error
}

func startTracer(args []string, sentinelEnd, loopEnd string) (*tracer, error) {
	t := &tracer{ready: make(chan struct{}), exited: make(chan struct{})}
	t.cmd = exec.Command(args[0], args[1:]...)
	// A blocking pipe, read by plain read(2) outside Go's netpoller: a
	// pipe in the netpoller wakes this program at every write of the
	// tracer, whether or not anything waits to read.
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	r, w := os.NewFile(uintptr(fds[0]), "tracer stdout"), os.NewFile(uintptr(fds[1]), "tracer stdout")
	// A roomy pipe, so that a tracer seldom waits for this program to
	// read (the largest an unprivileged pipe may be, usually 1 MiB).
	if max, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(max))); err == nil {
			unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, n)
		}
	}
	t.cmd.Stdout, t.cmd.Stderr = w, &t.errBuf
	err := t.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	go func() {
		t.drain(r, []byte(sentinelEnd), []byte(loopEnd))
		r.Close()
		t.err = t.cmd.Wait()
		close(t.exited)
	}()
	return t, nil
}

// drain reads the tracer's output to its end, counting the lines that end
// with loopEnd and adding up "Lost N events" lines.
func (t *tracer) drain(r io.Reader, sentinelEnd, loopEnd []byte) {
	buf := make([]byte, 1<<20)
	n, ready := 0, false
	for {
		m, err := r.Read(buf[n:])
		n += m
		end := bytes.LastIndexByte(buf[:n], '\n') + 1
		chunk := buf[:end]
		if !ready && bytes.Contains(chunk, sentinelEnd) {
			ready = true
			close(t.ready)
		}
		t.seen.Add(int64(bytes.Count(chunk, loopEnd)))
		if bytes.Contains(chunk, []byte("Lost ")) {
			sc := bufio.NewScanner(bytes.NewReader(chunk))
			for sc.Scan() {
				if m := lostRE.FindSubmatch(sc.Bytes()); m != nil {
					l, _ := strconv.ParseInt(string(m[1]), 10, 64)
					t.lost.Add(l)
				}
			}
		}
		n = copy(buf, buf[end:n])
		if n == len(buf) { // a line longer than the buffer: not one of ours
			n = 0
		}
		if err != nil {
			return
		}
		// Read in large pieces, not a read(2) and a wakeup for every few
		// lines: the tracer writes into the pipe meanwhile, unhindered
		// unless it fills it (1 MiB: tens of milliseconds of output).
		if m < 256<<10 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// stop interrupts the tracer, as Ctrl-C would, and waits for it to exit.
func (t *tracer) stop() error {
	t.cmd.Process.Signal(os.Interrupt)
	select {
	case <-t.exited:
	case <-time.After(time.Minute):
		t.kill()
		return errors.New("did not exit within a minute of SIGINT")
	}
	return t.err
}

func (t *tracer) kill() {
	select {
	case <-t.exited:
	default:
		t.cmd.Process.Kill()
		<-t.exited
	}
}

func (t *tracer) stderr() string {
	select {
	case <-t.exited:
		return strings.TrimSpace(t.errBuf.String())
	default:
		return "(still running)"
	}
}

func kernel() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}

func btVersion(bin string) string {
	out, _ := exec.Command(bin, "--version").Output()
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "bpftrace ")
}
