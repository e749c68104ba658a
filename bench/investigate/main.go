// Command investigate measures what one investigation costs: mihari
// investigate --auto with its default duration, -runs times, on a host
// where a process burns system CPU reading a kernel-generated file (the
// incident's shape, so that every step runs: profile, trace, cost). For
// each run: the wall time, mihari's CPU in all (its rusage) and outside
// the profiling and tracing window (from the report), and what it found.
//
//	go run ./bench/investigate -runs 3
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mihari-dev/mihari/bench/internal/peer"
	"github.com/mihari-dev/mihari/internal/investigate"
)

func main() {
	runs := flag.Int("runs", 3, "investigations to run")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	file := flag.String("file", "/proc/kallsyms", "the file the burning process reads in a loop")
	flag.Parse()
	if err := run(*runs, *mihari, *file); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	wall, cpu, outside float64
	cause, confidence  string
}

func run(runs int, mihari, file string) error {
	if mihari == "" {
		bin, cleanup, err := peer.Mihari("")
		if err != nil {
			return err
		}
		defer cleanup()
		mihari = bin
	}
	// The burner: the test workload under a name of its own.
	dir, err := os.MkdirTemp("", "mihari-bench-investigate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	burner := filepath.Join(dir, "busy-reader")
	if out, err := exec.Command("go", "build", "-o", burner, "./test/workload").CombinedOutput(); err != nil {
		return fmt.Errorf("building the workload: %v\n%s", err, out)
	}
	w := exec.Command(burner, "-then", "sysread", "-sysfile", file)
	if err := w.Start(); err != nil {
		return err
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	time.Sleep(time.Second)

	var rs []result
	for i := range runs {
		cmd := exec.Command(mihari, "investigate", "--auto", "--format", "json", "--agent", "")
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("investigate: %v\n%s", err, stderr.String())
		}
		wall := time.Since(t0).Seconds()
		var rep investigate.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			return err
		}
		st := cmd.ProcessState
		r := result{wall: wall, cpu: (st.UserTime() + st.SystemTime()).Seconds(), outside: rep.Self.CPUSecondsOutsideWindow,
			cause: rep.Conclusion.Cause.Kind + " " + rep.Conclusion.Cause.Name, confidence: rep.Conclusion.Confidence}
		fmt.Fprintf(os.Stderr, "bench: run %d: %.1f s wall, %.2f s CPU, %.2f s outside the window; cause %s (%s)\n", i+1, r.wall, r.cpu, r.outside, r.cause, r.confidence)
		rs = append(rs, r)
	}
	med := func(f func(result) float64) float64 { return peer.MedianOf(rs, f) }
	fmt.Printf("one `mihari investigate --auto` (window %v), a process reading %s in a loop; %d runs, medians\n\n", investigate.DefaultWindow, file, runs)
	fmt.Println("| wall | mihari CPU in all | mihari CPU outside the window | found |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| %.1f s | %.2f s | %.2f s | %s (%s) |\n", med(func(r result) float64 { return r.wall }), med(func(r result) float64 { return r.cpu }),
		med(func(r result) float64 { return r.outside }), rs[0].cause, rs[0].confidence)
	return nil
}
