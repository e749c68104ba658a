package procfs

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// UserHZ is USER_HZ, the unit of the CPU times in /proc/stat: ticks per
// second. The kernel's own tick rate (CONFIG_HZ: 100, 250, 300 or 1000)
// varies from build to build, but the times it shows user space are
// converted to USER_HZ, which is part of the ABI and is 100 on every
// architecture but Alpha (1024), where mihari does not run. C programs ask
// sysconf(_SC_CLK_TCK), which returns the AT_CLKTCK entry of the auxiliary
// vector; for a value that cannot change, a constant saves that lookup.
// Divide a CPUTime field by UserHZ to get seconds.
// See https://man7.org/linux/man-pages/man5/proc_stat.5.html.
const UserHZ = 100

// CPUTime is the time one CPU, or all of them together, spent in each state
// since boot, in USER_HZ ticks (see UserHZ). Columns that an older kernel
// does not write are 0.
type CPUTime struct {
	// User is time in user mode; it includes Guest.
	User uint64
	// Nice is time in user mode at low priority (nice > 0); it includes
	// GuestNice.
	Nice uint64
	// System is time in kernel mode.
	System uint64
	// Idle is time in the idle task.
	Idle uint64
	// Iowait is idle time while some I/O was outstanding (Linux 2.5.41);
	// the kernel documents it as unreliable.
	Iowait uint64
	// IRQ is time servicing hardware interrupts (Linux 2.6.0).
	IRQ uint64
	// SoftIRQ is time servicing softirqs (Linux 2.6.0).
	SoftIRQ uint64
	// Steal is time a hypervisor ran something else while this virtual CPU
	// wanted to run (Linux 2.6.11).
	Steal uint64
	// Guest is time running a guest's virtual CPU (Linux 2.6.24).
	Guest uint64
	// GuestNice is time running a niced guest's virtual CPU (Linux 2.6.33).
	GuestNice uint64
}

// cpuTimeColumns is the number of columns of a cpu line that CPUTime holds.
const cpuTimeColumns = 10

// CPU is the line of one CPU in /proc/stat.
type CPU struct {
	// ID is N of the "cpuN" line.
	ID int
	CPUTime
}

// Stat is /proc/stat.
type Stat struct {
	// Total is the "cpu" line, the sum over all CPUs.
	Total CPUTime
	// CPUs are the "cpuN" lines in file order; offline CPUs are absent
	// from the file and so from here.
	CPUs []CPU
	// IntrTotal is the first number of "intr", interrupts serviced since
	// boot; the per-interrupt counts after it are not parsed.
	IntrTotal uint64
	// ContextSwitches is "ctxt", context switches since boot.
	ContextSwitches uint64
	// BootTime is "btime", the boot time in seconds since the epoch.
	BootTime uint64
	// Forks is "processes", the processes and threads created since boot.
	Forks uint64
	// ProcsRunning is "procs_running", the threads runnable now.
	ProcsRunning uint64
	// ProcsBlocked is "procs_blocked", the threads blocked on I/O now.
	ProcsBlocked uint64
	// SoftIRQTotal is the first number of "softirq", softirqs serviced
	// since boot.
	SoftIRQTotal uint64
	// SoftIRQ are the numbers of "softirq" after the total, one a vector in
	// file order (hi timer net_tx net_rx block irq_poll tasklet sched
	// hrtimer rcu on current kernels).
	SoftIRQ []uint64
}

