package procfs

import (
	"errors"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// Diskstat is one line of /proc/diskstats: the I/O counters of one block
// device since boot.
type Diskstat struct {
	// Major is the device's major number.
	Major uint32
	// Minor is the device's minor number.
	Minor uint32
	// Device is the device's name, e.g. "nvme0n1" or "dm-0".
	Device string
	// Fields are the counters after the device name, in file order
	// (Documentation/admin-guide/iostats.rst): reads completed, reads merged,
	// sectors read, ms reading, writes completed, writes merged, sectors
	// written, ms writing, I/Os in progress, ms doing I/O, weighted ms doing
	// I/O, discards completed, discards merged, sectors discarded, ms
	// discarding, flushes completed, ms flushing. 11, 15 or 17 of them
	// depending on the kernel; at most 17 are kept.
	Fields []uint64
}

const (
	// minDiskstatFields is the counters of kernels before 4.18.
	minDiskstatFields = 11
	// maxDiskstatFields is the counters of kernels since 5.5; counters a
	// later kernel adds are ignored until mihari knows what they mean.
	maxDiskstatFields = 17
	// minDiskstatLine is the length of the shortest valid line, "0 0 a"
	// and 11 one-digit counters.
	minDiskstatLine = len("0 0 a") + 2*minDiskstatFields
)

// ParseDiskstats parses /proc/diskstats. It is lenient: blank lines are
// skipped silently, a malformed line is skipped and reported in the error,
// and the good lines are returned in file order whatever the error. A line
// needs a major and minor number, a name and at least 11 counters.
//
// The Fields of all lines share one array and the names are substrings of
// one copy of b, so keeping one Diskstat keeps them all alive.
func ParseDiskstats(b []byte) ([]Diskstat, error) {
	s := string(b)
	most := kerneltext.MaxRecords(s, minDiskstatLine)
	disks := make([]Diskstat, 0, most)
	// One array for the counters of every line rather than one a line: a
	// host with hundreds of devices would otherwise make hundreds of small
	// allocations a scrape. most bounds the valid lines, so it is big
	// enough; the check below only guards against a mistake in that bound.
	counters := make([]uint64, 0, most*maxDiskstatFields)
	var bad kerneltext.BadLines
	for n := 1; len(s) > 0; n++ {
		var line string
		line, s = kerneltext.NextLine(s)
		if kerneltext.IsBlankLine(line) {
			continue
		}
		if cap(counters)-len(counters) < maxDiskstatFields {
			counters = make([]uint64, 0, 16*maxDiskstatFields)
		}
		d, err := parseDiskstatLine(line, counters[len(counters):len(counters)+maxDiskstatFields])
		if err != nil {
			bad.Add(n, line, err)
			continue
		}
		counters = counters[:len(counters)+len(d.Fields)]
		disks = append(disks, d)
	}
	return disks, bad.Err()
}

// parseDiskstatLine parses one line into a Diskstat whose Fields are the
// start of buf, which has room for maxDiskstatFields counters.
func parseDiskstatLine(line string, buf []uint64) (Diskstat, error) {
	f, rest := kerneltext.NextField(line)
	major, err := kerneltext.ParseUint(f, 32)
	if err != nil {
		return Diskstat{}, fmt.Errorf("major: %w", err)
	}
	f, rest = kerneltext.NextField(rest)
	minor, err := kerneltext.ParseUint(f, 32)
	if err != nil {
		return Diskstat{}, fmt.Errorf("minor: %w", err)
	}
	name, rest := kerneltext.NextField(rest)
	if name == "" {
		return Diskstat{}, errors.New("no device name")
	}
	n := 0
	for ; n < maxDiskstatFields; n++ {
		buf[n], f, rest, err = kerneltext.NextUint(rest)
		if err != nil {
			return Diskstat{}, fmt.Errorf("counter %d: %w", n+1, err)
		}
		if f == "" {
			break
		}
	}
	if n < minDiskstatFields {
		return Diskstat{}, fmt.Errorf("want at least %d counters, have %d", minDiskstatFields, n)
	}
	return Diskstat{
		Major:  uint32(major),
		Minor:  uint32(minor),
		Device: name,
		// The full slice expression stops an append to one line's Fields
		// from overwriting the next line's.
		Fields: buf[:n:n],
	}, nil
}
