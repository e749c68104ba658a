//go:build !amd64

package main

import "golang.org/x/sys/unix"

// legacyOpen stands in for open(2) and creat(2), which this architecture
// does not have, with openat(2); the tests ask for them only on amd64.
func legacyOpen(sc, path string, flags int) (int, error) {
	if sc == "creat" {
		flags = unix.O_CREAT | unix.O_WRONLY | unix.O_TRUNC
	}
	return unix.Openat(unix.AT_FDCWD, path, flags, 0o644)
}
