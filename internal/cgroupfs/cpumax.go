package cgroupfs

import (
	"bytes"
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// ParseCPUMax parses cpu.max of cgroup v2, "$QUOTA $PERIOD": the cgroup may
// use quota microseconds of CPU time every period microseconds, "max 100000"
// when it has no limit. quota is -1 for "max". It is strict: the file must
// be those two fields on one line, period a number above 0, or it returns
// zeros and an error.
func ParseCPUMax(b []byte) (quota int64, period uint64, err error) {
	line, rest := kerneltext.NextLine(b)
	if len(bytes.TrimSpace(rest)) > 0 {
		return 0, 0, fmt.Errorf("%s: more than one line", kerneltext.Quote(b))
	}
	q, rest := kerneltext.NextField(line)
	p, rest := kerneltext.NextField(rest)
	if len(p) == 0 || !kerneltext.IsBlankLine(rest) {
		return 0, 0, fmt.Errorf("%s: want quota and period", kerneltext.Quote(line))
	}
	if string(q) == "max" {
		quota = -1
	} else {
		// 63 bits: the kernel's quota is a signed 64-bit number of
		// microseconds, and so is ours.
		v, err := kerneltext.ParseUint(q, 63)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: quota: %w", kerneltext.Quote(line), err)
		}
		quota = int64(v)
	}
	period, err = kerneltext.ParseUint(p, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: period: %w", kerneltext.Quote(line), err)
	}
	if period == 0 {
		// The kernel refuses to set it; a caller would divide by it.
		return 0, 0, fmt.Errorf("%s: period is 0", kerneltext.Quote(line))
	}
	return quota, period, nil
}
