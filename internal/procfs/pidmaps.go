package procfs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// MapsEntry is one line of /proc/[pid]/maps: a mapping of the process's
// address space. See proc_pid_maps(5).
type MapsEntry struct {
	// Start is the first address of the mapping.
	Start uint64
	// End is the address just past the mapping: it covers [Start, End).
	End uint64
	// Perms are read, write, execute, then private or shared, e.g. "r-xp".
	Perms string
	// Offset is the offset in the mapped file of the byte at Start.
	Offset uint64
	// Major is the major number of the mapped file's device, 0 for anonymous memory.
	Major uint32
	// Minor is the minor number of the mapped file's device.
	Minor uint32
	// Inode is the mapped file's inode number, 0 for anonymous memory.
	Inode uint64
	// Path is the mapped file or a pseudo-path such as "[heap]", as is; "" for anonymous memory.
	Path string
}

// Executable reports whether the mapping may hold code: 'x' in Perms.
func (m MapsEntry) Executable() bool {
	return strings.IndexByte(m.Perms, 'x') >= 0
}

// minMapsFields is the fields a line needs: address range, permissions,
// offset, device and inode. The path after them is optional.
const minMapsFields = 5

// ParseMaps parses /proc/[pid]/maps, "start-end perms offset major:minor
// inode path" a line, addresses, offset and device in hexadecimal. It is
// lenient: blank lines are skipped silently, a malformed line (too few
// fields, a bad number, Start not below End) is skipped and reported in the
// error, and the good lines are returned in file order whatever the error.
//
// The path is the rest of the line after the inode and the spaces that pad
// it to a column, so it may hold spaces, tabs and a trailing space. The
// kernel escapes only a newline in it, as \012, and that escape is decoded;
// a name holding a backslash followed by 012 is written unescaped, so it
// cannot be told apart and is decoded to a newline too. A path that ends
// in " (deleted)" may be a deleted file or a file of that name.
//
// Perms and paths without \012 are substrings of one copy of b, so keeping
// one keeps the whole copy alive.
func ParseMaps(b []byte) ([]MapsEntry, error) {
	return kerneltext.ParseLines(b, "0-1 ---p 0 0:0 0", parseMapsLine)
}

// parseMapsLine parses "start-end perms offset major:minor inode path".
func parseMapsLine(line string) (MapsEntry, error) {
	var f [minMapsFields]string
	rest := line
	for i := range f {
		if f[i], rest = kerneltext.NextField(rest); f[i] == "" {
			return MapsEntry{}, fmt.Errorf("want at least %d fields, have %d", minMapsFields, i)
		}
	}
	var m MapsEntry
	start, end, ok := strings.Cut(f[0], "-")
	if !ok {
		return MapsEntry{}, fmt.Errorf("address range %q: want start-end", f[0])
	}
	var err error
	if m.Start, err = strconv.ParseUint(start, 16, 64); err != nil {
		return MapsEntry{}, fmt.Errorf("start address: %w", err)
	}
	if m.End, err = strconv.ParseUint(end, 16, 64); err != nil {
		return MapsEntry{}, fmt.Errorf("end address: %w", err)
	}
	if m.Start >= m.End {
		return MapsEntry{}, fmt.Errorf("address range %q: start not below end", f[0])
	}
	if !validPerms(f[1]) {
		return MapsEntry{}, fmt.Errorf("permissions %q: want four like r-xp", f[1])
	}
	m.Perms = f[1]
	if m.Offset, err = strconv.ParseUint(f[2], 16, 64); err != nil {
		return MapsEntry{}, fmt.Errorf("offset: %w", err)
	}
	major, minor, ok := strings.Cut(f[3], ":")
	if !ok {
		return MapsEntry{}, fmt.Errorf("device %q: want major:minor", f[3])
	}
	maj, err := strconv.ParseUint(major, 16, 32)
	if err != nil {
		return MapsEntry{}, fmt.Errorf("device major: %w", err)
	}
	mnr, err := strconv.ParseUint(minor, 16, 32)
	if err != nil {
		return MapsEntry{}, fmt.Errorf("device minor: %w", err)
	}
	m.Major, m.Minor = uint32(maj), uint32(mnr)
	if m.Inode, err = kerneltext.ParseUint(f[4], 64); err != nil {
		return MapsEntry{}, fmt.Errorf("inode: %w", err)
	}
	i := 0
	for i < len(rest) && kerneltext.IsBlank(rest[i]) {
		i++
	}
	m.Path = unescapeNewlines(rest[i:])
	return m, nil
}

// validPerms reports whether p is four permission letters: r, w and x or
// '-' each in its place, then p or s.
func validPerms(p string) bool {
	return len(p) == 4 &&
		(p[0] == 'r' || p[0] == '-') &&
		(p[1] == 'w' || p[1] == '-') &&
		(p[2] == 'x' || p[2] == '-') &&
		(p[3] == 'p' || p[3] == 's')
}

// unescapeNewlines decodes the one escape the kernel writes in a maps
// path, \012 for a newline (seq_file_path's "\n" escape set).
func unescapeNewlines(s string) string {
	if !strings.Contains(s, `\012`) {
		return s
	}
	return strings.ReplaceAll(s, `\012`, "\n")
}
