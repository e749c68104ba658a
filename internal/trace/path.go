package trace

import (
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// atFDCWD is the dirfd that stands for the working directory.
const atFDCWD = -100

// FullPath resolves the event's path against the working directory of the
// thread (for AT_FDCWD) or the directory its dirfd names, read from /proc
// when the event arrives. It is the path as the process meant it, cleaned
// of "." and "..", not following symlinks. It can be wrong when, between
// the open and the event being read, the thread changed its directory or
// closed or reused the dirfd; it cannot be found ("" is returned) once the
// process has exited; and for a process in another mount namespace or
// chroot it is that process's view, not the tracer's.
func (e *OpenEvent) FullPath() string {
	p := string(e.Path)
	if filepath.IsAbs(p) || p == "" {
		return p
	}
	var link string
	if e.DirFD == atFDCWD {
		link = "/proc/" + strconv.FormatUint(uint64(e.TID), 10) + "/cwd"
	} else {
		link = "/proc/" + strconv.FormatUint(uint64(e.PID), 10) + "/fd/" + strconv.Itoa(int(e.DirFD))
	}
	dir, err := os.Readlink(link)
	if err != nil || !filepath.IsAbs(dir) {
		return ""
	}
	return filepath.Join(dir, p)
}

// pathOfFD names the file a successful open returned: the link of its fd
// while it is still open (the kernel's own resolution), else FullPath.
func (e *OpenEvent) pathOfFD() string {
	if e.FD >= 0 {
		link := "/proc/" + strconv.FormatUint(uint64(e.PID), 10) + "/fd/" + strconv.Itoa(int(e.FD))
		if p, err := os.Readlink(link); err == nil && filepath.IsAbs(p) {
			// The fd may already be another file's: check it is this one.
			var st statIno
			if st.of(link) && st.dev == e.Dev && st.ino == e.Ino {
				return p
			}
		}
	}
	if p := e.FullPath(); p != "" {
		return p
	}
	return string(e.Path)
}

type statIno struct{ dev, ino uint64 }

func (s *statIno) of(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	s.dev, s.ino = st.Dev, st.Ino
	return true
}
