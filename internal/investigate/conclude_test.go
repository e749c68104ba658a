package investigate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/top"
)

// concluded runs conclude on what the steps would have found.
func concluded(main *top.Row, r *Report) Conclusion {
	inv := &investigation{r: r, main: main}
	if main != nil && len(r.Suspects) == 0 {
		r.Suspects = []Suspect{suspect(main)}
	}
	inv.conclude()
	return r.Conclusion
}

var kubelet = &top.Row{PID: 4242, Comm: "kubelet", CPU: 190, UserCPU: 28.5, SysCPU: 161.5, Container: "pod/0f3b3a30"}

func hostOf(busy, system float64) Host {
	return Host{CPUs: 2, Now: CPUSplit{User: busy - system, System: system, Idle: 1 - busy, Busy: busy}, Abnormal: abnormal(CPUSplit{User: busy - system, System: system, Idle: 1 - busy, Busy: busy})}
}

// The incident: kernel time in the read path, one file taking most reads,
// read again and timed.
func TestConcludeFile(t *testing.T) {
	const file = "/sys/fs/cgroup/blkio/kubepods/burstable/pod0f3b3a30/blkio.throttle.io_serviced"
	r := &Report{
		Host: hostOf(0.95, 0.80),
		Profile: &Profile{KernelFraction: 0.85, ReadPathFraction: 0.78, FilePathFraction: 0.8,
			KernelCallers: []Func{{"github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats", 0.77}},
			TopKernel:     []Func{{"blkcg_print_stat", 0.4}}},
		Files: &Files{WindowSeconds: 10, ReadSeconds: 9.4, Files: []FileRead{
			{Path: file, Opens: 20, Reads: 40, ReadSeconds: 8.6, MaxReadSecs: 3.6, OpensPerMin: 120, ShareOfReads: 8.6 / 9.4},
			{Path: "/proc/stat", Opens: 20, Reads: 40, ReadSeconds: 0.8, OpensPerMin: 120, ShareOfReads: 0.8 / 9.4},
		}},
		Costs: []Cost{{Path: file, Status: "ok", WallSeconds: 3.6, SystemSeconds: 3.5, Bytes: 43340, Lines: 2071}},
	}
	c := concluded(kubelet, r)
	want := "PID 4242 `kubelet` (container pod/0f3b3a30) uses 1.90 cores, 85% of it in the kernel. " +
		"85% of its samples are in the kernel, 80% opening, reading and closing files (78% reading), under `github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats`. " +
		"It read `" + file + "` 120 times a minute, 3.6 s and 2,071 lines each; those reads took 91% of the 9.4 s it spent reading files (86% of the 10 s traced). " +
		"`" + file + "` is the cause."
	if c.Summary != want {
		t.Errorf("summary:\n%s\nwant:\n%s", c.Summary, want)
	}
	if c.Confidence != "high" || !c.Abnormal || c.Cause != (Cause{Kind: "file", Name: file, PID: 4242}) {
		t.Errorf("confidence %q abnormal %v cause %+v", c.Confidence, c.Abnormal, c.Cause)
	}

	// The same, with the files sharing the time: not one cause.
	r.Files.Files[0].ShareOfReads, r.Files.Files[1].ShareOfReads = 0.2, 0.2
	c = concluded(kubelet, r)
	if c.Confidence != "low" || c.Cause.Kind != "process" || !strings.HasSuffix(c.Summary, "No single file explains it: the costliest takes 20% of its read time.") {
		t.Errorf("shared reads: %q, %s, %+v", c.Summary, c.Confidence, c.Cause)
	}

	// Kernel time that is not in reads: files do not explain it.
	r.Files.Files[0].ShareOfReads = 0.9
	r.Profile.ReadPathFraction, r.Profile.FilePathFraction = 0.05, 0.05
	c = concluded(kubelet, r)
	if c.Cause != (Cause{Kind: "function", Name: "blkcg_print_stat", PID: 4242}) || !strings.Contains(c.Summary, "But files are only 5% of its samples: they do not explain its kernel time, which is mostly in `blkcg_print_stat`.") {
		t.Errorf("kernel time outside reads: %q, %+v", c.Summary, c.Cause)
	}
}

