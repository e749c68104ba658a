package main

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// legacyOpen calls open(2) or creat(2), which amd64 has and arm64 does not.
func legacyOpen(sc, path string, flags int) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	var r uintptr
	var errno unix.Errno
	if sc == "creat" {
		r, _, errno = unix.Syscall(unix.SYS_CREAT, uintptr(unsafe.Pointer(p)), 0o644, 0)
	} else {
		r, _, errno = unix.Syscall(unix.SYS_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flags), 0o644)
	}
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
