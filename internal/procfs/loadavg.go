package procfs

import (
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// LoadAvg is /proc/loadavg: the system load averaged over 1, 5 and 15
// minutes, load being the number of threads runnable or in
// uninterruptible sleep.
type LoadAvg struct {
	// Load1 is the load averaged over one minute.
	Load1 float64
	// Load5 is the load averaged over five minutes.
	Load5 float64
	// Load15 is the load averaged over fifteen minutes.
	Load15 float64
}

// ParseLoadAvg parses /proc/loadavg, "0.20 0.18 0.12 1/80 11206". It is
// strict: the first line must start with three numbers. The fields after
// them (runnable and total threads, last PID) are not parsed.
func ParseLoadAvg(b []byte) (LoadAvg, error) {
	line, _ := kerneltext.NextLine(b)
	var v [3]float64
	rest := line
	for i := range v {
		var f []byte
		f, rest = kerneltext.NextField(rest)
		if len(f) == 0 {
			return LoadAvg{}, fmt.Errorf("%s: want 3 load averages, have %d", kerneltext.Quote(line), i)
		}
		x, err := kerneltext.ParseFloat(f)
		if err != nil {
			return LoadAvg{}, fmt.Errorf("%s: %w", kerneltext.Quote(line), err)
		}
		v[i] = x
	}
	return LoadAvg{Load1: v[0], Load5: v[1], Load15: v[2]}, nil
}
