package investigate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	incidentFile = "/sys/fs/cgroup/blkio/kubepods/burstable/pod0f3b3a30/blkio.throttle.io_serviced"
	incidentID   = "20260312T094107Z-HostCPUUsageHigh-3c1f"
	getStats     = "github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats"
)

var reportStart = time.Date(2026, 3, 12, 9, 41, 7, 0, time.UTC)

// incidentReport is the story mihari is built for: kubelet burns system
// CPU because cAdvisor reads a blkio file of 2,071 lines 120 times a
// minute, and one read of it takes 3.6 s.
func incidentReport() *Report {
	return &Report{
		Version:  SchemaVersion,
		ID:       incidentID,
		Hostname: "k8s-node-17",
		Started:  reportStart,
		Finished: reportStart.Add(16400 * time.Millisecond),
		Target:   Target{Mode: "auto"},
		Alert: &Alert{
			Name:        "HostCPUUsageHigh",
			Labels:      map[string]string{"alertname": "HostCPUUsageHigh", "instance": "k8s-node-17:9780", "severity": "warning"},
			Annotations: map[string]string{"summary": "CPU usage above 90% for 5 minutes."},
			StartsAt:    time.Date(2026, 3, 12, 9, 35, 0, 0, time.UTC),
		},
		WindowSeconds: 10,
		Conclusion: Conclusion{
			Summary: "PID 4242 `kubelet` (container pod/0f3b3a30) uses 1.90 cores, 85% of it in the kernel. " +
				"85% of its samples are in the kernel, 78% in the read path of files, under `" + getStats + "`. " +
				"It read `" + incidentFile + "` 120 times a minute, 3.6 s and 2,071 lines each; " +
				"those reads took 91% of the 9.4 s it spent reading files (86% of the 10 s traced). " +
				"`" + incidentFile + "` is the cause.",
			Abnormal:   true,
			Confidence: "high",
			Cause:      Cause{Kind: "file", Name: incidentFile, PID: 4242},
			Evidence: []string{
				"the CPUs are 95% busy",
				"80% of all CPU time is in the kernel (system 70%, irq 2%, softirq 8%)",
				"PID 4242 `kubelet` (container pod/0f3b3a30): it uses 1.90 cores, 85% of it in the kernel, more than 0.5 of a CPU",
				"85% of samples in the kernel, 78% in the read path (vfs_read and below)",
				"kernel function `blkcg_print_stat`: 40% of samples",
				"reading `" + incidentFile + "` once took 3.6 s (3.5 s in the kernel), 43,340 bytes, 2,071 lines",
			},
		},
		Host: Host{
			CPUs: 2,
			Now:  CPUSplit{User: 0.15, System: 0.70, Iowait: 0.01, IRQ: 0.02, SoftIRQ: 0.08, Idle: 0.04, Busy: 0.95},
			Recent: &Recent{
				Source:        "agent http://127.0.0.1:9780",
				WindowSeconds: 1800,
				Average:       CPUSplit{User: 0.14, System: 0.68, Iowait: 0.01, IRQ: 0.02, SoftIRQ: 0.07, Idle: 0.08, Busy: 0.91},
				MaxBusy:       0.97,
			},
			Abnormal: []string{
				"the CPUs are 95% busy",
				"80% of all CPU time is in the kernel (system 70%, irq 2%, softirq 8%)",
				"over the last 30 minutes the CPUs were 91% busy on average",
			},
		},
		Suspects: []Suspect{
			{PID: 4242, Comm: "kubelet", Cgroup: "/kubepods/burstable/pod0f3b3a30/kubelet", Container: "pod/0f3b3a30",
				Cores: 1.90, UserCores: 0.29, SystemCores: 1.61, SystemFraction: 1.61 / 1.90,
				Why: "it uses 1.90 cores, 85% of it in the kernel, more than 0.5 of a CPU"},
			{PID: 1187, Comm: "containerd", Cgroup: "/system.slice/containerd.service",
				Cores: 0.06, UserCores: 0.04, SystemCores: 0.02, SystemFraction: 0.02 / 0.06,
				Why: "one of the busiest processes while the host is busy: it uses 0.06 cores, 33% of it in the kernel"},
		},
		Profile: &Profile{
			PID: 4242, Comm: "kubelet", Samples: 1881, KernelFraction: 0.85, ReadPathFraction: 0.78, FilePathFraction: 0.8,
			TopUser: []Func{
				{"runtime.scanobject", 0.031},
				{"runtime.mallocgc", 0.014},
				{"github.com/opencontainers/runc/libcontainer/cgroups/fs.getBlkioStat", 0.012},
			},
			TopKernel: []Func{
				{"blkcg_print_stat", 0.40},
				{"vsnprintf", 0.11},
				{"format_decode", 0.06},
				{"_raw_spin_lock_irq", 0.05},
				{"seq_printf", 0.04},
			},
			KernelCallers: []Func{
				{getStats, 0.77},
				{"github.com/google/cadvisor/fs.GetDirUsage", 0.04},
			},
			File: "/var/lib/mihari/investigations/" + incidentID + ".pb.gz",
		},
		Files: &Files{
			PID: 4242, WindowSeconds: 10, ReadSeconds: 9.4,
			Files: []FileRead{
				{Path: incidentFile, Opens: 20, Reads: 40, Bytes: 866800,
					ReadSeconds: 8.6, MaxReadSecs: 3.6, OpensPerMin: 120, ShareOfReads: 8.6 / 9.4},
				{Path: "/sys/fs/cgroup/blkio/kubepods/burstable/pod0f3b3a30/blkio.throttle.io_service_bytes", Opens: 20, Reads: 40, Bytes: 996400,
					ReadSeconds: 0.71, MaxReadSecs: 0.12, OpensPerMin: 120, ShareOfReads: 0.71 / 9.4},
				{Path: "/proc/stat", Opens: 20, Reads: 20, Bytes: 61440,
					ReadSeconds: 0.000912, MaxReadSecs: 0.000045, OpensPerMin: 120, ShareOfReads: 0.000912 / 9.4},
			},
		},
		Costs: []Cost{
			{Path: incidentFile, Status: "ok", WallSeconds: 3.6, UserSeconds: 0.002, SystemSeconds: 3.5, Bytes: 43340, Lines: 2071},
			{Path: "/sys/fs/cgroup/blkio/kubepods/burstable/pod0f3b3a30/blkio.throttle.io_service_bytes", Status: "ok",
				WallSeconds: 0.31, UserSeconds: 0.001, SystemSeconds: 0.30, Bytes: 49820, Lines: 2071},
			{Path: "/proc/stat", Status: "ok", WallSeconds: 0.00021, SystemSeconds: 0.00018, Bytes: 3072, Lines: 27},
		},
		Steps: []Step{
			{Name: "host", Status: "ok", Seconds: 2.0},
			{Name: "recent", Status: "ok", Seconds: 0.043},
			{Name: "suspects", Status: "ok", Seconds: 0.0004},
			{Name: "profile", Status: "ok", Seconds: 10.2},
			{Name: "files", Status: "ok", Seconds: 10.0},
			{Name: "cost", Status: "ok", Seconds: 4.1},
		},
		Self: Self{WallSeconds: 16.4, CPUSeconds: 0.83, CPUSecondsOutsideWindow: 0.12},
	}
}

