package cgroupfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// The helpers below are a small copy of those of internal/procfs, which
// keeps its own unexported: the two packages scan the same kind of text,
// and a package of shared scanning helpers would be one more for a few
// dozen lines.

// text is what the helpers work on: a file's bytes, or, for the parsers
// that return strings, the file converted once to a string, so that every
// string they return is a substring of that one copy.
type text interface{ ~string | ~[]byte }

// indexByte is strings.IndexByte or bytes.IndexByte, whichever fits s, both
// being vectorised.
func indexByte[T text](s T, c byte) int {
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

// nextLine returns the first line of s without its '\n', and the rest of s
// after it.
func nextLine[T text](s T) (line, rest T) {
	if i := indexByte(s, '\n'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, s[len(s):]
}

// isBlank reports whether c separates fields: a space, a tab, or '\r' of a
// fixture edited on another system.
func isBlank(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
}

// nextField skips the blanks at the start of s and returns the field that
// follows and the rest of s after it; field is empty when s holds only
// blanks.
func nextField[T text](s T) (field, rest T) {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isBlank(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// isBlankLine reports whether line holds nothing but blanks.
func isBlankLine[T text](line T) bool {
	f, _ := nextField(line)
	return len(f) == 0
}

// parseUint parses s as strconv.ParseUint(s, 10, bitSize) does, plain
// digits without strconv; anything else goes to strconv, which also makes
// the error.
func parseUint[T text](s T, bitSize int) (uint64, error) {
	if len(s) > 0 && len(s) <= 19 {
		var v uint64
		i := 0
		for ; i < len(s); i++ {
			d := s[i] - '0'
			if d > 9 {
				break
			}
			v = v*10 + uint64(d)
		}
		if i == len(s) && (bitSize >= 64 || v < 1<<bitSize) {
			return v, nil
		}
	}
	return strconv.ParseUint(string(s), 10, bitSize)
}

// maxQuoted caps the input quoted in an error.
const maxQuoted = 80

// quote returns s quoted for an error message, cut to maxQuoted bytes.
func quote[T text](s T) string {
	if len(s) > maxQuoted {
		return strconv.Quote(string(s[:maxQuoted])) + "..."
	}
	return strconv.Quote(string(s))
}

// badLines collects the malformed lines of a lenient parser: it keeps the
// first error and counts the others.
type badLines struct {
	first error
	n     int
}

// add records that line number n, line, is malformed because of err.
func (b *badLines) add(n int, line string, err error) {
	if b.n == 0 {
		b.first = fmt.Errorf("line %d %s: %w", n, quote(line), err)
	}
	b.n++
}

// err returns nil when no line was malformed, else an error that wraps the
// first line's error and counts the rest.
func (b *badLines) err() error {
	switch b.n {
	case 0:
		return nil
	case 1:
		return b.first
	}
	return fmt.Errorf("%d malformed lines, the first: %w", b.n, b.first)
}

// maxRecords bounds the records a lenient parser can find in s, to size its
// result once: at most one a line, and none in a line shorter than minLen
// bytes, so that a file of empty lines does not make a big allocation.
func maxRecords[T text](s T, minLen int) int {
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

// parseDevice parses "major:minor", as blkio and io.stat name a device.
func parseDevice[T text](f T) (major, minor uint32, err error) {
	i := indexByte(f, ':')
	if i < 0 {
		return 0, 0, fmt.Errorf("device %s is not major:minor", quote(f))
	}
	maj, err := parseUint(f[:i], 32)
	if err != nil {
		return 0, 0, fmt.Errorf("major: %w", err)
	}
	mnr, err := parseUint(f[i+1:], 32)
	if err != nil {
		return 0, 0, fmt.Errorf("minor: %w", err)
	}
	return uint32(maj), uint32(mnr), nil
}
