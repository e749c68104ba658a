package procfs

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// PidStat is /proc/[pid]/stat, the line ps(1) reads: the fields of it that
// mihari exports. See proc_pid_stat(5); the field numbers below are the
// man page's, counting from 1.
type PidStat struct {
	// PID is the process ID (field 1).
	PID int
	// Comm is the command name (field 2) without the parentheses around
	// it: the executable's name cut to 15 bytes, or what the process set
	// with prctl(PR_SET_NAME). It can hold any byte but NUL, spaces,
	// parentheses and newlines included. A workqueue worker's is longer
	// than 15 bytes ("kworker/0:1-events").
	Comm string
	// State is the state letter (field 3): 'R' running, 'S' sleeping, 'D'
	// in uninterruptible (disk) sleep, 'Z' zombie, 'T' stopped, 't' stopped
	// by a tracer, 'X' dead, 'I' idle kernel thread, and letters older
	// kernels used ('W', 'K', 'P', 'x').
	State byte
	// PPID is the parent's PID (field 4); 0 for init and kthreadd, and for
	// a process whose parent is outside the reader's PID namespace.
	PPID int
	// MinFlt is the minor page faults, those that needed no disk read
	// (field 10).
	MinFlt uint64
	// MajFlt is the major page faults, those that read a page from disk
	// (field 12).
	MajFlt uint64
	// UTime is the time scheduled in user mode, guest time included, in
	// USER_HZ ticks (field 14; see UserHZ).
	UTime uint64
	// STime is the time scheduled in kernel mode, in USER_HZ ticks
	// (field 15).
	STime uint64
	// Priority is the scheduling priority as the kernel shows it (field
	// 18): nice + 20 for normal processes, -2 to -100 for real-time ones.
	Priority int64
	// Nice is the nice value, -20 (high priority) to 19 (field 19).
	Nice int64
	// NumThreads is the number of threads (field 20).
	NumThreads int64
	// StartTime is when the process started, in USER_HZ ticks after boot
	// (field 22).
	StartTime uint64
	// VSize is the virtual memory size in bytes (field 23).
	VSize uint64
	// RSS is the resident set size in pages (field 24); multiply by the
	// page size for bytes.
	RSS int64
	// Processor is the CPU the process last ran on (field 39, Linux
	// 2.2.8), or -1 when the line stops before it.
	Processor int64
	// DelayAcctBlkioTicks is the time spent waiting for block I/O, in
	// USER_HZ ticks (field 42, Linux 2.6.18), or 0 when the line stops
	// before it. The kernel counts it only while delay accounting is on
	// (the delayacct boot option or kernel.task_delayacct sysctl).
	DelayAcctBlkioTicks uint64
}

const (
	// minPidStatFields is the fields a line needs: up to rss, which
	// every kernel mihari could meet writes.
	minPidStatFields = 24
	// pidStatProcessor is the field number of processor.
	pidStatProcessor = 39
	// pidStatDelayAcct is the field number of delayacct_blkio_ticks, the
	// last one parsed; the ones after it are not looked at.
	pidStatDelayAcct = 42
)

// ParsePidStat parses /proc/[pid]/stat. It is strict: a malformed field of
// those PidStat holds, or a line of fewer than 24 fields, makes it return
// PidStat{} and an error. The other fields are skipped without being
// parsed; fields 39 and 42 are parsed when the line reaches them, and the
// fields after 42 are ignored.
//
// Comm is what lies between the first '(' and the last ')' of the file:
// a process can name itself "a) R 1 (b", and the fields after the name
// hold no parenthesis, so only the last ')' is sure to close it.
func ParsePidStat(b []byte) (PidStat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return PidStat{}, fmt.Errorf("%s: no command name in parentheses", kerneltext.Quote(b))
	}
	st := PidStat{Processor: -1}
	pid, err := parsePidStatPID(b[:open])
	if err != nil {
		return PidStat{}, fmt.Errorf("%s: pid: %w", kerneltext.Quote(b), err)
	}
	st.PID = pid
	st.Comm = string(b[open+1 : end])
	// The comm may hold a newline; what follows it does not, so the line
	// ends at the first newline after it.
	rest, _ := kerneltext.NextLine(b[end+1:])
	n := 2
	for n < pidStatDelayAcct {
		var f []byte
		if f, rest = kerneltext.NextField(rest); len(f) == 0 {
			break
		}
		n++
		if err := st.setField(n, f); err != nil {
			return PidStat{}, fmt.Errorf("%s: field %d %w", kerneltext.Quote(b), n, err)
		}
	}
	if n < minPidStatFields {
		return PidStat{}, fmt.Errorf("%s: want at least %d fields, have %d", kerneltext.Quote(b), minPidStatFields, n)
	}
	return st, nil
}

// parsePidStatPID parses what precedes the comm: the PID and a blank.
func parsePidStatPID(s []byte) (int, error) {
	f, rest := kerneltext.NextField(s)
	switch {
	case len(f) == 0:
		return 0, errors.New("no pid")
	case !kerneltext.IsBlankLine(rest):
		return 0, fmt.Errorf("text %s after it", kerneltext.Quote(rest))
	}
	v, err := kerneltext.ParseUint(f, 31)
	return int(v), err
}

// setField parses field number n, f, into st if st holds it.
func (st *PidStat) setField(n int, f []byte) error {
	var name string
	var err error
	switch n {
	case 3:
		if len(f) != 1 {
			return fmt.Errorf("(state): %s is not one letter", kerneltext.Quote(f))
		}
		st.State = f[0]
	case 4:
		name = "ppid"
		var v uint64
		v, err = kerneltext.ParseUint(f, 31)
		st.PPID = int(v)
	case 10:
		name = "minflt"
		st.MinFlt, err = kerneltext.ParseUint(f, 64)
	case 12:
		name = "majflt"
		st.MajFlt, err = kerneltext.ParseUint(f, 64)
	case 14:
		name = "utime"
		st.UTime, err = kerneltext.ParseUint(f, 64)
	case 15:
		name = "stime"
		st.STime, err = kerneltext.ParseUint(f, 64)
	case 18:
		name = "priority"
		st.Priority, err = kerneltext.ParseInt(f, 64)
	case 19:
		name = "nice"
		st.Nice, err = kerneltext.ParseInt(f, 64)
	case 20:
		name = "num_threads"
		st.NumThreads, err = kerneltext.ParseInt(f, 64)
	case 22:
		name = "starttime"
		st.StartTime, err = kerneltext.ParseUint(f, 64)
	case 23:
		name = "vsize"
		st.VSize, err = kerneltext.ParseUint(f, 64)
	case 24:
		name = "rss"
		st.RSS, err = kerneltext.ParseInt(f, 64)
	case pidStatProcessor:
		name = "processor"
		st.Processor, err = kerneltext.ParseInt(f, 64)
	case pidStatDelayAcct:
		name = "delayacct_blkio_ticks"
		st.DelayAcctBlkioTicks, err = kerneltext.ParseUint(f, 64)
	}
	if err != nil {
		return fmt.Errorf("(%s): %w", name, err)
	}
	return nil
}
