package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/mihari-dev/mihari/test/testenv"
)

// profileJSON is mihari profile --json.
type profileJSON struct {
	Output   string  `json:"output"`
	Duration float64 `json:"duration_seconds"`
	Freq     int     `json:"frequency"`
	Samples  int     `json:"samples"`
	Seen     int     `json:"seen"`
	Lost     uint64  `json:"lost"`
	Kernel   float64 `json:"kernel_fraction"`
	User     float64 `json:"user_fraction"`
	Top      []struct {
		Name   string  `json:"name"`
		Kernel bool    `json:"kernel"`
		Flat   float64 `json:"flat_seconds"`
		Cum    float64 `json:"cum_seconds"`
	} `json:"top"`
	Callers []struct {
		Name     string  `json:"name"`
		Fraction float64 `json:"fraction"`
	} `json:"kernel_callers"`
	Warnings []string `json:"warnings"`
}

// runProfile profiles with mihari profile --json -o FILE and returns the
// summary and the profile read back from the file.
func runProfile(t *testing.T, args ...string) (profileJSON, *profile.Profile) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "profile.pb.gz")
	stdout, stderr, err := runMihari(t, append([]string{"profile", "--json", "-o", out}, args...)...)
	if err != nil {
		t.Fatalf("mihari profile %v: %v\n%s", args, err, stderr)
	}
	var sum profileJSON
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("the profile does not parse: %v", err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatalf("the profile is not valid: %v", err)
	}
	return sum, p
}

// leafShare is the share of samples whose innermost frame in user space
// (the kernel's frames skipped) is fn, and the share with fn anywhere.
func leafShare(p *profile.Profile, fn string) (leaf, anywhere float64) {
	var total, l, a int64
	for _, s := range p.Sample {
		total += s.Value[0]
		first := true
		found := false
		for _, loc := range s.Location {
			if loc.Mapping != nil && loc.Mapping.File == "[kernel]" {
				continue
			}
			for _, line := range loc.Line {
				if line.Function.Name == fn {
					if first {
						l += s.Value[0]
					}
					found = true
				}
				first = false
			}
			if len(loc.Line) == 0 {
				first = false
			}
		}
		if found {
			a += s.Value[0]
		}
	}
	if total == 0 {
		return 0, 0
	}
	return float64(l) / float64(total), float64(a) / float64(total)
}

// TestProfileGo profiles a Go program spinning in main.spinUserFunction by
// pid: that function must be the top user frame, with main.burnUser above
// it, the labels must name the process, and go tool pprof must read the
// file.
func TestProfileGo(t *testing.T) {
	testenv.RequireRoot(t)
	w := startWorkload(t, "mihari-spin", "-then", "spin")
	pid := w.Process.Pid
	sum, p := runProfile(t, "-p", strconv.Itoa(pid), "-d", "2")
	t.Logf("summary: %+v", sum)
	// 198 if it had a CPU to itself; other tests may run beside it.
	if sum.Samples < 30 {
		t.Fatalf("%d samples of a process spinning for 2s at 99 Hz", sum.Samples)
	}
	if len(sum.Top) == 0 || sum.Top[0].Name != "main.spinUserFunction" || sum.Top[0].Kernel {
		t.Errorf("top function %+v, want main.spinUserFunction", sum.Top)
	}
	if sum.User < 0.9 {
		t.Errorf("user fraction %.2f for a process spinning in user space", sum.User)
	}
	leaf, anywhere := leafShare(p, "main.spinUserFunction")
	if leaf < 0.8 {
		t.Errorf("main.spinUserFunction is the leaf of %.0f%% of samples, want most", 100*leaf)
	}
	// The frames above it (main.burnUser may be inlined into main.main,
	// and debug/gosym does not expose inlining).
	for _, fn := range []string{"main.main", "runtime.main"} {
		if _, share := leafShare(p, fn); share < 0.8 || anywhere < 0.8 {
			t.Errorf("%s in %.0f%% of stacks: the call chain above the leaf is missing", fn, 100*share)
		}
	}
	for _, s := range p.Sample {
		if s.NumLabel["pid"][0] != int64(pid) || s.Label["comm"][0] != "mihari-spin" || s.NumLabel["tid"][0] == 0 {
			t.Fatalf("sample labels %v %v, want pid %d comm mihari-spin", s.Label, s.NumLabel, pid)
		}
	}
	// Every mapping of the binary has its build ID.
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	for _, m := range p.Mapping {
		if m.File == exe && m.BuildID == "" {
			t.Errorf("mapping of %s without a build ID", exe)
		}
	}

	// go tool pprof reads it.
	top, err := exec.Command("go", "tool", "pprof", "-top", sum.Output).CombinedOutput()
	if err != nil || !strings.Contains(string(top), "main.spinUserFunction") {
		t.Errorf("go tool pprof -top: %v\n%s", err, top)
	}
}

