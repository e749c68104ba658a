package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/internal/investigate"
	"github.com/mihari-dev/mihari/internal/procfs"
	"github.com/mihari-dev/mihari/test/testenv"
)

// investigateJSON runs mihari investigate --format json with args.
func investigateJSON(t *testing.T, args ...string) *investigate.Report {
	t.Helper()
	out, stderr, err := runMihari(t, append([]string{"investigate", "--format", "json", "--agent", "", "--duration", "3"}, args...)...)
	if err != nil {
		t.Fatalf("mihari investigate %v: %v\n%s", args, err, stderr)
	}
	var r investigate.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--format json does not parse: %v\n%s", err, out)
	}
	t.Logf("conclusion: %s", r.Conclusion.Summary)
	return &r
}

// waitQuiet waits until the host's CPUs are mostly idle over a second, so
// that what an investigation finds is the test's workload and nothing else.
func waitQuiet(t *testing.T) {
	t.Helper()
	read := func() procfs.CPUTime {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			t.Fatal(err)
		}
		st, err := procfs.ParseStat(b)
		if err != nil {
			t.Fatal(err)
		}
		return st.Total
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a := read()
		time.Sleep(time.Second)
		b := read()
		total := float64((b.User + b.Nice + b.System + b.Idle + b.Iowait + b.IRQ + b.SoftIRQ + b.Steal) -
			(a.User + a.Nice + a.System + a.Idle + a.Iowait + a.IRQ + a.SoftIRQ + a.Steal))
		busy := 1 - float64((b.Idle+b.Iowait)-(a.Idle+a.Iowait))/total
		if busy < 0.3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host stayed %.0f%% busy for two minutes: nothing can be investigated on it", 100*busy)
		}
	}
}

// stepStatus is the status of the named step.
func stepStatus(r *investigate.Report, name string) string {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.Status
		}
	}
	return "missing"
}

// TestInvestigateIncident is the incident's shape, found with --auto: a
// process burning system CPU by reading a large file the kernel generates
// (/proc/kallsyms) in a loop. The report names the process, says the
// kernel dominates, shows the read path, and names the file as the cause
// with its measured read time.
func TestInvestigateIncident(t *testing.T) {
	testenv.RequireRoot(t)
	waitQuiet(t)
	w := startWorkload(t, "mihari-kubelet", "-then", "sysread", "-sysfile", "/proc/kallsyms")
	r := investigateJSON(t, "--auto")
	c := r.Conclusion
	if len(r.Suspects) == 0 || r.Suspects[0].Comm != "mihari-kubelet" || r.Suspects[0].PID != w.Process.Pid {
		t.Fatalf("suspects %+v, want mihari-kubelet (pid %d) first", r.Suspects, w.Process.Pid)
	}
	if r.Suspects[0].SystemFraction < 0.7 {
		t.Errorf("system fraction %.2f for a process reading /proc/kallsyms", r.Suspects[0].SystemFraction)
	}
	if !strings.Contains(c.Summary, "`mihari-kubelet`") || !strings.Contains(c.Summary, "in the kernel") {
		t.Errorf("the summary does not name the process and the kernel: %s", c.Summary)
	}
	if r.Profile == nil || r.Profile.KernelFraction < 0.7 || r.Profile.ReadPathFraction < 0.5 {
		t.Fatalf("profile %+v: the kernel's read path should dominate", r.Profile)
	}
	if len(r.Profile.KernelCallers) == 0 || r.Profile.KernelCallers[0].Name != "main.burnSys" {
		t.Errorf("kernel callers %+v, want main.burnSys", r.Profile.KernelCallers)
	}
	if c.Cause != (investigate.Cause{Kind: "file", Name: "/proc/kallsyms", PID: w.Process.Pid}) || c.Confidence != "high" {
		t.Errorf("cause %+v confidence %s, want /proc/kallsyms, high", c.Cause, c.Confidence)
	}
	if len(r.Costs) == 0 || r.Costs[0].Path != "/proc/kallsyms" || r.Costs[0].Status != "ok" || r.Costs[0].WallSeconds <= 0 || r.Costs[0].Lines < 10000 {
		t.Errorf("costs %+v, want /proc/kallsyms read and timed", r.Costs)
	}
	if !strings.Contains(c.Summary, "`/proc/kallsyms` is the cause.") || !strings.Contains(c.Summary, " lines each") {
		t.Errorf("summary: %s", c.Summary)
	}
	if r.Self.CPUSecondsOutsideWindow > 1 {
		t.Errorf("the investigation used %.2f s of CPU outside its window", r.Self.CPUSecondsOutsideWindow)
	}
}

