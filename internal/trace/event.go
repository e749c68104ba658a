package trace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenEvent is one open, as the kernel saw it return.
type OpenEvent struct {
	Time     time.Time
	PID      uint32 // process (thread group)
	TID      uint32 // thread
	UID      uint32
	Comm     []byte // command name; valid only during the callback
	Path     []byte // as passed to the syscall; valid only during the callback
	FD       int32  // the new file descriptor, -1 when the open failed
	Errno    unix.Errno
	Flags    uint32 // open flags (creat's are O_CREAT|O_WRONLY|O_TRUNC)
	Mode     uint32
	DirFD    int32  // the directory a relative path is relative to; AT_FDCWD (-100) for the working directory
	Syscall  string // open, openat, openat2 or creat
	CgroupID uint64 // cgroup v2 ID of the task
	// Dev and Ino identify the opened file (trace files only).
	Dev uint64
	Ino uint64
}

var syscallNames = [...]string{"open", "openat", "openat2", "creat"}

// Offsets in an event record; the record is the C struct event cut after
// its path's NUL.
var (
	offTs       = unsafe.Offsetof(traceEvent{}.Ts)
	offCgroup   = unsafe.Offsetof(traceEvent{}.CgroupId)
	offIno      = unsafe.Offsetof(traceEvent{}.Ino)
	offPid      = unsafe.Offsetof(traceEvent{}.Pid)
	offTid      = unsafe.Offsetof(traceEvent{}.Tid)
	offUid      = unsafe.Offsetof(traceEvent{}.Uid)
	offRet      = unsafe.Offsetof(traceEvent{}.Ret)
	offDfd      = unsafe.Offsetof(traceEvent{}.Dfd)
	offFlags    = unsafe.Offsetof(traceEvent{}.Flags)
	offMode     = unsafe.Offsetof(traceEvent{}.Mode)
	offDev      = unsafe.Offsetof(traceEvent{}.Dev)
	offSc       = unsafe.Offsetof(traceEvent{}.Sc)
	offPathLen  = unsafe.Offsetof(traceEvent{}.PathLen)
	offComm     = unsafe.Offsetof(traceEvent{}.Comm)
	offPath     = unsafe.Offsetof(traceEvent{}.Path)
	commLen     = uintptr(len(traceEvent{}.Comm))
	maxPathSize = uintptr(len(traceEvent{}.Path))
)

// decode fills e from a ring buffer record; offset converts the kernel's
// monotonic clock to the wall clock. It reports false for a record too
// short to be an event.
func (e *OpenEvent) decode(b []byte, offset int64) bool {
	if uintptr(len(b)) < offPath {
		return false
	}
	le := binary.LittleEndian // the programs are built for little-endian targets only
	e.Time = time.Unix(0, int64(le.Uint64(b[offTs:]))+offset)
	e.CgroupID = le.Uint64(b[offCgroup:])
	e.Ino = le.Uint64(b[offIno:])
	e.PID = le.Uint32(b[offPid:])
	e.TID = le.Uint32(b[offTid:])
	e.UID = le.Uint32(b[offUid:])
	ret := int32(le.Uint32(b[offRet:]))
	e.FD, e.Errno = ret, 0
	if ret < 0 {
		e.FD, e.Errno = -1, unix.Errno(-ret)
	}
	e.DirFD = int32(le.Uint32(b[offDfd:]))
	e.Flags = le.Uint32(b[offFlags:])
	e.Mode = le.Uint32(b[offMode:])
	e.Dev = 0
	if d := le.Uint32(b[offDev:]); d != 0 || e.Ino != 0 {
		// The kernel's dev_t is major << 20 | minor.
		e.Dev = unix.Mkdev(d>>20, d&(1<<20-1))
	}
	e.Syscall = "?"
	if sc := le.Uint32(b[offSc:]); int(sc) < len(syscallNames) {
		e.Syscall = syscallNames[sc]
	}
	e.Comm = cstring(b[offComm : offComm+commLen])
	n := uintptr(le.Uint32(b[offPathLen:]))
	if n > maxPathSize || offPath+n > uintptr(len(b)) {
		n = uintptr(len(b)) - offPath
	}
	e.Path = cstring(b[offPath : offPath+n])
	return true
}