// TestProfileStrippedGo profiles a Go binary built with -s -w, which has
// no symbol table: its pclntab still names its functions.
func TestProfileStrippedGo(t *testing.T) {
	testenv.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "mihari-strip")
	if out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, "github.com/mihari-dev/mihari/test/workload").CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	if out, _ := exec.Command("file", bin).Output(); len(out) > 0 && !strings.Contains(string(out), "stripped") {
		t.Fatalf("the binary is not stripped: %s", out)
	}
	cmd := startProgram(t, bin, "-then", "spin")
	sum, _ := runProfile(t, "-p", strconv.Itoa(cmd.Process.Pid), "-d", "1")
	if len(sum.Top) == 0 || sum.Top[0].Name != "main.spinUserFunction" {
		t.Errorf("top functions of a stripped Go binary: %+v, want main.spinUserFunction", sum.Top)
	}
}

// TestProfileNewThread profiles a process that starts spinning on a new
// thread a second after the profile began: the thread is sampled, as a
// profile of every CPU samples whatever runs there.
func TestProfileNewThread(t *testing.T) {
	testenv.RequireRoot(t)
	w := startWorkload(t, "mihari-later", "-then", "spin-later")
	pid := w.Process.Pid
	sum, p := runProfile(t, "-p", strconv.Itoa(pid), "-d", "3")
	if len(sum.Top) == 0 || sum.Top[0].Name != "main.spinUserFunction" {
		t.Fatalf("top functions %+v, want main.spinUserFunction", sum.Top)
	}
	threads := map[int64]int64{}
	for _, s := range p.Sample {
		threads[s.NumLabel["tid"][0]] += s.Value[0]
	}
	var other int64
	for tid, n := range threads {
		if tid != int64(pid) {
			other += n
		}
	}
	if other < 30 {
		t.Errorf("samples by thread %v: the thread started during the profile is missing", threads)
	}
}

