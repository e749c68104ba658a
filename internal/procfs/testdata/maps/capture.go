//go:build ignore

// Capture writes two real /proc/[pid]/maps files of its own process into
// the current directory: "go", the maps of a small Go program as it
// starts, and "big", the same process after it made about 10,000
// mappings, among them every odd kind of path the kernel writes. The
// addresses change from run to run, so rerunning it means updating the
// tests' exact entries:
//
//	cd internal/procfs/testdata/maps && go build -o /tmp/mihari-capture capture.go && /tmp/mihari-capture
//
// It needs Linux and a writable /tmp and /dev/shm, not root.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dir holds the mapped files; their names are what the fixture is about.
const dir = "/tmp/mihari-maps"

// pages is the number of single-page mappings made to reach ~10,000 lines.
const pages = 9900

func main() {
	log.SetFlags(0)
	copyMaps("go")

	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	page := os.Getpagesize()

	// Files with a space, a newline (written "\012"), a literal
	// backslash-012 (written as is, so indistinguishable), a tab and a
	// trailing space in their names, each mapped executable at offset one
	// page, the way a shared library's text is.
	for _, name := range []string{"lib with spaces.so", "new\nline", `back\012slash`, "tab\there", "trailing space "} {
		mapFile(filepath.Join(dir, name), 2*page, page, page, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
	}
	// A long path: 12 directories of 60 bytes.
	long := dir
	for i := range 12 {
		long = filepath.Join(long, fmt.Sprintf("%02d", i)+strings.Repeat("d", 58))
	}
	if err := os.MkdirAll(long, 0o755); err != nil {
		log.Fatal(err)
	}
	mapFile(filepath.Join(long, "libdeep.so"), page, 0, page, unix.PROT_READ, unix.MAP_PRIVATE)
	// An offset past 4 GiB: nine hex digits in the offset field.
	mapFile(filepath.Join(dir, "sparse"), 1<<33+page, 1<<33, page, unix.PROT_READ, unix.MAP_SHARED)
	// A file removed while mapped: " (deleted)".
	deleted := filepath.Join(dir, "deleted.so")
	mapFile(deleted, page, 0, page, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
	if err := os.Remove(deleted); err != nil {
		log.Fatal(err)
	}
	// A file on tmpfs, another device, shared and writable.
	shm := "/dev/shm/mihari-maps"
	mapFile(shm, page, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	defer os.Remove(shm)

	// A memfd: "/memfd:mihari-jit (deleted)", executable like a JIT's code.
	fd, err := unix.MemfdCreate("mihari-jit", 0)
	if err != nil {
		log.Fatal(err)
	}
	if err := unix.Ftruncate(fd, int64(page)); err != nil {
		log.Fatal(err)
	}
	mmap(fd, 0, page, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_SHARED)
	// Shared anonymous memory: "/dev/zero (deleted)".
	mmap(-1, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	// A named anonymous mapping, "[anon:mihari]", where the kernel has
	// CONFIG_ANON_VMA_NAME; EINVAL elsewhere.
	named := mmap(-1, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	nameBytes := []byte("mihari\x00")
	if err := unix.Prctl(unix.PR_SET_VMA, unix.PR_SET_VMA_ANON_NAME, uintptr(unsafe.Pointer(&named[0])), uintptr(page), uintptr(unsafe.Pointer(&nameBytes[0]))); err != nil {
		log.Printf("no [anon:] name: %v", err)
	}

	// Many mappings: one reservation whose pages get permissions in turn
	// r--, ---, rw-, ---, so that no two neighbours merge into one VMA.
	res := mmap(-1, 0, pages*page, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	for i := 0; i < pages; i += 2 {
		prot := unix.PROT_READ
		if i%4 == 2 {
			prot |= unix.PROT_WRITE
		}
		if err := unix.Mprotect(res[i*page:(i+1)*page], prot); err != nil {
			log.Fatal(err)
		}
	}
	copyMaps("big")
}

// mapFile creates path with size bytes and maps length bytes of it from
// offset off.
func mapFile(path string, size, off, length, prot, flags int) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		log.Fatal(err)
	}
	mmap(int(f.Fd()), int64(off), length, prot, flags)
}

// mmap maps length bytes of fd from off, or anonymous memory for fd -1.
func mmap(fd int, off int64, length, prot, flags int) []byte {
	b, err := unix.Mmap(fd, off, length, prot, flags)
	if err != nil {
		log.Fatalf("mmap fd %d: %v", fd, err)
	}
	return b
}

// copyMaps copies /proc/self/maps to name.
func copyMaps(name string) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