// userFunctionReport is a process burning user CPU in one function: no
// file is involved, so none was traced.
func userFunctionReport() *Report {
	const hot = "encoding/json.(*decodeState).object"
	return &Report{
		Version: SchemaVersion, ID: "20260312T110000Z-manual-9a0b", Hostname: "ingest-2",
		Started: reportStart.Add(time.Hour), Finished: reportStart.Add(time.Hour + 12*time.Second),
		Target:        Target{Mode: "name", Name: "ingest"},
		WindowSeconds: 10,
		Conclusion: Conclusion{
			Summary: "PID 7310 `ingest` uses 2.10 cores, 2% of it in the kernel. 62% of its samples are in `" + hot + "`. " +
				"`" + hot + "` is where its CPU goes; no file is involved: its time is in user space.",
			Abnormal: true, Confidence: "high",
			Cause:    Cause{Kind: "function", Name: hot, PID: 7310},
			Evidence: []string{"62% of samples in `" + hot + "`", "11% of samples in `encoding/json.checkValid`"},
		},
		Host: Host{CPUs: 4, Now: CPUSplit{User: 0.53, System: 0.03, Idle: 0.44, Busy: 0.56}, Abnormal: []string{}},
		Suspects: []Suspect{{PID: 7310, Comm: "ingest", Cores: 2.10, UserCores: 2.06, SystemCores: 0.04, SystemFraction: 0.04 / 2.10,
			Why: "the target of this investigation; it uses 2.10 cores, 2% of it in the kernel"}},
		Profile: &Profile{
			PID: 7310, Comm: "ingest", Samples: 2079, KernelFraction: 0.02, ReadPathFraction: 0.003, FilePathFraction: 0.005,
			TopUser:       []Func{{hot, 0.62}, {"encoding/json.checkValid", 0.11}, {"runtime.mallocgc", 0.06}},
			TopKernel:     []Func{{"clear_page_erms", 0.008}},
			KernelCallers: []Func{},
		},
		Steps: []Step{
			{Name: "host", Status: "ok", Seconds: 2.0},
			{Name: "recent", Status: "skipped", Reason: "no running agent to ask (give --agent)"},
			{Name: "suspects", Status: "ok", Seconds: 0.0003},
			{Name: "profile", Status: "ok", Seconds: 10.1},
			{Name: "files", Status: "skipped", Reason: "ingest spends 98% of its CPU in user space, not in the kernel: files are not where its time goes"},
			{Name: "cost", Status: "skipped", Reason: "no file was traced"},
		},
		Self: Self{WallSeconds: 12.3, CPUSeconds: 0.41, CPUSecondsOutsideWindow: 0.09},
	}
}

