package top

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/collect/process"
	"github.com/mihari-dev/mihari/internal/procfs"
)

var (
	t0 = time.Date(2026, 11, 25, 16, 39, 30, 0, time.UTC)
	t1 = t0.Add(2 * time.Second)
)

const (
	ms  = time.Millisecond
	sec = time.Second
	mib = 1 << 20
)

// samples are two samples 2 s apart of a host with four CPUs:
//
//	100 postgres  1 s user + 0.5 s system, reads 4 MiB and writes 8 KiB
//	200 kubelet   3 s system; its I/O cannot be read
//	300 new       a new process under a reused PID, started 0.5 s before
//	              the second sample: all its CPU and I/O count
//	400 mihari    this process
//	401 mihari    another mihari, 20 ms user
//	500 late      running before the first sample but missing from it:
//	              no rates
//	600 gone      only in the first sample
func samples() (prev, cur *Sample) {
	hour := t0.Add(-time.Hour)
	prev = &Sample{
		Time: t0.Add(-ms), NCPU: 4,
		CPU:     procfs.CPUTime{User: 1000, System: 500, Idle: 8000, Iowait: 100, SoftIRQ: 50, Steal: 10, Guest: 7},
		Load:    procfs.LoadAvg{Load1: 9, Load5: 9, Load15: 9},
		SelfCPU: time.Second,
		Sources: []collect.SourceStats{
			{Pattern: "/proc/[pid]/stat", Reads: 100, User: 5 * ms, System: 10 * ms},
			{Pattern: "/proc/[pid]/status", Reads: 100, User: 10 * ms, System: 20 * ms},
		},
		Procs: &process.Snapshot{Time: t0, Procs: []*process.Proc{
			{PID: 100, Comm: "postgres", State: 'S', Start: hour, UTime: 10 * sec, STime: 5 * sec, ReadBytes: 1000, IOKnown: true},
			{PID: 200, Comm: "kubelet", State: 'S', Start: hour, UTime: sec, STime: sec},
			{PID: 300, Comm: "old", State: 'S', Start: hour, UTime: 50 * sec, IOKnown: true, ReadBytes: 1 << 30},
			{PID: 400, Comm: "mihari", State: 'R', Start: t0.Add(-time.Minute), UTime: sec, IOKnown: true},
			{PID: 401, Comm: "mihari", State: 'S', Start: hour, UTime: 7 * sec, IOKnown: true},
			{PID: 600, Comm: "gone", State: 'S', Start: hour},
		}},
	}
	cur = &Sample{
		Time: t1.Add(-ms), NCPU: 4,
		// +200 user, +100 system, +680 idle, +10 iowait, +5 irq,
		// +3 softirq, +2 steal: 1000 ticks; guest is part of user.
		CPU:          procfs.CPUTime{User: 1200, System: 600, Idle: 8680, Iowait: 110, IRQ: 5, SoftIRQ: 53, Steal: 12, Guest: 107},
		Load:         procfs.LoadAvg{Load1: 0.52, Load5: 0.48, Load15: 0.4},
		MemTotal:     16 << 30,
		MemAvailable: 12 << 30,
		SelfCPU:      time.Second + 12*ms,
		Sources: []collect.SourceStats{
			{Pattern: "/proc/[pid]/stat", Reads: 1412, User: 5*ms + 100*time.Microsecond, System: 10*ms + 200*time.Microsecond},
			{Pattern: "/proc/[pid]/status", Reads: 1412, User: 10*ms + 140*time.Microsecond, System: 20*ms + 280*time.Microsecond},
			{Pattern: "/proc/loadavg", Reads: 1, User: 20 * time.Microsecond, System: 30 * time.Microsecond},
		},
		Procs: &process.Snapshot{Time: t1, Procs: []*process.Proc{
			{PID: 100, Comm: "postgres", State: 'S', Start: hour, UTime: 11 * sec, STime: 5*sec + 500*ms,
				ReadBytes: 1000 + 4*mib, WriteBytes: 8192, IOKnown: true, RSS: 100 * mib, Threads: 1, UID: 999,
				Cgroup: "/system.slice/postgresql.service"},
			{PID: 200, Comm: "kubelet", State: 'S', Start: hour, UTime: sec, STime: 4 * sec, RSS: 80 * mib, Threads: 40,
				Cgroup: "/system.slice/kubelet.service"},
			{PID: 300, Comm: "new", State: 'R', Start: t1.Add(-500 * ms), UTime: 200 * ms, STime: 100 * ms,
				ReadBytes: 8192, IOKnown: true, RSS: 4096, Threads: 1, UID: 1000,
				Cgroup: "/kubepods/burstable/pod0f0e1d2c-3b4a-5968-7788-99aabbccddee/" + containerID},
			{PID: 400, Comm: "mihari", State: 'R', Start: t0.Add(-time.Minute), UTime: sec + 12*ms, IOKnown: true, RSS: 30 * mib, Threads: 8},
			{PID: 401, Comm: "mihari", State: 'S', Start: hour, UTime: 7*sec + 20*ms, IOKnown: true, RSS: 20 * mib, Threads: 9},
			{PID: 500, Comm: "late", State: 'S', Start: hour, UTime: 100 * sec, IOKnown: true, ReadBytes: 1 << 20},
		}},
	}
	return prev, cur
}

const containerID = "4f1c5a0e8d2b7c6a9e3f1d0b2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d"

var names = map[uint64]string{0: "root", 999: "postgres"}

func compute() *Frame {
	prev, cur := samples()
	return Compute(prev, cur, ComputeOptions{SelfPID: 400, UserName: func(uid uint64) string { return names[uid] }})
}

