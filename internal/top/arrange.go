package top

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// SortKey is the order of a Frame's rows.
type SortKey int

// The orders; each puts the biggest first but SortPID, which puts the
// lowest PID first. Ties are broken by PID.
const (
	SortCPU SortKey = iota // %CPU
	SortSys                // %SYS, system (kernel) CPU
	SortMem                // RSS
	SortIO                 // read plus write bytes per second; unknown last
	SortPID                // PID
)

var sortNames = [...]string{SortCPU: "cpu", SortSys: "sys", SortMem: "mem", SortIO: "io", SortPID: "pid"}

// String is the key's name as --sort takes it.
func (k SortKey) String() string {
	if k < 0 || int(k) >= len(sortNames) {
		return fmt.Sprintf("SortKey(%d)", int(k))
	}
	return sortNames[k]
}

// ParseSortKey parses a --sort value.
func ParseSortKey(s string) (SortKey, error) {
	if i := slices.Index(sortNames[:], strings.ToLower(s)); i >= 0 {
		return SortKey(i), nil
	}
	return 0, fmt.Errorf("%q: want %s", s, strings.Join(sortNames[:], ", "))
}

// Arrange returns the rows whose comm contains filter (ignoring case; all
// rows when filter is empty), in the order of key, as a new slice.
func Arrange(rows []Row, key SortKey, filter string) []Row {
	out := make([]Row, 0, len(rows))
	filter = strings.ToLower(filter)
	for _, r := range rows {
		if filter == "" || strings.Contains(strings.ToLower(r.Comm), filter) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Row) int {
		var c int
		switch key {
		case SortCPU:
			c = cmp.Compare(b.CPU, a.CPU)
		case SortSys:
			c = cmp.Compare(b.SysCPU, a.SysCPU)
		case SortMem:
			c = cmp.Compare(b.RSS, a.RSS)
		case SortIO:
			c = cmp.Compare(ioRate(b), ioRate(a))
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.PID, b.PID)
	})
	return out
}

// ioRate is what SortIO orders by: unknown I/O below none.
func ioRate(r Row) float64 {
	if !r.IOKnown {
		return -1
	}
	return r.ReadRate + r.WriteRate
}
