package sysfs

import (
	"bytes"
	"strconv"
)

// ParseUint parses a sysfs file that holds one unsigned decimal number,
// such as devices/system/cpu/cpu0/topology/core_id, ignoring the
// whitespace around it (the kernel ends it with a newline). On error it
// returns 0, not strconv's largest value for an overflow, and strconv's
// error, which quotes the bad input.
func ParseUint(b []byte) (uint64, error) {
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0, err
	}
	return v, nil
}