// User time: the hot function, and no file.
func TestConcludeFunction(t *testing.T) {
	burner := &top.Row{PID: 7, Comm: "burner", CPU: 100, UserCPU: 99, SysCPU: 1}
	r := &Report{Host: hostOf(0.55, 0.02), Profile: &Profile{KernelFraction: 0.01,
		TopUser: []Func{{"main.spinUserFunction", 0.95}, {"runtime.mallocgc", 0.02}}}}
	c := concluded(burner, r)
	want := "PID 7 `burner` uses 1.00 cores, 1% of it in the kernel. 95% of its samples are in `main.spinUserFunction`. " +
		"`main.spinUserFunction` is where its CPU goes; no file is involved: its time is in user space."
	if c.Summary != want || c.Confidence != "high" || c.Cause != (Cause{Kind: "function", Name: "main.spinUserFunction", PID: 7}) {
		t.Errorf("got %q %s %+v\nwant %q", c.Summary, c.Confidence, c.Cause, want)
	}
	r.Profile.TopUser[0].Fraction = 0.1
	if c := concluded(burner, r); c.Confidence != "low" || !strings.HasSuffix(c.Summary, "Its time is spread over many functions; no single one explains it.") {
		t.Errorf("spread: %q %s", c.Summary, c.Confidence)
	}
}

func TestConcludeQuiet(t *testing.T) {
	r := &Report{Host: hostOf(0.10, 0.03)}
	inv := &investigation{r: r, busiest: &top.Row{PID: 99, Comm: "sshd", CPU: 2}}
	inv.conclude()
	want := "Nothing is abnormal. The host's 2 CPUs are 10% busy (user 7%, system 3%, iowait 0%, steal 0%). The busiest process, sshd (pid 99), uses 0.02 cores."
	if c := r.Conclusion; c.Summary != want || c.Abnormal || c.Confidence != "none" || c.Cause.Kind != "none" {
		t.Errorf("got %+v\nwant %q", c, want)
	}
	// Busy, but no process to blame.
	r = &Report{Host: hostOf(0.90, 0.40)}
	(&investigation{r: r}).conclude()
	if c := r.Conclusion; !c.Abnormal || !strings.Contains(c.Summary, "but no single process uses much of it") {
		t.Errorf("busy host, no process: %+v", c)
	}
}

// A process that exited: what was measured, and that it is partial.
func TestConcludeExited(t *testing.T) {
	r := &Report{Host: hostOf(0.55, 0.02), Profile: &Profile{TopUser: []Func{{"main.spinUserFunction", 0.9}}}}
	inv := &investigation{r: r, main: &top.Row{PID: 8, Comm: "brief", CPU: 100, UserCPU: 100}, exited: time.Second}
	r.Suspects = []Suspect{suspect(inv.main)}
	r.Conclusion.Partial = true
	inv.conclude()
	if c := r.Conclusion; !c.Partial || !strings.Contains(c.Summary, "It exited during the investigation; this report covers what was measured before.") {
		t.Errorf("exited: %+v", c)
	}
}

func TestAbnormal(t *testing.T) {
	have := abnormal(CPUSplit{User: 0.1, System: 0.25, SoftIRQ: 0.06, Iowait: 0.2, Steal: 0.1, Idle: 0.29, Busy: 0.51})
	want := []string{
		"31% of all CPU time is in the kernel (system 25%, irq 0%, softirq 6%)",
		"20% of CPU time waits for I/O",
		"10% of CPU time is stolen by the hypervisor",
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("abnormal (-want +have):\n%s", diff)
	}
}

