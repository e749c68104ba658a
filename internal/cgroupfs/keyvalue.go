package cgroupfs

import (
	"errors"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// KeyValue is one line of a flat keyed file, "key value": cpu.stat,
// memory.stat, cpuacct.stat, pids.events, cgroup.stat and others.
type KeyValue struct {
	// Key is the name as in the file, e.g. "total_inactive_file".
	Key string
	// Value is the number, in the file's unit: bytes in memory.stat,
	// USER_HZ ticks in cpuacct.stat, nanoseconds in v1 cpu.stat's
	// throttled_time, microseconds in v2 cpu.stat's *_usec.
	Value uint64
}

// ParseKeyValues parses a flat keyed file, "key value" a line. It is
// lenient: blank lines are skipped silently, a malformed line is skipped
// and reported in the error, and the good lines are returned in file order
// whatever the error. A line must be a key and one unsigned number.
//
// The keys are substrings of one copy of b, so keeping one keeps the whole
// copy (a few kilobytes for memory.stat) alive.
func ParseKeyValues(b []byte) ([]KeyValue, error) {
	s := string(b)
	kvs := make([]KeyValue, 0, kerneltext.MaxRecords(s, len("a 0")))
	var bad kerneltext.BadLines
	for n := 1; len(s) > 0; n++ {
		var line string
		line, s = kerneltext.NextLine(s)
		key, rest := kerneltext.NextField(line)
		if key == "" {
			continue
		}
		num, rest := kerneltext.NextField(rest)
		var err error
		var v uint64
		switch {
		case num == "":
			err = errors.New("no value")
		case !kerneltext.IsBlankLine(rest):
			err = errors.New("more than two fields")
		default:
			v, err = kerneltext.ParseUint(num, 64)
		}
		if err != nil {
			bad.Add(n, line, err)
			continue
		}
		kvs = append(kvs, KeyValue{Key: key, Value: v})
	}
	return kvs, bad.Err()
}
