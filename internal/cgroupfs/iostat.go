package cgroupfs

import (
	"bytes"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// IOStat is one line of io.stat of cgroup v2: the I/O of the cgroup and
// its descendants on one device since the cgroup was created.
type IOStat struct {
	// Major is the device's major number.
	Major uint32
	// Minor is the device's minor number.
	Minor uint32
	// RBytes is "rbytes", the bytes read.
	RBytes uint64
	// WBytes is "wbytes", the bytes written.
	WBytes uint64
	// RIOs is "rios", the read I/Os.
	RIOs uint64
	// WIOs is "wios", the write I/Os.
	WIOs uint64
	// DBytes is "dbytes", the bytes discarded (Linux 5.0).
	DBytes uint64
	// DIOs is "dios", the discard I/Os (Linux 5.0).
	DIOs uint64
}

// minIOStatLine is the length of the shortest line with a counter,
// "0:0 rios=0".
const minIOStatLine = len("0:0 rios=0")

// ParseIOStat parses io.stat of cgroup v2, a line a device:
//
//	8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021
//
// A key it does not know is ignored, whatever its value: the io.cost and
// io.latency controllers add their own ("cost.vrate=100.00",
// "use_delay=0", "avg_lat=1"). A key missing from a line leaves its field
// 0: kernels before 5.0 write no dbytes or dios.
//
// It is lenient: blank lines are skipped silently, a malformed line (a bad
// device, a field that is not key=value, a bad number of a known key) is
// skipped and reported in the error, and the good lines are returned in
// file order whatever the error.
func ParseIOStat(b []byte) ([]IOStat, error) {
	stats := make([]IOStat, 0, kerneltext.MaxRecords(b, minIOStatLine))
	var bad kerneltext.BadLines
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		dev, rest := kerneltext.NextField(line)
		if len(dev) == 0 {
			continue
		}
		st, err := parseIOStatLine(dev, rest)
		if err != nil {
			bad.Add(n, string(line), err)
			continue
		}
		stats = append(stats, st)
	}
	return stats, bad.Err()
}

// parseIOStatLine parses the fields of a line after the device, dev.
func parseIOStatLine(dev, rest []byte) (IOStat, error) {
	var st IOStat
	var err error
	if st.Major, st.Minor, err = parseDevice(dev); err != nil {
		return IOStat{}, err
	}
	for {
		var f []byte
		if f, rest = kerneltext.NextField(rest); len(f) == 0 {
			return st, nil
		}
		key, val, ok := bytes.Cut(f, []byte("="))
		if !ok {
			return IOStat{}, fmt.Errorf("field %s is not key=value", kerneltext.Quote(f))
		}
		var dst *uint64
		switch string(key) {
		case "rbytes":
			dst = &st.RBytes
		case "wbytes":
			dst = &st.WBytes
		case "rios":
			dst = &st.RIOs
		case "wios":
			dst = &st.WIOs
		case "dbytes":
			dst = &st.DBytes
		case "dios":
			dst = &st.DIOs
		default:
			continue
		}
		if *dst, err = kerneltext.ParseUint(val, 64); err != nil {
			return IOStat{}, fmt.Errorf("%s: %w", key, err)
		}
	}
}
