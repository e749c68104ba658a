// Command profile measures what profiling costs: a CPU-bound workload (one
// thread spinning in a function, counting its iterations) is run alone,
// under mihari profile -p PID and under perf record -F 99 -g -p PID, in
// turn, -runs rounds interleaved. For each setup: the work done per second
// in the same window of each run (the profiler started a second before,
// so that its start-up is not counted), the overhead against the
// unprofiled runs of the same round, and the profiler's own CPU: in the
// window, as a fraction of one core, and in all (start-up and writing the
// profile included).
//
//	go run ./bench/profile -duration 10s -runs 5
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mihari-dev/mihari/bench/internal/peer"
)

func main() {
	// The workload is this binary again, behind a flag -h does not list.
	if len(os.Args) > 1 && os.Args[1] == "-work" {
		work()
		return
	}
	duration := flag.Duration("duration", 10*time.Second, "the measured window of each run")
	runs := flag.Int("runs", 5, "rounds, interleaved; the table gives medians")
	freq := flag.Int("F", 99, "sampling frequency of both profilers")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	perf := flag.String("perf", "/usr/bin/perf", "perf binary (Debian's linux-perf)")
	asJSON := flag.Bool("json", false, "print the result as JSON instead of a table")
	flag.Parse()
	if err := run(*duration, *runs, *freq, *mihari, *perf, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// work spins on one thread and answers each line on stdin with the
// iterations done so far.
func work() {
	var n atomic.Uint64
	go func() {
		runtime.LockOSThread()
		for {
			spin(&n)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Println(n.Load())
	}
}

var sink uint64

//go:noinline
func spin(n *atomic.Uint64) {
	x := sink
	for i := range uint64(1 << 16) {
		x += i * i
	}
	sink = x
	n.Add(1)
}

// workload is a running -work.
type workload struct {
	cmd *exec.Cmd
	in  io.Writer
	out *bufio.Scanner
}

func startWorkload() (*workload, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-work")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &workload{cmd: cmd, in: in, out: bufio.NewScanner(out)}, nil
}

func (w *workload) count() (uint64, error) {
	if _, err := io.WriteString(w.in, "\n"); err != nil {
		return 0, err
	}
	if !w.out.Scan() {
		return 0, errors.New("the workload stopped answering")
	}
	return strconv.ParseUint(w.out.Text(), 10, 64)
}

func (w *workload) stop() { w.cmd.Process.Kill(); w.cmd.Wait() }

// Run is one setup's run.
type Run struct {
	Rate float64 // iterations a second in the window
	// ProfilerWindow is the profiler's CPU in the window, in cores;
	// ProfilerTotal its CPU from start to exit, in seconds.
	ProfilerWindow, ProfilerTotal float64
}

// Setup is a way to run the workload, with its runs and medians.
type Setup struct {
	Name          string  `json:"setup"`
	Rate          float64 `json:"iterations_per_second"`
	OverheadPct   float64 `json:"overhead_percent"`
	ProfilerCores float64 `json:"profiler_cores_in_window"`
	ProfilerTotal float64 `json:"profiler_cpu_seconds_total"`
	Runs          []Run   `json:"runs"`
	args          func(pid int, out string) []string
	overheads     []float64
}

func run(d time.Duration, runs, freq int, mihari, perf string, asJSON bool) error {
	if mihari == "" {
		bin, cleanup, err := peer.Mihari("")
		if err != nil {
			return err
		}
		defer cleanup()
		mihari = bin
	}
	if _, err := os.Stat(perf); err != nil {
		return fmt.Errorf("%s: %w (install Debian's linux-perf)", perf, err)
	}
	dir, err := os.MkdirTemp("", "mihari-bench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secs := strconv.Itoa(int((d + 3*time.Second).Seconds()))
	f := strconv.Itoa(freq)
	setups := []*Setup{
		{Name: "none"},
		{Name: "mihari profile", args: func(pid int, out string) []string {
			return []string{mihari, "profile", "-p", strconv.Itoa(pid), "-F", f, "-d", secs, "-o", out, "--top", "0"}
		}},
		{Name: "perf record -g", args: func(pid int, out string) []string {
			return []string{perf, "record", "-q", "-F", f, "-g", "-p", strconv.Itoa(pid), "-o", out, "--", "sleep", secs}
		}},
	}
	for r := range runs {
		var base float64
		for i, s := range setups {
			run, err := once(s, d, filepath.Join(dir, fmt.Sprintf("%d-%d", r, i)))
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", s.Name, r+1, err)
			}
			if i == 0 {
				base = run.Rate
			}
			s.Runs = append(s.Runs, run)
			s.overheads = append(s.overheads, 100*(base-run.Rate)/base)
			fmt.Fprintf(os.Stderr, "bench: round %d %-15s %.0f iterations/s, profiler %.4f cores in the window, %.3fs CPU in all\n",
				r+1, s.Name, run.Rate, run.ProfilerWindow, run.ProfilerTotal)
		}
	}
	for _, s := range setups {
		s.Rate = peer.MedianOf(s.Runs, func(r Run) float64 { return r.Rate })
		s.OverheadPct = peer.Median(s.overheads)
		s.ProfilerCores = peer.MedianOf(s.Runs, func(r Run) float64 { return r.ProfilerWindow })
		s.ProfilerTotal = peer.MedianOf(s.Runs, func(r Run) float64 { return r.ProfilerTotal })
	}
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(setups)
	}
	fmt.Printf("host: %d CPUs; workload: one thread spinning; %d Hz; %v window a run, %d rounds interleaved, medians\n\n", runtime.NumCPU(), freq, d, runs)
	fmt.Println("| setup | iterations/s | overhead | profiler CPU in the window | profiler CPU in all |")
	// In the window, ms of CPU a second: 10 ms/s is 1% of a core.
	fmt.Println("|---|---|---|---|---|")
	for _, s := range setups {
		if s.args == nil {
			fmt.Printf("| %s | %.0f | - | - | - |\n", s.Name, s.Rate)
			continue
		}
		fmt.Printf("| %s | %.0f | %.2f%% | %.3f ms/s (%.3f%% of a core) | %.3f s |\n", s.Name, s.Rate, s.OverheadPct, 1000*s.ProfilerCores, 100*s.ProfilerCores, s.ProfilerTotal)
	}
	m, p := setups[1], setups[2]
	fmt.Printf("\nmihari / perf: profiler CPU in the window %.2f, in all %.2f\n", m.ProfilerCores/p.ProfilerCores, m.ProfilerTotal/p.ProfilerTotal)
	return nil
}

// once runs the workload under s: the profiler starts, a second later the
// window opens, and the profiler runs on past the window's end.
func once(s *Setup, d time.Duration, out string) (Run, error) {
	w, err := startWorkload()
	if err != nil {
		return Run{}, err
	}
	defer w.stop()
	var prof *exec.Cmd
	if s.args != nil {
		args := s.args(w.cmd.Process.Pid, out)
		prof = exec.Command(args[0], args[1:]...)
		var stderr strings.Builder
		prof.Stderr = &stderr
		if err := prof.Start(); err != nil {
			return Run{}, err
		}
		defer func() {
			prof.Process.Kill()
			prof.Wait()
		}()
	}
	time.Sleep(time.Second)
	var cpu0 float64
	if prof != nil {
		cpu0 = runtimeOf(prof.Process.Pid)
	}
	c0, err := w.count()
	if err != nil {
		return Run{}, err
	}
	t0 := time.Now()
	time.Sleep(d)
	c1, err := w.count()
	if err != nil {
		return Run{}, err
	}
	el := time.Since(t0)
	r := Run{Rate: float64(c1-c0) / el.Seconds()}
	if prof != nil {
		r.ProfilerWindow = (runtimeOf(prof.Process.Pid) - cpu0) / el.Seconds()
		// Let it finish: write its profile, then exit.
		done := make(chan error, 1)
		go func() { done <- prof.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return Run{}, fmt.Errorf("%s: %w", s.Name, err)
			}
		case <-time.After(d + time.Minute):
			return Run{}, fmt.Errorf("%s did not finish", s.Name)
		}
		st := prof.ProcessState
		r.ProfilerTotal = (st.UserTime() + st.SystemTime()).Seconds()
		if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
			return Run{}, fmt.Errorf("%s wrote no profile", s.Name)
		}
	}
	return r, nil
}

// runtimeOf is a process's CPU time so far, in seconds, to the nanosecond:
// the sum of its threads' schedstat (/proc/PID/stat counts in ticks of
// 10 ms, too coarse for a profiler's few milliseconds a second).
func runtimeOf(pid int) float64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var ns uint64
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			n, _ := strconv.ParseUint(f[0], 10, 64)
			ns += n
		}
	}
	return float64(ns) / 1e9
}