func TestTopComputeHost(t *testing.T) {
	f := compute()
	want := Host{
		CPU:   CPUSplit{User: 20, System: 10, Idle: 68, Iowait: 1, IRQ: 0.5, SoftIRQ: 0.3, Steal: 0.2},
		NCPU:  4,
		Load1: 0.52, Load5: 0.48, Load15: 0.4,
		MemTotal: 16 << 30, MemAvailable: 12 << 30, MemUsed: 4 << 30,
		Processes: 6, Running: 2,
	}
	if diff := cmp.Diff(want, f.Host); diff != "" {
		t.Errorf("host (-want +have):\n%s", diff)
	}
	if f.Time != t1 || f.Interval != 2*sec {
		t.Errorf("time %v, interval %v; want %v and 2s", f.Time, f.Interval, t1)
	}
}

func TestTopComputeRows(t *testing.T) {
	f := compute()
	want := []Row{
		{PID: 100, UID: 999, User: "postgres", CPU: 75, UserCPU: 50, SysCPU: 25, RSS: 100 * mib,
			ReadRate: 2 * mib, WriteRate: 4096, IOKnown: true, Threads: 1, State: 'S',
			Cgroup: "/system.slice/postgresql.service", Container: "postgresql.service", Comm: "postgres"},
		{PID: 200, UID: 0, User: "root", CPU: 150, SysCPU: 150, RSS: 80 * mib, Threads: 40, State: 'S',
			Cgroup: "/system.slice/kubelet.service", Container: "kubelet.service", Comm: "kubelet"},
		{PID: 300, UID: 1000, User: "1000", CPU: 15, UserCPU: 10, SysCPU: 5, RSS: 4096,
			ReadRate: 4096, IOKnown: true, Threads: 1, State: 'R',
			Cgroup: "/kubepods/burstable/pod0f0e1d2c-3b4a-5968-7788-99aabbccddee/" + containerID, Container: "4f1c5a0e8d2b", Comm: "new"},
		{PID: 400, User: "root", CPU: 0.6, UserCPU: 0.6, RSS: 30 * mib, IOKnown: true, Threads: 8, State: 'R', Container: "-", Comm: "mihari"},
		{PID: 401, User: "root", CPU: 1, UserCPU: 1, RSS: 20 * mib, IOKnown: true, Threads: 9, State: 'S', Container: "-", Comm: "mihari"},
		{PID: 500, User: "root", State: 'S', Container: "-", Comm: "late"},
	}
	if diff := cmp.Diff(want, f.Rows); diff != "" {
		t.Errorf("rows (-want +have):\n%s", diff)
	}
}

// A process cannot use more than all CPUs; counters read moments apart can
// make it seem to.
func TestTopComputeCapsCPU(t *testing.T) {
	prev, cur := samples()
	cur.Procs.Procs[1].STime = 9 * sec // with 2 s of user time: 500% of one CPU on 4 CPUs
	cur.Procs.Procs[1].UTime = 3 * sec
	f := Compute(prev, cur, ComputeOptions{})
	r := f.Rows[1]
	if r.CPU != 400 || r.UserCPU != 80 || r.SysCPU != 320 {
		t.Errorf("cpu %v = %v user + %v system, want 400 = 80 + 320", r.CPU, r.UserCPU, r.SysCPU)
	}
}

func TestTopComputeMonitoring(t *testing.T) {
	f := compute()
	want := Monitoring{
		SelfPID:        400,
		SelfCPU:        0.6,
		SourcesCPU:     (300 + 420 + 50) * 1e3 / 2e9,
		Costliest:      "/proc/[pid]/status",
		CostliestCPU:   0.00021,
		CostliestReads: 1312,
		Others:         []Agent{{PID: 401, CPU: 1}},
	}
	if diff := cmp.Diff(want, f.Monitoring); diff != "" {
		t.Errorf("monitoring (-want +have):\n%s", diff)
	}
}

func TestTopCostliestSource(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prev, cur  []collect.SourceStats
		want       string
		wantReads  int64
		wantPerSec float64
	}{
		{
			name: "nothing read",
			prev: []collect.SourceStats{{Pattern: "/proc/stat", Reads: 3, User: ms}},
			cur:  []collect.SourceStats{{Pattern: "/proc/stat", Reads: 3, User: ms}},
		},
		{
			name: "system time counts as much as user time",
			cur: []collect.SourceStats{
				{Pattern: "/a", Reads: 1, User: 3 * ms},
				{Pattern: "/b", Reads: 2, System: 4 * ms},
			},
			want: "/b", wantReads: 2, wantPerSec: 0.002,
		},
		{
			name: "the cost over the interval, not since start",
			prev: []collect.SourceStats{{Pattern: "/a", Reads: 10, User: sec}, {Pattern: "/b", Reads: 10}},
			cur:  []collect.SourceStats{{Pattern: "/a", Reads: 11, User: sec + ms}, {Pattern: "/b", Reads: 30, User: 2 * ms}},
			want: "/b", wantReads: 20, wantPerSec: 0.001,
		},
		{
			name: "a tie goes to the first pattern",
			cur:  []collect.SourceStats{{Pattern: "/a", Reads: 1, User: ms}, {Pattern: "/b", Reads: 1, User: ms}},
			want: "/a", wantReads: 1, wantPerSec: 0.0005,
		},
	} {
		prev, cur := samples()
		prev.Sources, cur.Sources = tc.prev, tc.cur
		m := Compute(prev, cur, ComputeOptions{}).Monitoring
		if m.Costliest != tc.want || m.CostliestReads != tc.wantReads || m.CostliestCPU != tc.wantPerSec {
			t.Errorf("%s: costliest %q, %d reads, %v s/s; want %q, %d, %v",
				tc.name, m.Costliest, m.CostliestReads, m.CostliestCPU, tc.want, tc.wantReads, tc.wantPerSec)
		}
	}
}