// quietReport is a machine with nothing to find.
func quietReport() *Report {
	return &Report{
		Version: SchemaVersion, ID: "20260312T120000Z-manual-0001", Hostname: "quiet-1",
		Started: reportStart.Add(2 * time.Hour), Finished: reportStart.Add(2*time.Hour + 2*time.Second),
		Target:        Target{Mode: "auto"},
		WindowSeconds: 10,
		Conclusion: Conclusion{
			Summary:    "Nothing is abnormal. The host's 8 CPUs are 6% busy (user 4%, system 2%, iowait 0%, steal 0%). The busiest process, sshd (pid 912), uses 0.02 cores.",
			Confidence: "none",
			Cause:      Cause{Kind: "none"},
			Evidence:   []string{},
		},
		Host:     Host{CPUs: 8, Now: CPUSplit{User: 0.04, System: 0.02, Idle: 0.94, Busy: 0.06}, Abnormal: []string{}},
		Suspects: []Suspect{},
		Steps: []Step{
			{Name: "host", Status: "ok", Seconds: 2.0},
			{Name: "recent", Status: "skipped", Reason: "no running agent to ask (give --agent)"},
			{Name: "suspects", Status: "ok", Seconds: 0.0003},
			{Name: "profile", Status: "skipped", Reason: "no process to look into"},
			{Name: "files", Status: "skipped", Reason: "no process to look into"},
			{Name: "cost", Status: "skipped", Reason: "no process to look into"},
		},
		Self: Self{WallSeconds: 2.0, CPUSeconds: 0.045, CPUSecondsOutsideWindow: 0.045},
	}
}

// partialReport is a process that exited while it was profiled: its
// profile is there, its files could not be traced.
func partialReport() *Report {
	return &Report{
		Version: SchemaVersion, ID: "20260312T130000Z-manual-77aa", Hostname: "batch-4",
		Started: reportStart.Add(3 * time.Hour), Finished: reportStart.Add(3*time.Hour + 7*time.Second),
		Target:        Target{Mode: "pid", PID: 5150},
		WindowSeconds: 10,
		Conclusion: Conclusion{
			Summary: "PID 5150 `java` (container docker/4f1c5a0e9b7d) uses 3.40 cores, 62% of it in the kernel. " +
				"It exited during the investigation; this report covers what was measured before. " +
				"62% of its samples are in the kernel. Its reads could not be traced (the process exited before its reads could be traced).",
			Abnormal: true, Confidence: "low", Partial: true,
			Cause:    Cause{Kind: "process", Name: "java", PID: 5150},
			Evidence: []string{"62% of samples in the kernel, 4% in the read path (vfs_read and below)"},
		},
		Host: Host{CPUs: 4, Now: CPUSplit{User: 0.33, System: 0.53, Idle: 0.14, Busy: 0.86},
			Abnormal: []string{"the CPUs are 86% busy", "53% of all CPU time is in the kernel (system 53%, irq 0%, softirq 0%)"}},
		Suspects: []Suspect{{PID: 5150, Comm: "java", Container: "docker/4f1c5a0e9b7d", Cores: 3.40, UserCores: 1.30, SystemCores: 2.10,
			SystemFraction: 2.10 / 3.40, Why: "the target of this investigation; it uses 3.40 cores, 62% of it in the kernel"}},
		Profile: &Profile{
			PID: 5150, Comm: "java", Samples: 1412, KernelFraction: 0.62, ReadPathFraction: 0.04, FilePathFraction: 0.06,
			TopUser:       []Func{{"java.util.HashMap.resize", 0.09}},
			TopKernel:     []Func{{"futex_wait_queue", 0.21}, {"_raw_spin_lock", 0.13}},
			KernelCallers: []Func{{"java.lang.Object.wait", 0.33}},
		},
		Steps: []Step{
			{Name: "host", Status: "ok", Seconds: 2.0},
			{Name: "recent", Status: "skipped", Reason: "no running agent to ask (give --agent)"},
			{Name: "suspects", Status: "ok", Seconds: 0.0005},
			{Name: "profile", Status: "ok", Seconds: 4.3, Reason: "the process exited 4.2s into the profile"},
			{Name: "files", Status: "skipped", Reason: "the process exited before its reads could be traced"},
			{Name: "cost", Status: "skipped", Reason: "no file was traced"},
		},
		Self: Self{WallSeconds: 6.6, CPUSeconds: 0.31, CPUSecondsOutsideWindow: 0.05},
	}
}