// TestProfileC profiles a C program built with frame pointers, found by
// name: its function is the leaf, called from spin_forever and main. It
// is built at -O0, where gcc keeps a frame in every function: at -O1 and
// above gcc 12 leaves it out of a leaf function that needs no stack, even
// with -fno-omit-frame-pointer, and the leaf's caller cannot be found.
func TestProfileC(t *testing.T) {
	testenv.RequireRoot(t)
	gcc := testenv.RequireProgram(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "mihari-cspin")
	if out, err := exec.Command(gcc, "-O0", "-fno-omit-frame-pointer", "-o", bin, filepath.Join(repoRoot(t), "test/e2e/testdata/spin.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	startProgram(t, bin)
	sum, p := runProfile(t, "-n", "mihari-cspin", "-d", "2")
	if len(sum.Top) == 0 || sum.Top[0].Name != "spin_in_c_function" {
		t.Errorf("top functions %+v, want spin_in_c_function", sum.Top)
	}
	if _, caller := leafShare(p, "spin_forever"); caller < 0.8 {
		t.Errorf("spin_forever in %.0f%% of stacks, want the frames above the leaf", 100*caller)
	}
	if _, m := leafShare(p, "main"); m < 0.8 {
		t.Errorf("main in %.0f%% of stacks", 100*m)
	}
	// main's caller in libc (__libc_start_call_main) is in no symbol
	// table libc ships: kept as an address in libc's mapping, with its
	// build ID, not dropped.
	kept := false
	for _, l := range p.Location {
		if l.Mapping != nil && strings.Contains(l.Mapping.File, "libc.so") && len(l.Line) == 0 && l.Address != 0 && l.Mapping.BuildID != "" {
			kept = true
		}
	}
	if !kept {
		t.Error("no unnamed libc frame kept with its address and mapping")
	}

	// Folded stacks and a flame graph of the same.
	svg := filepath.Join(t.TempDir(), "flame.svg")
	out, stderr, err := runMihari(t, "profile", "-n", "mihari-cspin", "-d", "1", "--folded", "--svg", svg, "-o", "")
	if err != nil {
		t.Fatalf("--folded: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "mihari-cspin;") || !strings.Contains(out, ";main;spin_forever;spin_in_c_function ") {
		t.Errorf("--folded output lacks comm;...;main;spin_forever;spin_in_c_function N:\n%s", out)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, new(struct{})); err != nil || !strings.Contains(string(b), "spin_in_c_function") {
		t.Errorf("--svg: %v; %d bytes", err, len(b))
	}
}

// TestProfileKernel profiles a process that spends its time reading a
// large file the kernel generates (/proc/kallsyms): the kernel's read path
// dominates, under the Go function that called read.
func TestProfileKernel(t *testing.T) {
	testenv.RequireRoot(t)
	startWorkload(t, "mihari-sysread", "-then", "sysread", "-sysfile", "/proc/kallsyms")
	sum, p := runProfile(t, "-n", "mihari-sysread", "-d", "2")
	t.Logf("summary: %+v", sum)
	if sum.Kernel < 0.8 {
		t.Errorf("kernel fraction %.2f for a process reading /proc/kallsyms in a loop", sum.Kernel)
	}
	if len(sum.Callers) == 0 || sum.Callers[0].Name != "main.burnSys" || sum.Callers[0].Fraction < 0.7 {
		t.Errorf("kernel callers %+v, want main.burnSys first", sum.Callers)
	}
	var kernelTop string
	for _, f := range sum.Top {
		if f.Kernel {
			kernelTop = f.Name
			break
		}
	}
	if kernelTop == "" {
		t.Fatalf("no kernel function in %+v", sum.Top)
	}
	// The read path: vfs_read (or the ksys_read that calls it) in most
	// stacks, above the leaf.
	var total, underRead int64
	for _, s := range p.Sample {
		total += s.Value[0]
		for _, loc := range s.Location {
			if len(loc.Line) > 0 && loc.Mapping != nil && loc.Mapping.File == "[kernel]" && loc.Line[0].Function.Name == "vfs_read" {
				underRead += s.Value[0]
				break
			}
		}
	}
	if float64(underRead) < 0.7*float64(total) {
		t.Errorf("vfs_read in %d of %d samples", underRead, total)
	}
}

// TestProfileURL fetches a Go program's own profile from net/http/pprof,
// as the kubelet's was in the incident, and summarizes it.
func TestProfileURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			urlSink += spinForURLTest(1 << 20)
		}
	}()
	t.Cleanup(func() { stop.Store(true); <-done })

	u := "http://" + l.Addr().String() + "/debug/pprof/profile?seconds=1"
	sum, p := runProfile(t, "--url", u)
	if len(sum.Top) == 0 || sum.Top[0].Name != "github.com/mihari-dev/mihari/test/e2e.spinForURLTest" {
		t.Errorf("top functions %+v, want spinForURLTest", sum.Top)
	}
	if p.DurationNanos < int64(900*time.Millisecond) {
		t.Errorf("profile of %v, want about a second", time.Duration(p.DurationNanos))
	}
	// The text summary says where it came from.
	out, _, err := runMihari(t, "profile", "--url", u, "-o", "", "--top", "3")
	if err != nil || !strings.Contains(out, "profile of "+u) || !strings.Contains(out, "spinForURLTest") {
		t.Errorf("text summary: %v\n%s", err, out)
	}
	// A URL that does not serve a profile: one line, exit 1.
	_, stderr, err := runMihari(t, "profile", "--url", "http://"+l.Addr().String()+"/nothing?seconds=1", "-o", "")
	if err == nil || !strings.Contains(stderr, "404") {
		t.Errorf("a URL without a profile: %v, %q", err, stderr)
	}
}

