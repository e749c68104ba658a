package procfs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// MeminfoField is one line of /proc/meminfo, "Active(anon):   1512 kB".
type MeminfoField struct {
	// Name is the name as in the file without the colon, e.g. "Active(anon)".
	Name string
	// Value is the number as written; multiply by 1024 when Unit is "kB".
	Value float64
	// Unit is "kB", or "" for counts such as HugePages_Total.
	Unit string
}

// ParseMeminfo parses /proc/meminfo. It is lenient: blank lines are
// skipped silently, a malformed line is skipped and reported in the error,
// and the good lines are returned in file order whatever the error.
//
// The names are substrings of one copy of b, so keeping one keeps the
// whole copy (a few kilobytes) alive.
func ParseMeminfo(b []byte) ([]MeminfoField, error) {
	return kerneltext.ParseLines(b, "a:0", parseMeminfoLine)
}

// parseMeminfoLine parses "Name: value" or "Name: value kB".
func parseMeminfoLine(line string) (MeminfoField, error) {
	name, rest, ok := strings.Cut(line, ":")
	if !ok {
		return MeminfoField{}, errors.New("no colon")
	}
	if f, _ := kerneltext.NextField(name); name == "" || f != name {
		return MeminfoField{}, fmt.Errorf("name %q is empty or has blanks", name)
	}
	num, rest := kerneltext.NextField(rest)
	if num == "" {
		return MeminfoField{}, errors.New("no value")
	}
	v, err := kerneltext.ParseFloat(num)
	if err != nil {
		return MeminfoField{}, err
	}
	unit, rest := kerneltext.NextField(rest)
	switch {
	case !kerneltext.IsBlankLine(rest):
		return MeminfoField{}, errors.New("text after the unit")
	case unit != "" && unit != "kB":
		// Every line of every kernel so far is in kB or has no unit;
		// another unit would be scaled wrongly by a caller that trusts
		// that, so the line is refused instead.
		return MeminfoField{}, fmt.Errorf("unit %q is not kB", unit)
	}
	return MeminfoField{Name: name, Value: v, Unit: unit}, nil
}