var scenarios = []struct {
	name   string
	report func() *Report
}{
	{"incident", incidentReport},
	{"user function", userFunctionReport},
	{"quiet", quietReport},
	{"partial", partialReport},
}

func renderMarkdown(t *testing.T, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// missingLines returns the lines of want that are not whole lines of have.
func missingLines(have string, want ...string) []string {
	lines := strings.Split(have, "\n")
	var missing []string
	for _, w := range want {
		if !slices.Contains(lines, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

// inOrder checks that each of subs occurs in s after the one before.
func inOrder(t *testing.T, s string, subs ...string) {
	t.Helper()
	at := 0
	for _, sub := range subs {
		i := strings.Index(s[at:], sub)
		if i < 0 {
			t.Errorf("%q missing, or not after %q", sub, s[:at])
			return
		}
		at += i + len(sub)
	}
}

// The incident's Markdown, in a golden file: go test -run
// TestMarkdownGolden -update rewrites it.
func TestMarkdownGolden(t *testing.T) {
	have := renderMarkdown(t, incidentReport())
	const golden = "testdata/incident.md"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(have), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), have); diff != "" {
		t.Errorf("Markdown (-%s +have):\n%s", golden, diff)
	}
}

// The incident's Markdown, line by line: what a person acts on comes
// first, and the rows that prove it say the numbers measured.
func TestMarkdownIncident(t *testing.T) {
	md := renderMarkdown(t, incidentReport())
	inOrder(t, md,
		"# Investigation of k8s-node-17 at 2026-03-12 09:41:07 UTC\n",
		"Started by alert `HostCPUUsageHigh`",
		"## Conclusion", "## Host CPU", "## Suspects", "## Profile", "## Files", "## File costs", "## Steps",
		"Investigation "+incidentID)
	if !strings.HasPrefix(md, "# Investigation of k8s-node-17 at 2026-03-12 09:41:07 UTC\n\n") {
		t.Errorf("title line: %q", md[:strings.IndexByte(md, '\n')])
	}
	if !strings.HasSuffix(md, "\nInvestigation "+incidentID+" took 16 s and 830 ms of CPU, 120 ms of it outside the 10 s profiling and tracing window.\n") {
		t.Errorf("last line: %q", md[strings.LastIndex(strings.TrimSuffix(md, "\n"), "\n")+1:])
	}
	if missing := missingLines(md,
		"Started by alert `HostCPUUsageHigh` (instance=k8s-node-17:9780, severity=warning), firing since 2026-03-12 09:35:00 UTC: CPU usage above 90% for 5 minutes.",
		"PID 4242 `kubelet` (container pod/0f3b3a30) uses 1.90 cores, 85% of it in the kernel. "+
			"85% of its samples are in the kernel, 78% in the read path of files, under `"+getStats+"`. "+
			"It read `"+incidentFile+"` 120 times a minute, 3.6 s and 2,071 lines each; "+
			"those reads took 91% of the 9.4 s it spent reading files (86% of the 10 s traced). "+
			"`"+incidentFile+"` is the cause.",
		"Confidence: high. Cause: file `"+incidentFile+"` (pid 4242).",
		"- kernel function `blkcg_print_stat`: 40% of samples",
		"2 CPUs. Average over the last 30 min from agent http://127.0.0.1:9780; busiest minute 97.0% busy.",
		"| Now | 95.0% | 15.0% | 0.0% | 70.0% | 1.0% | 2.0% | 8.0% | 0.0% | 4.0% |",
		"| Average, last 30 min | 91.0% | 14.0% | 0.0% | 68.0% | 1.0% | 2.0% | 7.0% | 0.0% | 8.0% |",
		"| 4242 | kubelet | pod/0f3b3a30 | 1.90 | 0.29 | 1.61 | 84.7% | it uses 1.90 cores, 85% of it in the kernel, more than 0.5 of a CPU |",
		"| 1187 | containerd | - | 0.06 | 0.04 | 0.02 | 33.3% | one of the busiest processes while the host is busy: it uses 0.06 cores, 33% of it in the kernel |",
		"kubelet (pid 4242): 1,881 samples, 85.0% in the kernel, 78.0% under the kernel's read path. Profile written to `/var/lib/mihari/investigations/"+incidentID+".pb.gz`.",
		"| `blkcg_print_stat` | 40.0% |",
		"| `"+getStats+"` | 77.0% |",
		"kubelet (pid 4242) spent 9.4 s in reads of regular files over 10 s of tracing.",
		"| `"+incidentFile+"` | 120 | 40 | 846 KiB | 8.6 s | 3.6 s | 91.5% |",
		"| `/proc/stat` | 120 | 20 | 60 KiB | 912 µs | 45 µs | 0.0% |",
		"| `"+incidentFile+"` | ok | 3.6 s | 2.0 ms | 3.5 s | 42 KiB | 2,071 |",
		"| `/proc/stat` | ok | 210 µs | 0 s | 180 µs | 3.0 KiB | 27 |",
		"| recent | ok | 43 ms | - |",
	); len(missing) > 0 {
		t.Errorf("missing lines:\n%s\nin:\n%s", strings.Join(missing, "\n"), md)
	}
	if strings.Contains(md, "Partial") {
		t.Error("a complete report says it is partial")
	}
}

func TestMarkdownUserFunction(t *testing.T) {
	md := renderMarkdown(t, userFunctionReport())
	if missing := missingLines(md,
		"Asked to look at processes named `ingest`.",
		"Confidence: high. Cause: function `encoding/json.(*decodeState).object` (pid 7310).",
		"- 62% of samples in `encoding/json.(*decodeState).object`",
		"4 CPUs.",
		"Nothing abnormal.",
		"| 7310 | ingest | - | 2.10 | 2.06 | 0.04 | 1.9% | the target of this investigation; it uses 2.10 cores, 2% of it in the kernel |",
		"ingest (pid 7310): 2,079 samples, 2.0% in the kernel, 0.3% under the kernel's read path.",
		"| `encoding/json.(*decodeState).object` | 62.0% |",
		"| `clear_page_erms` | 0.8% |",
		"| files | skipped | - | ingest spends 98% of its CPU in user space, not in the kernel: files are not where its time goes |",
	); len(missing) > 0 {
		t.Errorf("missing lines:\n%s\nin:\n%s", strings.Join(missing, "\n"), md)
	}
	inOrder(t, md, "## Profile", "### Top user functions", "### Top kernel functions", "## Steps")
	for _, absent := range []string{"### User functions leading into the kernel", "## Files", "## File costs", "Started by alert", "Partial"} {
		if strings.Contains(md, absent) {
			t.Errorf("%q in:\n%s", absent, md)
		}
	}
}

func TestMarkdownQuiet(t *testing.T) {
	md := renderMarkdown(t, quietReport())
	want := "# Investigation of quiet-1 at 2026-03-12 11:41:07 UTC\n\n" +
		"## Conclusion\n\n" +
		"Nothing is abnormal. The host's 8 CPUs are 6% busy (user 4%, system 2%, iowait 0%, steal 0%). The busiest process, sshd (pid 912), uses 0.02 cores.\n\n" +
		"Confidence: none. Cause: none.\n\n" +
		"## Host CPU\n\n" +
		"8 CPUs.\n\n" +
		"| | Busy | User | Nice | System | IOwait | IRQ | SoftIRQ | Steal | Idle |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
		"| Now | 6.0% | 4.0% | 0.0% | 2.0% | 0.0% | 0.0% | 0.0% | 0.0% | 94.0% |\n\n" +
		"Nothing abnormal.\n\n" +
		"## Suspects\n\n" +
		"No process stood out.\n\n" +
		"## Steps\n\n" +
		"| Step | Status | Time | Reason |\n" +
		"|---|---|---:|---|\n" +
		"| host | ok | 2.0 s | - |\n" +
		"| recent | skipped | - | no running agent to ask (give --agent) |\n" +
		"| suspects | ok | 300 µs | - |\n" +
		"| profile | skipped | - | no process to look into |\n" +
		"| files | skipped | - | no process to look into |\n" +
		"| cost | skipped | - | no process to look into |\n\n" +
		"Investigation 20260312T120000Z-manual-0001 took 2.0 s and 45 ms of CPU, 45 ms of it outside the 10 s profiling and tracing window.\n"
	if diff := cmp.Diff(want, md); diff != "" {
		t.Errorf("Markdown (-want +have):\n%s", diff)
	}
}

func TestMarkdownPartial(t *testing.T) {
	md := renderMarkdown(t, partialReport())
	if missing := missingLines(md,
		"Asked to look at pid 5150.",
		"Confidence: low. Cause: process `java` (pid 5150).",
		"Partial: recent skipped: no running agent to ask (give --agent); profile ok: the process exited 4.2s into the profile; "+
			"files skipped: the process exited before its reads could be traced; cost skipped: no file was traced.",
		"| 5150 | java | docker/4f1c5a0e9b7d | 3.40 | 1.30 | 2.10 | 61.8% | the target of this investigation; it uses 3.40 cores, 62% of it in the kernel |",
		"| `futex_wait_queue` | 21.0% |",
		"| profile | ok | 4.3 s | the process exited 4.2s into the profile |",
	); len(missing) > 0 {
		t.Errorf("missing lines:\n%s\nin:\n%s", strings.Join(missing, "\n"), md)
	}
	inOrder(t, md, "## Conclusion", "Partial: ", "## Host CPU", "## Profile", "## Steps")
	for _, absent := range []string{"## Files", "## File costs"} {
		if strings.Contains(md, absent) {
			t.Errorf("%q in:\n%s", absent, md)
		}
	}
}

// What comes from the host (command names, paths, reasons) cannot become
// Markdown markup, and a pipe cannot break a table.
func TestMarkdownEscapes(t *testing.T) {
	r := quietReport()
	r.Suspects = []Suspect{{PID: 1, Comm: "<b>x|y</b>", Container: "[c](http://e)", Why: "*bold* and `a|b` and _em_ in snake_case"}}
	r.Conclusion.Summary = "# not a heading <img src=x> `code`"
	md := renderMarkdown(t, r)
	if missing := missingLines(md,
		`\# not a heading \<img src=x\> `+"`code`",
		`| 1 | \<b\>x\|y\</b\> | \[c\](http://e) | 0.00 | 0.00 | 0.00 | 0.0% | \*bold\* and `+"`a\\|b`"+` and \_em\_ in snake_case |`,
	); len(missing) > 0 {
		t.Errorf("missing lines:\n%s\nin:\n%s", strings.Join(missing, "\n"), md)
	}
}

func TestMarkdownCode(t *testing.T) {
	for in, want := range map[string]string{
		"/proc/stat": "`/proc/stat`",
		"a`b":        "``a`b``",
		"`a":         "`` `a ``",
		"a\nb":       "`a b`",
	} {
		if have := mdCode(in); have != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, have, want)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	for sec, want := range map[float64]string{
		0: "0 s", 5e-10: "0.5 ns", 4.5e-6: "4.5 µs", 45e-6: "45 µs", 0.0015: "1.5 ms", 0.12: "120 ms",
		0.9996: "1.0 s", 3.6: "3.6 s", 9.96: "10 s", 38.4: "38 s", 99.96: "1.7 min", 1800: "30 min", 7200: "2.0 h",
	} {
		if have := fmtDuration(sec); have != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", sec, have, want)
		}
	}
}

func TestFmtBytes(t *testing.T) {
	for n, want := range map[float64]string{
		0: "0 B", 512: "512 B", 1023: "1023 B", 1024: "1.0 KiB", 43340: "42 KiB",
		1048064: "1.0 MiB", 2485320: "2.4 MiB", 5 << 30: "5.0 GiB",
	} {
		if have := fmtBytes(n); have != want {
			t.Errorf("fmtBytes(%v) = %q, want %q", n, have, want)
		}
	}
}

func TestFmtPercentCoresCount(t *testing.T) {
	for _, tc := range []struct{ have, want string }{
		{fmtPercent(8.6 / 9.4), "91.5%"},
		{fmtPercent(0), "0.0%"},
		{fmtPercent(1), "100.0%"},
		{fmtCores(1.9), "1.90"},
		{fmtRate(120), "120"},
		{fmtRate(2513640.2), "2,513,640"},
		{fmtRate(12.25), "12.2"},
		{fmtCount(2071), "2,071"},
		{fmtCount(1234567), "1,234,567"},
		{fmtCount(-2071), "-2,071"},
	} {
		if tc.have != tc.want {
			t.Errorf("have %q, want %q", tc.have, tc.want)
		}
	}
}

func renderHTML(t *testing.T, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// voidElements have no end tag.
var voidElements = map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true, "wbr": true}

// checkWellFormed checks that every element is closed, in order, as XML
// would need, and that the page loads nothing and runs nothing.
func checkWellFormed(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var open []string
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				t.Fatalf("tokenizing: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken:
			switch tok.Data {
			case "script", "iframe", "object", "embed", "img", "link", "base", "form":
				t.Errorf("<%s> in the page", tok.Data)
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(a.Val)
				if strings.HasPrefix(a.Key, "on") || strings.Contains(v, "http:") || strings.Contains(v, "https:") || strings.Contains(v, "//") {
					t.Errorf("<%s %s=%q>: an event handler or a resource elsewhere", tok.Data, a.Key, a.Val)
				}
			}
			if !voidElements[tok.Data] {
				open = append(open, tok.Data)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, open)
			}
			open = open[:len(open)-1]
		case html.SelfClosingTagToken:
			t.Errorf("self-closing <%s/>", tok.Data)
		}
	}
	if len(open) > 0 {
		t.Errorf("never closed: %v", open)
	}
	for _, bad := range []string{"<script", "url(", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("%q in the page", bad)
		}
	}
}