// TestInvestigateFunction: a process burning user CPU in a named
// function. The report names the function and blames no file.
func TestInvestigateFunction(t *testing.T) {
	testenv.RequireRoot(t)
	w := startWorkload(t, "mihari-userburn", "-then", "spin")
	r := investigateJSON(t, "-n", "mihari-userburn")
	c := r.Conclusion
	if c.Cause != (investigate.Cause{Kind: "function", Name: "main.spinUserFunction", PID: w.Process.Pid}) {
		t.Errorf("cause %+v, want main.spinUserFunction", c.Cause)
	}
	if !strings.Contains(c.Summary, "`main.spinUserFunction`") || strings.Contains(c.Summary, "/") {
		t.Errorf("the summary should name the function and no file: %s", c.Summary)
	}
	if r.Files != nil || len(r.Costs) != 0 || stepStatus(r, "files") != "skipped" {
		t.Errorf("files %+v, costs %+v: a user-space burner's files were looked into", r.Files, r.Costs)
	}
}

// TestInvestigateQuiet: with nothing running, nothing is abnormal.
func TestInvestigateQuiet(t *testing.T) {
	testenv.RequireRoot(t)
	waitQuiet(t)
	r := investigateJSON(t, "--auto")
	c := r.Conclusion
	if c.Abnormal || c.Confidence != "none" || c.Cause.Kind != "none" || !strings.HasPrefix(c.Summary, "Nothing is abnormal.") {
		t.Errorf("conclusion %+v on a quiet host", c)
	}
	if r.Profile != nil || stepStatus(r, "profile") != "skipped" {
		t.Errorf("a quiet host was profiled: %+v", r.Steps)
	}
}

// TestInvestigateExits: the process exits while it is profiled: a
// partial report that says so, with what was measured before.
func TestInvestigateExits(t *testing.T) {
	testenv.RequireRoot(t)
	cmd := exec.Command(workload(t, "mihari-goner"), "-user", "3s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	r := investigateJSON(t, "-n", "mihari-goner", "--duration", "10")
	c := r.Conclusion
	if !c.Partial || !strings.Contains(c.Summary, "It exited during the investigation") {
		t.Errorf("conclusion %+v: should say the process exited", c)
	}
	if c.Cause.Kind != "function" || c.Cause.Name != "main.spinUserFunction" {
		t.Errorf("cause %+v: what was profiled before the exit should still name the function", c.Cause)
	}
	if r.Self.WallSeconds > 12 {
		t.Errorf("the investigation took %.1fs: it should end when the process does", r.Self.WallSeconds)
	}
}

// TestInvestigateFormats: Markdown and HTML carry the same conclusion, the
// conclusion first; a missing process is a report, not a crash.
func TestInvestigateFormats(t *testing.T) {
	testenv.RequireRoot(t)
	startWorkload(t, "mihari-fmt", "-then", "spin")
	md, stderr, err := runMihari(t, "investigate", "-n", "mihari-fmt", "--duration", "1", "--agent", "")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if i, j := strings.Index(md, "Conclusion"), strings.Index(md, "Host CPU"); i < 0 || j < 0 || i > j || !strings.Contains(md, "main.spinUserFunction") {
		t.Errorf("markdown report:\n%s", md)
	}
	html := t.TempDir() + "/r.html"
	if _, stderr, err := runMihari(t, "investigate", "-n", "mihari-fmt", "--duration", "1", "--agent", "", "--format", "html", "-o", html); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(b, []byte("<html")) || !bytes.Contains(b, []byte("main.spinUserFunction")) || bytes.Contains(b, []byte("<script")) {
		t.Errorf("html report (%v):\n%.500s", err, b)
	}
	r := investigateJSON(t, "-p", strconv.Itoa(1<<22-1))
	if stepStatus(r, "suspects") != "failed" || !r.Conclusion.Partial {
		t.Errorf("a missing process: steps %+v", r.Steps)
	}
}
