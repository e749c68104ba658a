package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// PidStatus is /proc/[pid]/status: the fields of it that mihari exports.
// See proc_pid_status(5).
type PidStatus struct {
	// Name is "Name", the command name, as Comm of /proc/[pid]/stat: the
	// kernel writes a newline in it as `\n` and a backslash as `\\`, and
	// those two escapes are decoded.
	Name string
	// State is the letter of "State", e.g. 'S' of "S (sleeping)"; see
	// PidStat.State.
	State byte
	// Tgid is "Tgid", the thread group ID: the PID of the process.
	Tgid int
	// PPid is "PPid", the parent's PID.
	PPid int
	// UIDs are the four IDs of "Uid": real, effective, saved set and
	// filesystem.
	UIDs [4]uint64
	// GIDs are the four IDs of "Gid": real, effective, saved set and
	// filesystem.
	GIDs [4]uint64
	// VmSize is "VmSize", the virtual memory size, in bytes.
	VmSize uint64
	// VmRSS is "VmRSS", the resident set size, in bytes: the sum of
	// RssAnon, RssFile and RssShmem.
	VmRSS uint64
	// RssAnon is "RssAnon", resident anonymous memory, in bytes (Linux
	// 4.5).
	RssAnon uint64
	// RssFile is "RssFile", resident file mappings, in bytes (Linux 4.5).
	RssFile uint64
	// RssShmem is "RssShmem", resident shared memory (shmem, tmpfs and
	// shared anonymous mappings), in bytes (Linux 4.5).
	RssShmem uint64
	// VmSwap is "VmSwap", anonymous memory swapped out, in bytes.
	VmSwap uint64
	// Threads is "Threads", the number of threads.
	Threads int64
	// VoluntaryCtxtSwitches is "voluntary_ctxt_switches", the times the
	// process gave up the CPU, mostly to wait for something.
	VoluntaryCtxtSwitches uint64
	// NonvoluntaryCtxtSwitches is "nonvoluntary_ctxt_switches", the times
	// the scheduler took the CPU from the process.
	NonvoluntaryCtxtSwitches uint64
}

// ParsePidStatus parses /proc/[pid]/status. It is strict about the lines
// PidStatus holds: a malformed value of one makes it return PidStatus{}
// and an error naming the line, and so does a file without a "Name" line,
// which every kernel writes first. Other lines are ignored, and the fields
// of lines the file lacks stay 0: a kernel thread or a zombie has no
// memory, so its status has no Vm* or Rss* lines.
//
// It is read for every process at every scrape, so it allocates nothing
// but Name, and only when Name has an escape does it allocate twice.
func ParsePidStatus(b []byte) (PidStatus, error) {
	var st PidStatus
	haveName := false
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		val := line[i+1:]
		var err error
		switch string(line[:i]) {
		case "Name":
			st.Name, err = parseStatusName(val)
			haveName = true
		case "State":
			st.State, err = parseStatusState(val)
		case "Tgid":
			st.Tgid, err = parseOnlyPID(val)
		case "PPid":
			st.PPid, err = parseOnlyPID(val)
		case "Uid":
			err = parseStatusIDs(val, &st.UIDs)
		case "Gid":
			err = parseStatusIDs(val, &st.GIDs)
		case "VmSize":
			st.VmSize, err = parseStatusKB(val)
		case "VmRSS":
			st.VmRSS, err = parseStatusKB(val)
		case "RssAnon":
			st.RssAnon, err = parseStatusKB(val)
		case "RssFile":
			st.RssFile, err = parseStatusKB(val)
		case "RssShmem":
			st.RssShmem, err = parseStatusKB(val)
		case "VmSwap":
			st.VmSwap, err = parseStatusKB(val)
		case "Threads":
			var v uint64
			v, err = parseOnlyUint(val)
			if err == nil && v > math.MaxInt64 {
				err = fmt.Errorf("%d threads is out of range", v)
			}
			st.Threads = int64(v)
		case "voluntary_ctxt_switches":
			st.VoluntaryCtxtSwitches, err = parseOnlyUint(val)
		case "nonvoluntary_ctxt_switches":
			st.NonvoluntaryCtxtSwitches, err = parseOnlyUint(val)
		}
		if err != nil {
			return PidStatus{}, kerneltext.LineError(n, line, err)
		}
	}
	if !haveName {
		return PidStatus{}, errors.New(`no "Name" line`)
	}
	return st, nil
}

// parseStatusName parses the value of "Name:\tbash": everything after the
// tab, blanks included, since a name may hold them.
func parseStatusName(val []byte) (string, error) {
	if len(val) == 0 || val[0] != '\t' {
		return "", errors.New("no tab after the colon")
	}
	val = val[1:]
	if bytes.IndexByte(val, '\\') < 0 {
		return string(val), nil
	}
	return unescapeStatusName(val), nil
}

// unescapeStatusName decodes the two escapes the kernel writes in Name,
// `\n` and `\\`. A backslash before anything else is kept: the kernel
// writes none, and a name is better shown oddly than refused.
func unescapeStatusName(val []byte) string {
	out := make([]byte, 0, len(val))
	for i := 0; i < len(val); i++ {
		c := val[i]
		if c == '\\' && i+1 < len(val) {
			switch val[i+1] {
			case 'n':
				c = '\n'
				i++
			case '\\':
				i++
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// parseStatusState parses the value of "State:\tS (sleeping)": its letter.
func parseStatusState(val []byte) (byte, error) {
	f, _ := kerneltext.NextField(val)
	if len(f) != 1 {
		return 0, fmt.Errorf("state %s is not one letter", kerneltext.Quote(f))
	}
	return f[0], nil
}

// parseOnlyPID parses rest, which must be one PID.
func parseOnlyPID(rest []byte) (int, error) {
	v, err := parseOnlyUint(rest)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt32 {
		return 0, fmt.Errorf("pid %d is out of range", v)
	}
	return int(v), nil
}

// parseStatusIDs parses the value of "Uid:" or "Gid:", four IDs.
func parseStatusIDs(val []byte, ids *[4]uint64) error {
	for i := range ids {
		var f []byte
		var err error
		if ids[i], f, val, err = kerneltext.NextUint(val); err != nil {
			return err
		}
		if len(f) == 0 {
			return fmt.Errorf("want 4 IDs, have %d", i)
		}
	}
	if !kerneltext.IsBlankLine(val) {
		return errors.New("more than 4 IDs")
	}
	return nil
}

// parseStatusKB parses the value of a memory line, "    1760 kB", into
// bytes.
func parseStatusKB(val []byte) (uint64, error) {
	v, f, rest, err := kerneltext.NextUint(val)
	if err != nil {
		return 0, err
	}
	if len(f) == 0 {
		return 0, errors.New("no number")
	}
	unit, rest := kerneltext.NextField(rest)
	if string(unit) != "kB" || !kerneltext.IsBlankLine(rest) {
		return 0, fmt.Errorf("want a number of kB, have %s", kerneltext.Quote(val))
	}
	if v > math.MaxUint64/1024 {
		return 0, fmt.Errorf("%d kB is out of range", v)
	}
	return v * 1024, nil
}