// htmlTexts returns the text of every element named tag that has the class
// (any class when class is ""), in document order.
func htmlTexts(t *testing.T, page, tag, class string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != tag {
			continue
		}
		if class != "" && !hasClass(n, class) {
			continue
		}
		var b strings.Builder
		for d := range n.Descendants() {
			if d.Type == html.TextNode {
				b.WriteString(d.Data)
			}
		}
		out = append(out, b.String())
	}
	return out
}

func hasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && slices.Contains(strings.Fields(a.Val), class) {
			return true
		}
	}
	return false
}

func TestHTMLWellFormed(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			page := renderHTML(t, sc.report())
			checkWellFormed(t, page)
			if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n") {
				t.Errorf("page starts %q", page[:min(80, len(page))])
			}
			for _, want := range []string{"<style>", "prefers-color-scheme: dark", "overflow-x: auto", "max-width: 64rem", `name="viewport"`} {
				if !strings.Contains(page, want) {
					t.Errorf("%q missing", want)
				}
			}
		})
	}
}

// The incident's page says what the Markdown says, the conclusion first
// with its confidence as a badge, and marks the kernel functions.
func TestHTMLIncident(t *testing.T) {
	r := incidentReport()
	page := renderHTML(t, r)
	if have := htmlTexts(t, page, "h1", ""); !slices.Equal(have, []string{"Investigation of k8s-node-17 at 2026-03-12 09:41:07 UTC"}) {
		t.Errorf("h1 %q", have)
	}
	if have := htmlTexts(t, page, "title", ""); !slices.Equal(have, []string{"Investigation of k8s-node-17 at 2026-03-12 09:41:07 UTC"}) {
		t.Errorf("title %q", have)
	}
	if have := htmlTexts(t, page, "span", "badge"); !slices.Equal(have, []string{"confidence: high"}) {
		t.Errorf("badges %q", have)
	}
	if !strings.Contains(page, `<span class="badge high">`) {
		t.Error("the badge is not coloured as high")
	}
	h2 := htmlTexts(t, page, "h2", "")
	wantH2 := []string{"Conclusion confidence: high", "Host CPU", "Suspects", "Profile", "Files", "File costs", "Steps"}
	if diff := cmp.Diff(wantH2, h2); diff != "" {
		t.Errorf("sections (-want +have):\n%s", diff)
	}
	if have := htmlTexts(t, page, "p", "summary"); len(have) != 1 || have[0] != strings.ReplaceAll(r.Conclusion.Summary, "`", "") {
		t.Errorf("summary %q", have)
	}
	// Paths and functions of the summary are code.
	codes := htmlTexts(t, page, "code", "")
	for _, want := range []string{"kubelet", getStats, incidentFile, "HostCPUUsageHigh"} {
		if !slices.Contains(codes, want) {
			t.Errorf("no <code>%s</code>", want)
		}
	}
	kernel := htmlTexts(t, page, "tr", "kernel")
	want := []string{"kernelblkcg_print_stat40.0%", "kernelvsnprintf11.0%", "kernelformat_decode6.0%", "kernel_raw_spin_lock_irq5.0%", "kernelseq_printf4.0%"}
	if diff := cmp.Diff(want, kernel); diff != "" {
		t.Errorf("kernel rows (-want +have):\n%s", diff)
	}
	rows := htmlTexts(t, page, "tr", "")
	for _, want := range []string{
		"4242kubeletpod/0f3b3a301.900.291.6184.7%it uses 1.90 cores, 85% of it in the kernel, more than 0.5 of a CPU",
		incidentFile + "12040846 KiB8.6 s3.6 s91.5%",
		incidentFile + "ok3.6 s2.0 ms3.5 s42 KiB2,071",
		"Now95.0%15.0%0.0%70.0%1.0%2.0%8.0%0.0%4.0%",
	} {
		if !slices.Contains(rows, want) {
			t.Errorf("no row %q", want)
		}
	}
	if have := htmlTexts(t, page, "footer", ""); len(have) != 1 || strings.TrimSpace(have[0]) != "Investigation "+incidentID+" took 16 s and 830 ms of CPU, 120 ms of it outside the 10 s profiling and tracing window." {
		t.Errorf("footer %q", have)
	}
}

