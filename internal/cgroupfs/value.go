package cgroupfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// ParseValue parses a file of one unsigned number: cpuacct.usage,
// memory.usage_in_bytes, memory.limit_in_bytes, pids.current, pids.max,
// memory.current, memory.max and the like. Blanks and newlines around the
// number are ignored. "max", which a v2 limit or pids.max is when there is
// none, gives math.MaxUint64 and unlimited true; so does "-1", which v1
// files such as cpu.cfs_quota_us and cpu.rt_runtime_us hold for no limit.
// Anything else that is not one number is an error.
//
// A v1 memory limit without a limit is not "max" but a number close to
// 2^63 (9223372036854771712 with 4 KiB pages): it is returned as that
// number, with unlimited false, as the kernel writes it.
//
// cpu.max has two fields; ParseCPUMax parses it.
func ParseValue(b []byte) (v uint64, unlimited bool, err error) {
	s := bytes.TrimSpace(b)
	switch string(s) {
	case "max", "-1":
		return math.MaxUint64, true, nil
	case "":
		return 0, false, errors.New("empty")
	}
	v, err = kerneltext.ParseUint(s, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s is not a number or \"max\": %w", kerneltext.Quote(s), errors.Unwrap(err))
	}
	return v, false, nil
}
