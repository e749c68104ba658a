// Package top computes what `mihari top` shows: from two samples of the
// host (processes, /proc/stat, load, memory, and what mihari's own reads
// cost), one Frame of rates; the order and filter of its rows; and its
// rendering as plain text or JSON. The terminal user interface is in
// package top/tui; nothing here needs a terminal.
package top

import (
	"cmp"
	"slices"
	"time"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/collect/process"
	"github.com/mihari-dev/mihari/internal/procfs"
)

// Sample is one reading of the host, the input of Compute.
type Sample struct {
	// Time is when the sample started, before any of it was read; the
	// rates of mihari's own cost are over the time between two samples'
	// Times.
	Time time.Time
	// Procs are the processes; their rates are over the time between two
	// snapshots' Times.
	Procs *process.Snapshot
	// CPU is the "cpu" line of /proc/stat, NCPU the number of cpuN lines.
	CPU  procfs.CPUTime
	NCPU int
	Load procfs.LoadAvg
	// MemTotal and MemAvailable are MemTotal and MemAvailable of
	// /proc/meminfo, in bytes.
	MemTotal, MemAvailable uint64
	// SelfCPU is the user plus system CPU this process has used
	// (getrusage(RUSAGE_SELF)) when the sample started.
	SelfCPU time.Duration
	// Sources are the source layer's accounting when the sample started.
	Sources []collect.SourceStats
}

// Frame is what one screen of `mihari top` shows: rates over the interval
// between two samples.
type Frame struct {
	// Time is when the later sample was taken.
	Time time.Time
	// Interval is the time between the two samples.
	Interval time.Duration
	Host     Host
	// Monitoring is what watching the host costs.
	Monitoring Monitoring
	// Rows are every process of the later sample, in no particular order;
	// see Arrange.
	Rows []Row
}

// Host is the host-wide part of a Frame.
type Host struct {
	// CPU is how all CPUs together spent the interval, in percent.
	CPU CPUSplit
	// NCPU is the number of CPUs online.
	NCPU                 int
	Load1, Load5, Load15 float64
	// MemTotal, MemAvailable and MemUsed (total less available) are in
	// bytes.
	MemTotal, MemAvailable, MemUsed uint64
	// Processes is the number of processes, Running those in state R.
	Processes, Running int
}

// CPUSplit is the time of all CPUs by mode, in percent of the interval.
// Guest time is part of User and Nice, as in /proc/stat.
type CPUSplit struct {
	User, Nice, System, Idle, Iowait, IRQ, SoftIRQ, Steal float64
}

// Monitoring is the cost of watching: this process's CPU, the source (file
// pattern) whose reads cost the most CPU, and other mihari processes.
type Monitoring struct {
	// SelfPID is this process's PID.
	SelfPID int
	// SelfCPU is this process's CPU over the interval, in percent of one
	// CPU.
	SelfCPU float64
	// SourcesCPU is the CPU of all reads through the source layer, in CPU
	// seconds per second.
	SourcesCPU float64
	// Costliest is the pattern of the source whose reads cost the most
	// CPU over the interval, "" when no read cost any; CostliestCPU is
	// that cost in CPU seconds per second and CostliestReads the number
	// of its reads.
	Costliest      string
	CostliestCPU   float64
	CostliestReads int64
	// Others are the other processes named mihari (an agent, say).
	Others []Agent
}

// Agent is another mihari process.
type Agent struct {
	PID int
	// CPU is its CPU over the interval in percent of one CPU.
	CPU float64
}

// Row is one process of a Frame.
type Row struct {
	PID int
	UID uint64
	// User is the name of UID, or UID as a number when it has none.
	User string
	// CPU, UserCPU and SysCPU are the CPU the process used over the
	// interval, in percent of one CPU (as top shows it): in all, in user
	// mode and in system (kernel) mode.
	CPU, UserCPU, SysCPU float64
	// RSS is the resident memory in bytes.
	RSS uint64
	// ReadRate and WriteRate are storage I/O in bytes per second, valid
	// when IOKnown (/proc/PID/io was readable in both samples).
	ReadRate, WriteRate float64
	IOKnown             bool
	Threads             int64
	State               byte
	// Cgroup is the process's cgroup path, Container what it says about
	// a container (see Container).
	Cgroup, Container string
	Comm              string
}

// ComputeOptions are what Compute needs besides the samples.
type ComputeOptions struct {
	// SelfPID is this process's PID: not counted among the other mihari
	// processes.
	SelfPID int
	// UserName names a user ID; nil leaves the number.
	UserName func(uid uint64) string
}

// agentComm is the comm of a mihari process.
const agentComm = "mihari"

// procKey identifies a process across samples: PIDs are reused.
type procKey struct {
	pid   int
	start int64
}

// btimeSlack is how far a process's start time may be off: the boot time
// it is computed from has whole seconds.
const btimeSlack = time.Second

// Compute turns two samples, prev taken before cur, into a Frame.
func Compute(prev, cur *Sample, o ComputeOptions) *Frame {
	f := &Frame{Time: cur.Procs.Time, Interval: cur.Procs.Time.Sub(prev.Procs.Time)}
	f.Host = host(prev, cur)
	f.Rows = rows(prev.Procs, cur.Procs, f.Host.NCPU, o)
	f.Host.Processes = len(f.Rows)
	for i := range f.Rows {
		if f.Rows[i].State == 'R' {
			f.Host.Running++
		}
	}
	f.Monitoring = monitoring(prev, cur, f.Rows, o.SelfPID)
	return f
}