// ParseStat parses /proc/stat. It is strict: a malformed line of a kind it
// knows (cpu, cpuN, intr, ctxt, btime, processes, procs_running,
// procs_blocked, softirq) makes it return Stat{} and an error naming the
// line, and so does a file without a "cpu" line. Other lines are ignored.
// A cpu line needs at least one number; up to ten are parsed.
func ParseStat(b []byte) (Stat, error) {
	var st Stat
	// One allocation for all cpuN lines; on a machine with hundreds of
	// CPUs, growing the slice by appending would copy it a dozen times.
	if n := bytes.Count(b, []byte("\ncpu")); n > 0 {
		st.CPUs = make([]CPU, 0, n)
	}
	haveTotal := false
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		key, rest := kerneltext.NextField(line)
		var err error
		switch string(key) {
		case "cpu":
			st.Total, err = parseCPUTime(rest)
			haveTotal = true
		case "intr":
			// The per-interrupt counts are not parsed: there can be
			// thousands, and mihari exports only the total.
			st.IntrTotal, err = parseFirstUint(rest)
		case "ctxt":
			st.ContextSwitches, err = parseOnlyUint(rest)
		case "btime":
			st.BootTime, err = parseOnlyUint(rest)
		case "processes":
			st.Forks, err = parseOnlyUint(rest)
		case "procs_running":
			st.ProcsRunning, err = parseOnlyUint(rest)
		case "procs_blocked":
			st.ProcsBlocked, err = parseOnlyUint(rest)
		case "softirq":
			st.SoftIRQTotal, st.SoftIRQ, err = parseSoftIRQ(rest)
		default:
			if !bytes.HasPrefix(key, []byte("cpu")) {
				continue
			}
			var cpu CPU
			cpu, err = parseCPU(key, rest)
			st.CPUs = append(st.CPUs, cpu)
		}
		if err != nil {
			return Stat{}, kerneltext.LineError(n, line, err)
		}
	}
	if !haveTotal {
		return Stat{}, errors.New(`no "cpu" line`)
	}
	if len(st.CPUs) == 0 {
		// The count above also matched lines such as "cpu\t1"; a Stat
		// without cpuN lines has nil CPUs, not an empty slice.
		st.CPUs = nil
	}
	return st, nil
}

// parseCPU parses a "cpuN" line, key being "cpuN".
func parseCPU(key, rest []byte) (CPU, error) {
	id, err := kerneltext.ParseUint(key[len("cpu"):], 31)
	if err != nil {
		return CPU{}, fmt.Errorf("cpu number: %w", err)
	}
	t, err := parseCPUTime(rest)
	if err != nil {
		return CPU{}, err
	}
	return CPU{ID: int(id), CPUTime: t}, nil
}

// parseCPUTime parses the columns of a cpu line. Columns beyond the ten
// CPUTime knows are left for a future kernel's meaning and not parsed.
func parseCPUTime(rest []byte) (CPUTime, error) {
	var v [cpuTimeColumns]uint64
	n := 0
	for ; n < len(v); n++ {
		var f []byte
		var err error
		if v[n], f, rest, err = kerneltext.NextUint(rest); err != nil {
			return CPUTime{}, err
		}
		if len(f) == 0 {
			break
		}
	}
	if n == 0 {
		return CPUTime{}, errors.New("no cpu times")
	}
	return CPUTime{
		User: v[0], Nice: v[1], System: v[2], Idle: v[3], Iowait: v[4],
		IRQ: v[5], SoftIRQ: v[6], Steal: v[7], Guest: v[8], GuestNice: v[9],
	}, nil
}

// parseFirstUint parses the first field of rest, which must exist, and
// ignores the others.
func parseFirstUint(rest []byte) (uint64, error) {
	f, _ := kerneltext.NextField(rest)
	if len(f) == 0 {
		return 0, errors.New("no number")
	}
	return kerneltext.ParseUint(f, 64)
}

// parseOnlyUint parses rest, which must be one number.
func parseOnlyUint(rest []byte) (uint64, error) {
	f, rest := kerneltext.NextField(rest)
	if len(f) == 0 {
		return 0, errors.New("no number")
	}
	if !kerneltext.IsBlankLine(rest) {
		return 0, errors.New("more than one number")
	}
	return kerneltext.ParseUint(f, 64)
}

// parseSoftIRQ parses the numbers of the softirq line: the total, then one
// a vector.
func parseSoftIRQ(rest []byte) (uint64, []uint64, error) {
	total, err := parseFirstUint(rest)
	if err != nil {
		return 0, nil, err
	}
	_, rest = kerneltext.NextField(rest)
	var vectors []uint64
	for {
		var f []byte
		f, rest = kerneltext.NextField(rest)
		if len(f) == 0 {
			return total, vectors, nil
		}
		v, err := kerneltext.ParseUint(f, 64)
		if err != nil {
			return 0, nil, err
		}
		if vectors == nil {
			// NR_SOFTIRQS is 10 on current kernels: one allocation.
			vectors = make([]uint64, 0, 10)
		}
		vectors = append(vectors, v)
	}
}