var urlSink int

// spinForURLTest works on locals only, so that under the race detector
// its time is its own and not the detector's.
//
//go:noinline
func spinForURLTest(n int) int {
	x := 0
	for i := range n {
		x += i*i ^ (x >> 3)
	}
	return x
}

// TestProfileErrors: a pid that does not exist, no target, and no
// privilege each get one line.
func TestProfileErrors(t *testing.T) {
	_, stderr, err := runMihari(t, "profile", "-p", "999999999", "-d", "1")
	if err == nil || !strings.Contains(stderr, "mihari profile: process 999999999: no such process (it may have exited)") {
		t.Errorf("a missing pid: %v, %q", err, stderr)
	}
	_, stderr, err = runMihari(t, "profile")
	if err == nil || !strings.Contains(stderr, "give one of -p PID, -n NAME, --cgroup PATH, --all or --url URL") {
		t.Errorf("no target: %v, %q", err, stderr)
	}
	testenv.RequireRoot(t)
	out, err := asNobody(t, "profile", "--all", "-d", "1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "mihari profile: profiling needs root or CAP_PERFMON") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}

// startProgram runs a program until the test ends and waits for it to
// print its first line (or for a short while, if it prints nothing).
func startProgram(t *testing.T, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			close(line)
		}
		for sc.Scan() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-line:
	case <-ctx.Done():
		t.Fatalf("%s printed nothing in 30s", bin)
	}
	return cmd
}

// TestProfileKernelHidden profiles with kernel.kptr_restrict at 2, where
// even root sees no kernel address: the profile says so in a warning and
// keeps the kernel frames as addresses in the [kernel] mapping.
func TestProfileKernelHidden(t *testing.T) {
	testenv.RequireRoot(t)
	const sysctl = "/proc/sys/kernel/kptr_restrict"
	old, err := os.ReadFile(sysctl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sysctl, []byte("2"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(sysctl, old, 0o644); err != nil {
			t.Errorf("restoring %s: %v", sysctl, err)
		}
	})
	startWorkload(t, "mihari-hidden", "-then", "sysread", "-sysfile", "/proc/self/maps")
	sum, p := runProfile(t, "-n", "mihari-hidden", "-d", "1")
	if len(sum.Warnings) == 0 || !strings.Contains(sum.Warnings[0], "the kernel hides its addresses (kernel.kptr_restrict is 2") {
		t.Errorf("warnings %q", sum.Warnings)
	}
	kernel := 0
	for _, l := range p.Location {
		if l.Mapping == nil || l.Mapping.File != "[kernel]" {
			continue
		}
		kernel++
		if len(l.Line) != 0 || l.Address < 1<<63 {
			t.Errorf("kernel location %#x named %v while addresses are hidden", l.Address, l.Line)
		}
	}
	if kernel == 0 || sum.Kernel < 0.5 {
		t.Errorf("%d kernel locations, kernel fraction %.2f: the kernel frames were dropped", kernel, sum.Kernel)
	}
}

// TestProfileTargetExits profiles a process that exits a second into a
// ten-second profile: the profile ends then, keeps what it sampled, and
// says so.
func TestProfileTargetExits(t *testing.T) {
	testenv.RequireRoot(t)
	w := exec.Command(workload(t, "mihari-brief"), "-user", "1s")
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Wait() }()
	t.Cleanup(func() { w.Process.Kill(); <-done })
	start := time.Now()
	sum, _ := runProfile(t, "-p", strconv.Itoa(w.Process.Pid), "-d", "10")
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("the profile went on for %v after its only process exited", took)
	}
	if len(sum.Top) == 0 || sum.Top[0].Name != "main.spinUserFunction" {
		t.Errorf("top functions %+v: what was sampled before the exit is missing", sum.Top)
	}
	found := false
	for _, w := range sum.Warnings {
		found = found || strings.Contains(w, "every process profiled exited after")
	}
	if !found {
		t.Errorf("warnings %q do not say that the process exited", sum.Warnings)
	}
}
