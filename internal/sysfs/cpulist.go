package sysfs

import (
	"bytes"
	"fmt"
	"strconv"
)

// maxCPUs bounds the CPUs a list can name. The kernel's own limit
// (NR_CPUS) is at most 8192; the bound is far above it and only keeps a
// corrupt or hostile "0-4294967295" from allocating gigabytes.
const maxCPUs = 1 << 16

// ParseCPUList parses a CPU list as the kernel writes it, e.g.
// devices/system/cpu/isolated or online: "0-3,7,9-11\n" is
// [0 1 2 3 7 9 10 11]. An empty or blank file, the usual content of
// isolated, is nil and no error. A range wider than 65536 CPUs, or a list
// naming more than that in all, is an error.
func ParseCPUList(b []byte) ([]int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	var cpus []int
	for len(b) > 0 {
		var item []byte
		item, b, _ = bytes.Cut(b, []byte(","))
		lo, hi, err := parseCPURange(item)
		if err != nil {
			return nil, err
		}
		if hi-lo >= maxCPUs-len(cpus) {
			return nil, fmt.Errorf("cpu list names more than %d cpus at %q", maxCPUs, item)
		}
		for c := lo; c <= hi; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}

// parseCPURange parses "N" or "N-M" with N <= M.
func parseCPURange(item []byte) (lo, hi int, err error) {
	first, last, isRange := bytes.Cut(item, []byte("-"))
	lo, err = parseCPU(first)
	if err != nil {
		return 0, 0, fmt.Errorf("cpu list item %q: %w", item, err)
	}
	if !isRange {
		return lo, lo, nil
	}
	hi, err = parseCPU(last)
	if err != nil {
		return 0, 0, fmt.Errorf("cpu list item %q: %w", item, err)
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("cpu list item %q: range ends before it starts", item)
	}
	return lo, hi, nil
}

// parseCPU parses one CPU number. 31 bits keep it an int on any platform.
func parseCPU(b []byte) (int, error) {
	v, err := strconv.ParseUint(string(b), 10, 31)
	return int(v), err
}