func host(prev, cur *Sample) Host {
	h := Host{
		NCPU:  cur.NCPU,
		Load1: cur.Load.Load1, Load5: cur.Load.Load5, Load15: cur.Load.Load15,
		MemTotal: cur.MemTotal, MemAvailable: cur.MemAvailable,
	}
	if cur.MemAvailable < cur.MemTotal {
		h.MemUsed = cur.MemTotal - cur.MemAvailable
	}
	a, b := prev.CPU, cur.CPU
	d := func(x, y uint64) float64 {
		if y < x { // a CPU went offline and took its ticks with it
			return 0
		}
		return float64(y - x)
	}
	split := [...]float64{
		d(a.User, b.User), d(a.Nice, b.Nice), d(a.System, b.System), d(a.Idle, b.Idle),
		d(a.Iowait, b.Iowait), d(a.IRQ, b.IRQ), d(a.SoftIRQ, b.SoftIRQ), d(a.Steal, b.Steal),
	}
	var total float64
	for _, v := range split {
		total += v
	}
	if total == 0 {
		return h
	}
	pct := func(v float64) float64 { return v * 100 / total }
	h.CPU = CPUSplit{
		User: pct(split[0]), Nice: pct(split[1]), System: pct(split[2]), Idle: pct(split[3]),
		Iowait: pct(split[4]), IRQ: pct(split[5]), SoftIRQ: pct(split[6]), Steal: pct(split[7]),
	}
	return h
}

func rows(prev, cur *process.Snapshot, ncpu int, o ComputeOptions) []Row {
	before := make(map[procKey]*process.Proc, len(prev.Procs))
	for _, p := range prev.Procs {
		before[procKey{p.PID, p.Start.UnixNano()}] = p
	}
	// Multiplying before dividing keeps round numbers round.
	ns := float64(cur.Time.Sub(prev.Time))
	rate := func(from, to uint64) float64 {
		if to < from || ns <= 0 {
			return 0
		}
		return float64(to-from) * 1e9 / ns
	}
	pct := func(from, to time.Duration) float64 { return float64(max(to-from, 0)) * 100 / ns }
	// The most CPU one process can use, in percent of one CPU; counters
	// read at slightly different moments can make a busy process seem to
	// use a little more.
	maxCPU := float64(max(ncpu, 1)) * 100
	out := make([]Row, 0, len(cur.Procs))
	for _, p := range cur.Procs {
		r := Row{
			PID: p.PID, UID: p.UID, User: userName(o.UserName, p.UID),
			RSS: p.RSS, Threads: p.Threads, State: p.State,
			Cgroup: p.Cgroup, Container: Container(p.Cgroup), Comm: p.Comm,
		}
		old, ok := before[procKey{p.PID, p.Start.UnixNano()}]
		if !ok && !p.Start.Before(prev.Time.Add(-btimeSlack)) {
			// Started during the interval: everything it used, it used
			// since the previous sample.
			old, ok = &process.Proc{IOKnown: p.IOKnown}, true
		}
		if ok && ns > 0 {
			r.UserCPU, r.SysCPU = pct(old.UTime, p.UTime), pct(old.STime, p.STime)
			r.CPU = r.UserCPU + r.SysCPU
			if r.CPU > maxCPU {
				r.UserCPU, r.SysCPU = r.UserCPU*maxCPU/r.CPU, r.SysCPU*maxCPU/r.CPU
				r.CPU = maxCPU
			}
			if p.IOKnown && old.IOKnown {
				r.ReadRate, r.WriteRate = rate(old.ReadBytes, p.ReadBytes), rate(old.WriteBytes, p.WriteBytes)
				r.IOKnown = true
			}
		}
		out = append(out, r)
	}
	return out
}

func userName(name func(uint64) string, uid uint64) string {
	if name != nil {
		if n := name(uid); n != "" {
			return n
		}
	}
	return formatUint(uid)
}

func monitoring(prev, cur *Sample, rows []Row, self int) Monitoring {
	m := Monitoring{SelfPID: self}
	ns := float64(cur.Time.Sub(prev.Time))
	if ns > 0 {
		m.SelfCPU = float64(max(cur.SelfCPU-prev.SelfCPU, 0)) * 100 / ns
		before := make(map[string]collect.SourceStats, len(prev.Sources))
		for _, s := range prev.Sources {
			before[s.Pattern] = s
		}
		var most time.Duration
		for _, s := range cur.Sources {
			old := before[s.Pattern]
			cost := max(s.User+s.System-old.User-old.System, 0)
			m.SourcesCPU += float64(cost) / ns
			// Sources come sorted by pattern: a tie goes to the first, so
			// the choice is stable from frame to frame.
			if cost > most {
				most = cost
				m.Costliest, m.CostliestCPU, m.CostliestReads = s.Pattern, float64(cost)/ns, s.Reads-old.Reads
			}
		}
	}
	for _, r := range rows {
		if r.Comm == agentComm && r.PID != self {
			m.Others = append(m.Others, Agent{PID: r.PID, CPU: r.CPU})
		}
	}
	slices.SortFunc(m.Others, func(a, b Agent) int { return cmp.Compare(a.PID, b.PID) })
	return m
}
