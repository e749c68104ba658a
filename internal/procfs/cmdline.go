package procfs

import (
	"bytes"
	"strings"
)

// ParseCmdline parses /proc/[pid]/cmdline, the process's arguments, each
// ended by a NUL. It returns nil for an empty file, which is what a kernel
// thread, a zombie and a process that cleared its arguments have.
//
// The NULs at the end of the file end arguments and make none: a process
// that rewrites its arguments to a shorter title (nginx, postgres, sshd)
// pads the rest of their space with NULs, and those are not empty
// arguments. Empty arguments between others are kept. A process that
// rewrites its arguments as one string with spaces and no NUL gets one
// element: the spaces cannot be told from spaces within an argument.
//
// The arguments are substrings of one copy of b.
func ParseCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	args := make([]string, 0, strings.Count(s, "\x00")+1)
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			return append(args, s)
		}
		args = append(args, s[:i])
		s = s[i+1:]
	}
}