func TestFromWebhook(t *testing.T) {
	tests := []struct {
		payload string
		want    Target
		name    string
		err     string
	}{
		{`{"alerts":[{"status":"resolved","labels":{"alertname":"Old"}},{"status":"firing","labels":{"alertname":"ProcessGroupSystemCPUHigh","groupname":"kubelet"}}]}`, Target{Mode: "name", Name: "kubelet"}, "ProcessGroupSystemCPUHigh", ""},
		{`{"alerts":[{"status":"firing","labels":{"alertname":"X","pid":"4242"}}]}`, Target{Mode: "pid", PID: 4242}, "X", ""},
		{`{"alerts":[{"status":"firing","labels":{"alertname":"HostCPUUsageHigh","instance":"h"}}]}`, Target{Mode: "auto"}, "HostCPUUsageHigh", ""},
		{`{"alerts":[]}`, Target{}, "", "the payload has no alerts"},
		{`not json`, Target{}, "", "not an Alertmanager webhook payload"},
	}
	for _, tt := range tests {
		al, target, err := FromWebhook(strings.NewReader(tt.payload))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.payload, err, tt.err)
			}
			continue
		}
		if err != nil || target != tt.want || al.Name != tt.name {
			t.Errorf("%s: %+v %+v %v; want %+v %s", tt.payload, al, target, err, tt.want, tt.name)
		}
	}
}

// The recent past from an agent's API: averages by mode, the busiest step.
func TestRecent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" || r.URL.Query().Get("query") != recentQuery {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"mode":"idle"},"values":[[1,"0.1"],[61,"0.3"]]},
			{"metric":{"mode":"system"},"values":[[1,"0.7"],[61,"0.5"]]},
			{"metric":{"mode":"user"},"values":[[1,"0.2"],[61,"0.2"]]}]}}`))
	}))
	defer srv.Close()
	inv := &investigation{r: &Report{}, o: Options{Agent: srv.URL}}
	if skip, err := inv.recent(context.Background()); skip != "" || err != nil {
		t.Fatalf("recent: %q %v", skip, err)
	}
	want := &Recent{Source: "agent " + srv.URL, WindowSeconds: 120, MaxBusy: 0.9,
		Average: CPUSplit{User: 0.2, System: 0.6, Idle: 0.2, Busy: 0.8}}
	if diff := cmp.Diff(want, inv.r.Host.Recent, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
		t.Errorf("recent (-want +have):\n%s", diff)
	}
	if len(inv.r.Host.Abnormal) != 1 || !strings.Contains(inv.r.Host.Abnormal[0], "over the last 2 minutes the CPUs were 80% busy") {
		t.Errorf("abnormal %q", inv.r.Host.Abnormal)
	}
	// No agent: skipped with the reason, not failed.
	inv = &investigation{r: &Report{}, o: Options{Agent: "http://127.0.0.1:1"}}
	if skip, err := inv.recent(context.Background()); !strings.HasPrefix(skip, "no agent answers at http://127.0.0.1:1") || err != nil {
		t.Errorf("no agent: %q %v", skip, err)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 2071: "2,071", 121867: "121,867", 1234567: "1,234,567", -2071: "-2,071"} {
		if have := count(n); have != want {
			t.Errorf("count(%d) = %q, want %q", n, have, want)
		}
	}
}

func TestAttribution(t *testing.T) {
	for name, want := range map[string]bool{
		"pvm_irq_enable": true, "_raw_spin_unlock_irqrestore": true, "__raw_callee_save_pvm_irq_enable": true,
		"trace_call_bpf": true, "bpf_probe_read_kernel": true, "copy_from_kernel_nofault": true, "__bpf_prog_run": true,
		"vfs_read": false, "kallsyms_expand_symbol.constprop.0": false, "blkcg_print_stat": false, "memcpy": false,
	} {
		if have := attribution(name); have != want {
			t.Errorf("attribution(%q) = %v, want %v", name, have, want)
		}
	}
}
