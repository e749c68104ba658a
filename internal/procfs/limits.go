package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// Unlimited is the value of a Limit that is "unlimited", RLIM_INFINITY.
const Unlimited = math.MaxUint64

// Limit is one resource limit, as getrlimit(2) returns it.
type Limit struct {
	// Soft is the limit the kernel enforces; Unlimited when there is none.
	Soft uint64
	// Hard is the ceiling an unprivileged process may raise Soft to;
	// Unlimited when there is none.
	Hard uint64
}

// Limits is /proc/[pid]/limits: the limits of it that mihari exports.
type Limits struct {
	// OpenFiles is "Max open files", RLIMIT_NOFILE: one more than the
	// highest file descriptor the process may open.
	OpenFiles Limit
	// AddressSpace is "Max address space", RLIMIT_AS, in bytes.
	AddressSpace Limit
}

// ParseLimits parses /proc/[pid]/limits. It is strict about the rows
// Limits holds: a malformed one makes it return Limits{} and an error
// naming the line, and so does a file without either of them, which every
// kernel since 2.6.24 writes. The header and other rows are ignored.
//
// A row is a name of several words, the soft and hard limits, and a unit
// that some rows lack ("Max nice priority  0  0"). A row is therefore read
// from the right: the last field is the unit unless it is a limit.
func ParseLimits(b []byte) (Limits, error) {
	var l Limits
	var haveFiles, haveAS bool
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = kerneltext.NextLine(b)
		name, soft, hard, ok := splitLimitsRow(line)
		if !ok {
			continue
		}
		var dst *Limit
		switch string(name) {
		case "Max open files":
			dst, haveFiles = &l.OpenFiles, true
		case "Max address space":
			dst, haveAS = &l.AddressSpace, true
		default:
			continue
		}
		var err error
		if dst.Soft, err = parseLimitValue(soft); err != nil {
			return Limits{}, kerneltext.LineError(n, line, fmt.Errorf("soft limit: %w", err))
		}
		if dst.Hard, err = parseLimitValue(hard); err != nil {
			return Limits{}, kerneltext.LineError(n, line, fmt.Errorf("hard limit: %w", err))
		}
	}
	switch {
	case !haveFiles:
		return Limits{}, errors.New(`no "Max open files" row`)
	case !haveAS:
		return Limits{}, errors.New(`no "Max address space" row`)
	}
	return l, nil
}

// splitLimitsRow splits a row into its name and the fields of its soft and
// hard limits, reading from the right. ok is false when the row has fewer
// than three fields, as the blank end of the file.
func splitLimitsRow(line []byte) (name, soft, hard []byte, ok bool) {
	rest := line
	var last []byte
	if last, rest = lastField(rest); !isLimitValue(last) {
		// last is the unit. In a row without a unit it can also be a
		// malformed hard limit: then the fields shift by one, the name
		// loses a word, and the row is taken for an unknown one.
		last, rest = lastField(rest)
	}
	hard = last
	soft, rest = lastField(rest)
	name = bytes.TrimRight(rest, " \t")
	return name, soft, hard, len(name) > 0 && len(soft) > 0 && len(hard) > 0
}

// isLimitValue reports whether f is written as a limit is: "unlimited" or
// a number.
func isLimitValue(f []byte) bool {
	if string(f) == "unlimited" {
		return true
	}
	return len(f) > 0 && f[0] >= '0' && f[0] <= '9'
}

// lastField returns the last field of s and what precedes it.
func lastField(s []byte) (field, rest []byte) {
	j := len(s)
	for j > 0 && kerneltext.IsBlank(s[j-1]) {
		j--
	}
	i := j
	for i > 0 && !kerneltext.IsBlank(s[i-1]) {
		i--
	}
	return s[i:j], s[:i]
}

// parseLimitValue parses a soft or hard limit: "unlimited" or a number.
func parseLimitValue(f []byte) (uint64, error) {
	if string(f) == "unlimited" {
		return Unlimited, nil
	}
	return kerneltext.ParseUint(f, 64)
}
