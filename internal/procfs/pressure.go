package procfs

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// PSILine is one line of a pressure stall information file: how much of
// the time some (or all) non-idle tasks were stalled waiting for one
// resource. See Documentation/accounting/psi.rst.
type PSILine struct {
	// Avg10 is the share of time stalled over the last 10 seconds, in
	// percent.
	Avg10 float64
	// Avg60 is the share of time stalled over the last 60 seconds, in
	// percent.
	Avg60 float64
	// Avg300 is the share of time stalled over the last 300 seconds, in
	// percent.
	Avg300 float64
	// Total is the time stalled since boot (or since the cgroup was
	// created), in microseconds.
	Total uint64
}

// PSIStats is a pressure file: /proc/pressure/{cpu,io,memory,irq} or a
// cgroup v2 *.pressure file.
type PSIStats struct {
	// Some is the "some" line, time during which at least one task was
	// stalled; nil when the file has none (/proc/pressure/irq).
	Some *PSILine
	// Full is the "full" line, time during which all non-idle tasks were
	// stalled at once; nil when the file has none (cpu before Linux 5.13).
	Full *PSILine
}

// ParsePressure parses a pressure file. It is strict: a malformed or
// repeated "some" or "full" line makes it return PSIStats{} and an error,
// and so does a file with neither. Other lines are ignored.
func ParsePressure(b []byte) (PSIStats, error) {
	var st PSIStats
	// Some and Full point into one array: one allocation, not two.
	var lines *[2]PSILine
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		kind, rest := kerneltext.NextField(line)
		var i int
		var dst **PSILine
		switch string(kind) {
		case "some":
			i, dst = 0, &st.Some
		case "full":
			i, dst = 1, &st.Full
		default:
			continue
		}
		if *dst != nil {
			return PSIStats{}, kerneltext.LineError(n, line, fmt.Errorf("second %q line", kind))
		}
		l, err := parsePSILine(rest)
		if err != nil {
			return PSIStats{}, kerneltext.LineError(n, line, err)
		}
		if lines == nil {
			lines = new([2]PSILine)
		}
		lines[i] = l
		*dst = &lines[i]
	}
	if st.Some == nil && st.Full == nil {
		return PSIStats{}, errors.New(`no "some" or "full" line`)
	}
	return st, nil
}

// parsePSILine parses "avg10=0.29 avg60=3.11 avg300=4.82 total=28078432".
// All four keys are required, in any order; keys a later kernel might add
// are ignored.
func parsePSILine(rest []byte) (PSILine, error) {
	var l PSILine
	const all = 1<<4 - 1
	seen := 0
	for {
		var f []byte
		f, rest = kerneltext.NextField(rest)
		if len(f) == 0 {
			break
		}
		key, val, ok := bytes.Cut(f, []byte("="))
		if !ok {
			return PSILine{}, fmt.Errorf("field %s is not key=value", kerneltext.Quote(f))
		}
		var err error
		switch string(key) {
		case "avg10":
			l.Avg10, err = kerneltext.ParseFloat(val)
			seen |= 1 << 0
		case "avg60":
			l.Avg60, err = kerneltext.ParseFloat(val)
			seen |= 1 << 1
		case "avg300":
			l.Avg300, err = kerneltext.ParseFloat(val)
			seen |= 1 << 2
		case "total":
			l.Total, err = kerneltext.ParseUint(val, 64)
			seen |= 1 << 3
		}
		if err != nil {
			return PSILine{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	if seen != all {
		return PSILine{}, errors.New("want avg10, avg60, avg300 and total")
	}
	return l, nil
}
