package procfs

import (
	"bytes"
	"errors"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// PidIO is /proc/[pid]/io: the I/O a process has done since it started,
// its exited threads included. See proc_pid_io(5). The kernel has it only
// with CONFIG_TASK_IO_ACCOUNTING, and shows it only to readers allowed to
// ptrace the process.
type PidIO struct {
	// RChar is "rchar", the bytes read(2) and similar calls returned,
	// from the page cache, pipes and sockets included.
	RChar uint64
	// WChar is "wchar", the bytes passed to write(2) and similar calls.
	WChar uint64
	// SyscR is "syscr", the read system calls.
	SyscR uint64
	// SyscW is "syscw", the write system calls.
	SyscW uint64
	// ReadBytes is "read_bytes", the bytes the process caused to be read
	// from storage.
	ReadBytes uint64
	// WriteBytes is "write_bytes", the bytes the process caused to be
	// sent to storage, counted when pages are dirtied.
	WriteBytes uint64
	// CancelledWriteBytes is "cancelled_write_bytes", the part of
	// WriteBytes that was never written because the dirty pages were
	// dropped, e.g. by truncating the file.
	CancelledWriteBytes uint64
}

// ParsePidIO parses /proc/[pid]/io. It is strict about the seven lines
// PidIO holds: a malformed value of one makes it return PidIO{} and an
// error naming the line, and so does a file with none of them. Other lines
// are ignored.
func ParsePidIO(b []byte) (PidIO, error) {
	var st PidIO
	known := false
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		var dst *uint64
		switch string(line[:i]) {
		case "rchar":
			dst = &st.RChar
		case "wchar":
			dst = &st.WChar
		case "syscr":
			dst = &st.SyscR
		case "syscw":
			dst = &st.SyscW
		case "read_bytes":
			dst = &st.ReadBytes
		case "write_bytes":
			dst = &st.WriteBytes
		case "cancelled_write_bytes":
			dst = &st.CancelledWriteBytes
		default:
			continue
		}
		v, err := parseOnlyUint(line[i+1:])
		if err != nil {
			return PidIO{}, kerneltext.LineError(n, line, err)
		}
		*dst = v
		known = true
	}
	if !known {
		return PidIO{}, errors.New("no rchar, wchar, syscr, syscw, read_bytes, write_bytes or cancelled_write_bytes line")
	}
	return st, nil
}
