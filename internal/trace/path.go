package trace

import (
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// atFDCWD is the dirfd that stands for the working directory.
const atFDCWD = -100

// FullPath is the event's path made absolute; an absolute path is returned
// as it was passed. With Options.FullPath, a
// relative path is joined to the directory the kernel named when the open
// returned: the thread's working directory, or the directory of the dirfd
// it passed. That name is the task's own view: relative to its root, so a
// process in a chroot or another mount namespace is shown the path as it
// sees it, not as the tracer would. Where the kernel could not name the
// directory (deeper than 64 levels or 4 KiB; no such dirfd), it is read
// from /proc when the event arrives, which is wrong if the thread changed
// directory or reused the dirfd in between, and impossible ("" is
// returned) once it has exited. The joined path is cleaned of "." and ".."
// lexically: symlinks are not followed.
func (e *OpenEvent) FullPath() string {
	p := string(e.Path)
	if filepath.IsAbs(p) || p == "" {
		return p
	}
	if dir, ok := e.walked(partsDir); ok {
		return filepath.Join(dir, p)
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

// pathOfFD names the file a successful open returned: the path the kernel
// named for it (trace files), else the link of its fd while it is still
// open, else FullPath.
func (e *OpenEvent) pathOfFD() string {
	if p, ok := e.walked(partsFile); ok {
		return p
	}
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
