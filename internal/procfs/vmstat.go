package procfs

import (
	"errors"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// VmstatField is one line of /proc/vmstat, "pgfault 5718110".
type VmstatField struct {
	// Name is the counter's name as in the file.
	Name string
	// Value is the number.
	Value float64
}

// ParseVmstat parses /proc/vmstat. It is lenient: blank lines are skipped
// silently, a malformed line is skipped and reported in the error, and the
// good lines are returned in file order whatever the error.
//
// The names are substrings of one copy of b, so keeping one keeps the
// whole copy (a few kilobytes) alive.
func ParseVmstat(b []byte) ([]VmstatField, error) {
	return kerneltext.ParseLines(b, "a 0", parseVmstatLine)
}

// parseVmstatLine parses "name value".
func parseVmstatLine(line string) (VmstatField, error) {
	name, rest := kerneltext.NextField(line)
	num, rest := kerneltext.NextField(rest)
	if num == "" {
		return VmstatField{}, errors.New("no value")
	}
	if !kerneltext.IsBlankLine(rest) {
		return VmstatField{}, errors.New("more than two fields")
	}
	v, err := kerneltext.ParseFloat(num)
	if err != nil {
		return VmstatField{}, err
	}
	return VmstatField{Name: name, Value: v}, nil
}