func TestHTMLQuietAndPartial(t *testing.T) {
	page := renderHTML(t, quietReport())
	if have := htmlTexts(t, page, "span", "badge"); !slices.Equal(have, []string{"confidence: none"}) || !strings.Contains(page, `<section class="conclusion normal">`) {
		t.Errorf("quiet badge %q", have)
	}
	if have := htmlTexts(t, page, "h2", ""); !slices.Equal(have, []string{"Conclusion confidence: none", "Host CPU", "Suspects", "Steps"}) {
		t.Errorf("quiet sections %q", have)
	}
	page = renderHTML(t, partialReport())
	want := "Partial: recent skipped: no running agent to ask (give --agent); profile ok: the process exited 4.2s into the profile; " +
		"files skipped: the process exited before its reads could be traced; cost skipped: no file was traced."
	if have := htmlTexts(t, page, "p", "partial"); !slices.Equal(have, []string{want}) {
		t.Errorf("partial %q", have)
	}
}

// Everything from the report is escaped: a command, a path, a summary.
func TestHTMLEscapes(t *testing.T) {
	const evil = "<script>alert(1)</script>"
	r := incidentReport()
	r.Hostname = evil
	r.Suspects[0].Comm = evil
	r.Files.Files[0].Path = `/x/"><img src=x onerror=alert(1)>`
	r.Conclusion.Summary = "it is `" + evil + "` and " + evil
	r.Steps[0].Status = `ok" onmouseover="alert(1)`
	page := renderHTML(t, r)
	checkWellFormed(t, page)
	if !strings.Contains(page, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Error("the command is not escaped as expected")
	}
	if !strings.Contains(page, "<code>&lt;script&gt;alert(1)&lt;/<wbr>script&gt;</code> and &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the summary is not escaped as expected")
	}
	rows := htmlTexts(t, page, "td", "")
	if !slices.Contains(rows, evil) || !slices.Contains(rows, `/x/"><img src=x onerror=alert(1)>`) {
		t.Error("the escaped values do not read back as they were")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			want := sc.report()
			var b bytes.Buffer
			if err := WriteJSON(&b, want); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.HasPrefix(out, "{\n  \"version\": 1,\n  \"id\": ") || !strings.HasSuffix(out, "\n}\n") {
				t.Errorf("not indented JSON with a trailing newline:\n%s", out)
			}
			have := &Report{}
			dec := json.NewDecoder(&b)
			dec.DisallowUnknownFields()
			if err := dec.Decode(have); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("round trip (-want +have):\n%s", diff)
			}
		})
	}
}

// Every field of the JSON is documented in docs/investigation.md, in a
// table row of its own.
func TestJSONDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/investigation.md")
	if err != nil {
		t.Fatal(err)
	}
	r := incidentReport()
	r.Target = Target{Mode: "pid", PID: 4242, Name: "kubelet"}
	r.Costs[0].Error = "e"
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*"([a-z_]+)": `).FindAllStringSubmatch(b.String(), -1) {
		keys[m[1]] = true
	}
	if len(keys) < 50 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		if k == "alertname" || k == "instance" || k == "severity" {
			continue // the alert's own labels
		}
		if !bytes.Contains(doc, []byte("| `"+k+"` |")) {
			t.Errorf("field %q is not documented", k)
		}
	}
}
