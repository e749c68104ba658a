package cgroupfs

import (
	"errors"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// BlkioEntry is one device line of a cgroup v1 blkio statistics file,
// "8:0 Read 1234": one counter of the I/O of the cgroup's tasks on one
// device.
type BlkioEntry struct {
	// Major is the device's major number.
	Major uint32
	// Minor is the device's minor number.
	Minor uint32
	// Op is the kind of I/O counted, as written: "Read", "Write",
	// "Sync", "Async", "Discard" (Linux 4.19) or "Total", which is
	// Read + Write + Discard. Every I/O is counted once as Sync or Async
	// too, so Sync + Async is Total as well.
	Op string
	// Value is the counter: I/Os in *io_serviced, bytes in
	// *io_service_bytes, nanoseconds in *io_service_time and
	// *io_wait_time.
	Value uint64
}

// The operations the kernel writes, so that an entry's Op is one of these
// constants and costs no allocation.
const (
	opRead    = "Read"
	opWrite   = "Write"
	opSync    = "Sync"
	opAsync   = "Async"
	opDiscard = "Discard"
	opTotal   = "Total"
)

// minBlkioLine is the length of the shortest valid line, "0:0 Read 0".
const minBlkioLine = len("0:0 Read 0")

// ParseBlkio parses a cgroup v1 blkio statistics file with one line per
// device and operation and a final line of the sum over devices:
//
//	8:0 Read 1234
//	8:0 Write 5
//	8:0 Sync 3
//	8:0 Async 1236
//	8:0 Discard 0
//	8:0 Total 1239
//	Total 1239
//
// That is the shape of blkio.throttle.io_serviced and io_service_bytes,
// of blkio.bfq.io_serviced, io_service_bytes, io_service_time and
// io_wait_time (and of their CFQ predecessors without "bfq."), and of
// their _recursive variants. A cgroup that did no I/O has only the "Total"
// line.
//
// It is lenient: blank lines are skipped silently, a malformed line is
// skipped and reported in the error, and the good lines are returned in
// file order whatever the error. total is the number of the device-less
// "Total" line, 0 when there is none; a second such line is malformed. An
// operation other than the six the kernel writes is kept, as written.
//
// It is read for every cgroup at every scrape, and on a host with hundreds
// of network-attached disks the file has thousands of lines, so it scans
// b once (after counting its lines to size the result) and allocates only
// the result: Op is a constant for the six known operations. Only a file
// with an unknown one is copied once to a string, of which such Ops are
// substrings.
func ParseBlkio(b []byte) (entries []BlkioEntry, total uint64, err error) {
	// At most an entry a line; the Total line makes that one too many,
	// which costs 32 bytes and spares a special case.
	entries = make([]BlkioEntry, 0, kerneltext.MaxRecords(b, minBlkioLine))
	haveTotal := false
	var s string // b as a string, made at the first unknown operation
	var bad kerneltext.BadLines
	for n, rest := 1, b; len(rest) > 0; n++ {
		e, op, size, ok := scanBlkioLine(rest)
		if ok {
			rest = rest[size:]
			if e.Op != "" {
				entries = append(entries, e)
				continue
			}
		} else {
			// Anything but a device line exactly as the kernel
			// writes it: the Total line, blank or malformed lines,
			// odd spacing.
			var line []byte
			line, rest = kerneltext.NextLine(rest)
			dev, tail := kerneltext.NextField(line)
			if len(dev) == 0 {
				continue
			}
			if string(dev) == opTotal {
				v, err := parseOnlyUint(tail)
				if err == nil && haveTotal {
					err = errors.New(`second "Total" line`)
				}
				if err != nil {
					bad.Add(n, string(line), err)
					continue
				}
				total, haveTotal = v, true
				continue
			}
			var err error
			if e, op, err = parseBlkioLine(dev, tail); err != nil {
				bad.Add(n, string(line), err)
				continue
			}
		}
		switch string(op) {
		case opRead:
			e.Op = opRead
		case opWrite:
			e.Op = opWrite
		case opSync:
			e.Op = opSync
		case opAsync:
			e.Op = opAsync
		case opDiscard:
			e.Op = opDiscard
		case opTotal:
			e.Op = opTotal
		default:
			if s == "" {
				s = string(b)
			}
			// op is b[i:i+len(op)] for some i; every slicing of b
			// that made it kept the end of b's array, so its
			// capacity tells i.
			i := cap(b) - cap(op)
			e.Op = s[i : i+len(op)]
		}
		entries = append(entries, e)
	}
	return entries, total, bad.Err()
}

// scanBlkioLine parses the line at the start of s if it is a device line
// exactly as the kernel writes it, "8:0 Read 1234\n": major and minor of at
// most 9 digits (which cannot overflow a uint32), single spaces, a value
// of at most 19 digits (which cannot overflow a uint64), a newline or the
// end of s. It returns the entry, with its Op set if the operation is one
// of the six known ones and op set to the operation if not, and the bytes
// the line takes with its newline; ok is false for any other line, which
// the caller parses the slow way. Done in one pass over the bytes, it is
// most of why ParseBlkio is fast.
func scanBlkioLine(s []byte) (e BlkioEntry, op []byte, size int, ok bool) {
	i := 0
	var major, minor, v uint64
	for ; i < len(s) && s[i]-'0' <= 9; i++ {
		major = major*10 + uint64(s[i]-'0')
	}
	if i == 0 || i > 9 || i == len(s) || s[i] != ':' {
		return e, nil, 0, false
	}
	i++
	start := i
	for ; i < len(s) && s[i]-'0' <= 9; i++ {
		minor = minor*10 + uint64(s[i]-'0')
	}
	if i == start || i-start > 9 || i == len(s) || s[i] != ' ' {
		return e, nil, 0, false
	}
	i++
	if name := knownOp(s[i:]); name != "" {
		// Most lines: skip the scan of the operation and its
		// interning by the caller.
		e.Op = name
		i += len(name)
	} else {
		start = i
		for i < len(s) && s[i] > ' ' {
			i++
		}
		op = s[start:i]
	}
	if len(e.Op)+len(op) == 0 || i == len(s) || s[i] != ' ' {
		return e, nil, 0, false
	}
	i++
	start = i
	for ; i < len(s) && s[i]-'0' <= 9; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	if i == start || i-start > 19 || (i < len(s) && s[i] != '\n') {
		return e, nil, 0, false
	}
	if i < len(s) {
		i++
	}
	e.Major, e.Minor, e.Value = uint32(major), uint32(minor), v
	return e, op, i, true
}

// knownOp returns the operation s starts with, followed by a space, if it
// is one of the six the kernel writes, else "".
func knownOp(s []byte) string {
	if len(s) < len("Read ") {
		return ""
	}
	var op string
	switch s[0] {
	case 'R':
		op = opRead
	case 'W':
		op = opWrite
	case 'S':
		op = opSync
	case 'A':
		op = opAsync
	case 'D':
		op = opDiscard
	case 'T':
		op = opTotal
	default:
		return ""
	}
	if len(s) > len(op) && s[len(op)] == ' ' && string(s[:len(op)]) == op {
		return op
	}
	return ""
}

// parseBlkioLine parses the fields of a device line after the device,
// dev: the operation, returned as op for the caller to intern, and the
// value.
func parseBlkioLine(dev, tail []byte) (e BlkioEntry, op []byte, err error) {
	if e.Major, e.Minor, err = parseDevice(dev); err != nil {
		return BlkioEntry{}, nil, err
	}
	op, tail = kerneltext.NextField(tail)
	if len(op) == 0 {
		return BlkioEntry{}, nil, errors.New("no operation")
	}
	if e.Value, err = parseOnlyUint(tail); err != nil {
		return BlkioEntry{}, nil, err
	}
	return e, op, nil
}

// parseOnlyUint parses rest, which must be one number.
func parseOnlyUint(rest []byte) (uint64, error) {
	f, rest := kerneltext.NextField(rest)
	switch {
	case len(f) == 0:
		return 0, errors.New("no value")
	case !kerneltext.IsBlankLine(rest):
		return 0, fmt.Errorf("text %s after the value", kerneltext.Quote(rest))
	}
	return kerneltext.ParseUint(f, 64)
}