func cstring(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// openFlags are the names of the open flags, as this architecture numbers
// them. O_TMPFILE includes O_DIRECTORY and is matched whole.
var openFlags = []struct {
	name string
	bit  uint32
}{
	{"O_CREAT", unix.O_CREAT}, {"O_EXCL", unix.O_EXCL}, {"O_NOCTTY", unix.O_NOCTTY},
	{"O_TRUNC", unix.O_TRUNC}, {"O_APPEND", unix.O_APPEND}, {"O_NONBLOCK", unix.O_NONBLOCK},
	{"O_DSYNC", unix.O_DSYNC}, {"O_SYNC", unix.O_SYNC &^ unix.O_DSYNC}, {"O_ASYNC", unix.O_ASYNC},
	{"O_DIRECT", unix.O_DIRECT}, {"O_LARGEFILE", largefile}, {"O_DIRECTORY", unix.O_DIRECTORY},
	{"O_NOFOLLOW", unix.O_NOFOLLOW}, {"O_NOATIME", unix.O_NOATIME}, {"O_CLOEXEC", unix.O_CLOEXEC},
	{"O_PATH", unix.O_PATH}, {"O_TMPFILE", unix.O_TMPFILE &^ unix.O_DIRECTORY},
}

var accmodeNames = [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}

// FormatFlags names open flags: the access mode, then each flag set, then
// any bits left as hexadecimal. O_SYNC is shown as O_SYNC, not also O_DSYNC.
func FormatFlags(f uint32) string {
	var b strings.Builder
	b.WriteString(accmodeNames[f&unix.O_ACCMODE])
	rest := f &^ unix.O_ACCMODE
	if rest&unix.O_SYNC == unix.O_SYNC {
		rest &^= unix.O_DSYNC // O_SYNC is __O_SYNC|O_DSYNC
		b.WriteString("|O_SYNC")
		rest &^= unix.O_SYNC &^ unix.O_DSYNC
	}
	if rest&unix.O_TMPFILE == unix.O_TMPFILE {
		b.WriteString("|O_TMPFILE")
		rest &^= unix.O_TMPFILE
	}
	for _, fl := range openFlags {
		if fl.bit != 0 && bits.OnesCount32(fl.bit) == 1 && rest&fl.bit != 0 {
			b.WriteString("|" + fl.name)
			rest &^= fl.bit
		}
	}
	if rest != 0 {
		fmt.Fprintf(&b, "|%#x", rest)
	}
	return b.String()
}

// ParseFlag returns the access mode bit or the flag bits of a flag name
// (O_WRONLY, o_creat, CREAT ...).
func ParseFlag(name string) (accmode uint32, flag uint32, err error) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "O_") {
		n = "O_" + n
	}
	for i, a := range accmodeNames[:3] {
		if n == a {
			return 1 << i, 0, nil
		}
	}
	if n == "O_SYNC" {
		return 0, unix.O_SYNC &^ unix.O_DSYNC, nil
	}
	for _, fl := range openFlags {
		if fl.name == n && fl.bit != 0 {
			return 0, fl.bit, nil
		}
	}
	return 0, 0, fmt.Errorf("open flag %q: want one of O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC, O_DIRECT, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_PATH, O_TMPFILE", name)
}

func flagMasks(names []string) (accmodes, flags uint32, err error) {
	for _, n := range names {
		a, f, err := ParseFlag(n)
		if err != nil {
			return 0, 0, err
		}
		accmodes |= a
		flags |= f
	}
	return accmodes, flags, nil
}
