package cgroupfs

import (
	"bytes"
	"fmt"
)

// ParseCPUMax parses cpu.max of cgroup v2, "$QUOTA $PERIOD": the cgroup may
// use quota microseconds of CPU time every period microseconds, "max 100000"
// when it has no limit. quota is -1 for "max". It is strict: the file must
// be those two fields on one line, period a number above 0, or it returns
// zeros and an error.
func ParseCPUMax(b []byte) (quota int64, period uint64, err error) {
	line, rest := nextLine(b)
	if len(bytes.TrimSpace(rest)) > 0 {
		return 0, 0, fmt.Errorf("%s: more than one line", quote(b))
	}
	q, rest := nextField(line)
	p, rest := nextField(rest)
	if len(p) == 0 || !isBlankLine(rest) {
		return 0, 0, fmt.Errorf("%s: want quota and period", quote(line))
	}
	if string(q) == "max" {
		quota = -1
	} else {
		// 63 bits: the kernel's quota is a signed 64-bit number of
		// microseconds, and so is ours.
		v, err := parseUint(q, 63)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: quota: %w", quote(line), err)
		}
		quota = int64(v)
	}
	period, err = parseUint(p, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: period: %w", quote(line), err)
	}
	if period == 0 {
		// The kernel refuses to set it; a caller would divide by it.
		return 0, 0, fmt.Errorf("%s: period is 0", quote(line))
	}
	return quota, period, nil
}
