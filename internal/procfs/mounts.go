package procfs

import (
	"fmt"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// Mount is one line of /proc/[pid]/mounts, in fstab(5) format.
type Mount struct {
	// Device is the mounted device or source, e.g. "/dev/vda" or "tmpfs",
	// with its octal escapes decoded.
	Device string
	// MountPoint is where it is mounted, as seen from the reading process's
	// mount namespace and root, with its octal escapes decoded.
	MountPoint string
	// FSType is the filesystem type, e.g. "ext4" or "fuse.sshfs".
	FSType string
	// Options are the mount options, comma-separated, as in the file.
	Options string
}

// minMountFields is the fields a line needs: device, mount point, type and
// options. The two after them (dump and pass) are always 0 in /proc and
// are not parsed.
const minMountFields = 4

// ParseMounts parses /proc/[pid]/mounts. It is lenient: blank lines are
// skipped silently, a line with fewer than four fields is skipped and
// reported in the error, and the good lines are returned in file order
// whatever the error. The kernel writes a space, tab, newline or backslash
// in a device or mount point as an octal escape (\040, \011, \012, \134);
// those escapes, and any other \ooo, are decoded.
//
// Strings without escapes are substrings of one copy of b, so keeping one
// keeps the whole copy alive.
func ParseMounts(b []byte) ([]Mount, error) {
	return kerneltext.ParseLines(b, "a b c d", parseMountLine)
}

// parseMountLine parses "device mountpoint type options dump pass".
func parseMountLine(line string) (Mount, error) {
	var f [minMountFields]string
	rest := line
	for i := range f {
		if f[i], rest = kerneltext.NextField(rest); f[i] == "" {
			return Mount{}, fmt.Errorf("want at least %d fields, have %d", minMountFields, i)
		}
	}
	return Mount{
		Device:     unescapeOctal(f[0]),
		MountPoint: unescapeOctal(f[1]),
		FSType:     f[2],
		Options:    f[3],
	}, nil
}

// unescapeOctal decodes the \ooo escapes of s. A backslash not followed by
// three octal digits of a byte's value is kept as it is: the kernel never
// writes one, and a mount point is better shown oddly than dropped.
func unescapeOctal(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for ; i >= 0; i = strings.IndexByte(s, '\\') {
		out = append(out, s[:i]...)
		s = s[i:]
		if c, ok := octalByte(s[1:]); ok {
			out = append(out, c)
			s = s[4:]
		} else {
			out = append(out, '\\')
			s = s[1:]
		}
	}
	return string(append(out, s...))
}

// octalByte decodes the three octal digits at the start of s, if they are
// there and at most 0377.
func octalByte(s string) (byte, bool) {
	if len(s) < 3 {
		return 0, false
	}
	v := 0
	for i := range 3 {
		d := int(s[i]) - '0'
		if d < 0 || d > 7 {
			return 0, false
		}
		v = v*8 + d
	}
	if v > 0377 {
		return 0, false
	}
	return byte(v), true
}
