// Package kerneltext scans the text the kernel writes in /proc, /sys and
// cgroup files: lines of blank-separated fields, mostly decimal numbers.
// The helpers work on a file's bytes or on one string conversion of it, so
// parsing a file costs an allocation or two rather than one per line.
package kerneltext

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Text is what the helpers work on: a file's bytes, or, for
// the parsers that return strings, the file converted once to a string.
// Working on that one string makes every name a parser returns a substring
// of it, so a file costs one string allocation instead of one per line.
type Text interface{ ~string | ~[]byte }

// IndexByte is strings.IndexByte or bytes.IndexByte, whichever fits s: both
// are vectorised, which a generic loop is not, and the type switch costs a
// few nanoseconds without allocating.
func IndexByte[T Text](s T, c byte) int {
	switch v := any(s).(type) {
	case string:
		return strings.IndexByte(v, c)
	case []byte:
		return bytes.IndexByte(v, c)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// NextLine returns the first line of s without its '\n', and the rest of s
// after it.
func NextLine[T Text](s T) (line, rest T) {
	if i := IndexByte(s, '\n'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, s[len(s):]
}

// IsBlank reports whether c separates fields. The kernel writes spaces and
// the odd tab; '\r' is accepted so that a fixture edited on another system
// still parses.
func IsBlank(c byte) bool {
	// The first test settles every printable byte, nearly all of a file,
	// in one comparison.
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
}

// NextField skips the blanks at the start of s and returns the field that
// follows and the rest of s after it; field is empty when s holds only
// blanks. Unlike bytes.Fields it allocates no slice of fields.
func NextField[T Text](s T) (field, rest T) {
	i := 0
	for i < len(s) && IsBlank(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !IsBlank(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// IsBlankLine reports whether line holds nothing but blanks.
func IsBlankLine[T Text](line T) bool {
	f, _ := NextField(line)
	return len(f) == 0
}

// ParseUint parses s as a decimal number of at most bitSize bits, as
// strconv.ParseUint(s, 10, bitSize) does. Plain digits, nearly every number
// of /proc, take a loop of a few instructions a digit; anything else goes to
// strconv, which also makes the error.
func ParseUint[T Text](s T, bitSize int) (uint64, error) {
	if v, ok := ParseDigits(s); ok && (bitSize >= 64 || v < 1<<bitSize) {
		return v, nil
	}
	return strconv.ParseUint(string(s), 10, bitSize)
}

// NextUint is NextField followed by ParseUint(field, 64), in one pass over
// the digits instead of two: the counters of diskstats, net/dev and stat
// are most of what those parsers do. field is empty, and err nil, when s
// holds only blanks.
func NextUint[T Text](s T) (v uint64, field, rest T, err error) {
	i := 0
	for i < len(s) && IsBlank(s[i]) {
		i++
	}
	j := i
	for ; j < len(s); j++ {
		d := s[j] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
	}
	if n := j - i; n > 0 && n <= 19 && (j == len(s) || IsBlank(s[j])) {
		return v, s[i:j], s[j:], nil
	}
	// Not plain digits, or too many of them to have skipped the overflow
	// check: find the field's end and let ParseUint decide.
	for j < len(s) && !IsBlank(s[j]) {
		j++
	}
	field, rest = s[i:j], s[j:]
	if len(field) == 0 {
		return 0, field, rest, nil
	}
	v, err = ParseUint(field, 64)
	return v, field, rest, err
}

// ParseInt parses s as a decimal number of at most bitSize bits, as
// strconv.ParseInt(s, 10, bitSize) does, with the same shortcut as
// ParseUint for plain digits and a leading '-': the signed fields of
// /proc/[pid]/stat (nice, priority, tpgid) are mostly small.
func ParseInt[T Text](s T, bitSize int) (int64, error) {
	neg := len(s) > 0 && s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if v, ok := ParseDigits(digits); ok && bitSize >= 1 && bitSize <= 64 {
		limit := uint64(1) << (bitSize - 1)
		switch {
		case neg && v <= limit:
			// -int64(v) is right for v == 1<<63 too: the negation of
			// math.MinInt64 wraps to itself.
			return -int64(v), nil
		case !neg && v < limit:
			return int64(v), nil
		}
	}
	return strconv.ParseInt(string(s), 10, bitSize)
}

// ParseDigits parses s if it is 1 to 19 decimal digits, which cannot
// overflow a uint64.
func ParseDigits[T Text](s T) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, true
}

// ParseFloat parses s as strconv.ParseFloat(s, 64) does. Most values in
// /proc are integers written as such; up to 15 digits they convert to a
// float64 exactly, so the shortcut gives ParseFloat's result bit for bit.
func ParseFloat[T Text](s T) (float64, error) {
	if len(s) <= 15 {
		if v, ok := ParseDigits(s); ok {
			return float64(v), nil
		}
	}
	return strconv.ParseFloat(string(s), 64)
}

// MaxQuoted caps the input quoted in an error: a malformed line can be a
// whole file without a newline, and an error is not the place to copy it.
const MaxQuoted = 80

// Quote returns s quoted for an error message, cut to MaxQuoted bytes.
func Quote[T Text](s T) string {
	if len(s) > MaxQuoted {
		return strconv.Quote(string(s[:MaxQuoted])) + "..."
	}
	return strconv.Quote(string(s))
}

// LineError says which line of a file is malformed and why.
func LineError[T Text](n int, line T, err error) error {
	return fmt.Errorf("line %d %s: %w", n, Quote(line), err)
}

// BadLines collects the malformed lines of a lenient parser. It keeps the
// first error and counts the others, so that the error of a file of
// garbage is one line long, not one line per line of the file.
type BadLines struct {
	first error
	n     int
}

// add records that line number n, line, is malformed because of err.
func (b *BadLines) Add(n int, line string, err error) {
	if b.n == 0 {
		b.first = LineError(n, line, err)
	}
	b.n++
}

// err returns nil when no line was malformed, else an error that wraps the
// first line's error and counts the rest.
func (b *BadLines) Err() error {
	switch b.n {
	case 0:
		return nil
	case 1:
		return b.first
	}
	return fmt.Errorf("%d malformed lines, the first: %w", b.n, b.first)
}

// ParseLines is the loop of the lenient parsers whose records are one line
// each: it converts b to a string once, skips blank lines, applies
// parseLine to the others and keeps the records of the lines it accepts, in
// file order, with an error for the lines it refused. shortest is the
// shortest line a record can come from, to size the result once.
func ParseLines[R any](b []byte, shortest string, parseLine func(line string) (R, error)) ([]R, error) {
	s := string(b)
	recs := make([]R, 0, MaxRecords(s, len(shortest)))
	var bad BadLines
	for n := 1; len(s) > 0; n++ {
		var line string
		line, s = NextLine(s)
		if IsBlankLine(line) {
			continue
		}
		r, err := parseLine(line)
		if err != nil {
			bad.Add(n, line, err)
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad.Err()
}

// MaxRecords bounds the records a lenient parser can find in s, to size its
// result once: at most one a line, and none in a line shorter than minLen
// bytes, so that a file of empty lines does not make a big allocation.
func MaxRecords[T Text](s T, minLen int) int {
	n := 1
	switch v := any(s).(type) {
	case string:
		n += strings.Count(v, "\n")
	case []byte:
		n += bytes.Count(v, []byte("\n"))
	default:
		for i := 0; i < len(s); i++ {
			if s[i] == '\n' {
				n++
			}
		}
	}
	return min(n, len(s)/(minLen+1)+1)
}
