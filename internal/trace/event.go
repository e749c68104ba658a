package trace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
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

	// A path the kernel named by walking it up to the task's root: with
	// Options.FullPath, the directory a relative Path is relative to;
	// for trace files, the opened file. Its names, leaf first, each
	// ending in a NUL; valid only during the callback.
	parts     []byte
	partsKind uint32
}

// What OpenEvent.parts name (the C enum PARTS_*).
const (
	partsNone = iota
	partsDir
	partsFile
	partsCut = 0x100 // the walk stopped short of the root
)

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
	offParts    = unsafe.Offsetof(traceEvent{}.Parts)
	offPartsLen = unsafe.Offsetof(traceEvent{}.PartsLen)
	offComm     = unsafe.Offsetof(traceEvent{}.Comm)
	offBuf      = unsafe.Offsetof(traceEvent{}.Buf)
	commLen     = uintptr(len(traceEvent{}.Comm))
)

// decode fills e from a ring buffer record; offset converts the kernel's
// monotonic clock to the wall clock. It reports false for a record too
// short to be an event. Lengths in the record are trusted only as far as
// the record goes.
func (e *OpenEvent) decode(b []byte, offset int64) bool {
	if uintptr(len(b)) < offBuf {
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
		e.Dev = kernelDev(d)
	}
	e.Syscall = "?"
	if sc := le.Uint32(b[offSc:]); int(sc) < len(syscallNames) {
		e.Syscall = syscallNames[sc]
	}
	e.Comm = cstring(b[offComm : offComm+commLen])
	buf := b[offBuf:]
	n := uint64(le.Uint32(b[offPathLen:]))
	if n > uint64(len(buf)) {
		n = uint64(len(buf))
	}
	e.Path = cstring(buf[:n])
	e.partsKind, e.parts = partsNone, nil
	if k := le.Uint32(b[offParts:]); k != partsNone {
		rest := buf[n:]
		m := uint64(le.Uint32(b[offPartsLen:]))
		if m > uint64(len(rest)) {
			m = uint64(len(rest))
		}
		e.partsKind, e.parts = k, rest[:m]
	}
	return true
}

// walked returns the path the kernel named (see OpenEvent.parts) if it
// is of this kind and whole: "/" and the names, root first.
func (e *OpenEvent) walked(kind uint32) (string, bool) {
	if e.partsKind != kind {
		return "", false
	}
	p := e.parts
	if len(p) > 0 && p[len(p)-1] == 0 {
		p = p[:len(p)-1]
	}
	if len(p) == 0 {
		return "/", true
	}
	var names [][]byte
	for name := range bytes.SplitSeq(p, []byte{0}) {
		names = append(names, name)
	}
	n := 0
	for _, name := range names {
		n += 1 + len(name)
	}
	b := make([]byte, 0, n)
	for i := len(names) - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, names[i]...)
	}
	return string(b), true
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
	return 0, 0, fmt.Errorf("open flag %q: want one of %s", name, flagNames())
}

// flagNames lists the names ParseFlag takes.
func flagNames() string {
	names := slices.Clone(accmodeNames[:3])
	for _, fl := range openFlags {
		if fl.bit != 0 {
			names = append(names, fl.name)
		}
	}
	return strings.Join(names, ", ")
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
