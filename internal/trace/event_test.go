package trace

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// record describes one ring buffer record in the terms of the C struct
// event; bytes lays it out.
type record struct {
	ts, cgroupID, ino uint64
	pid, tid, uid     uint32
	ret, dfd          int32
	flags, mode       uint32
	dev               uint32 // the kernel's encoding: major << 20 | minor
	sc                uint32
	comm              string   // at most 16 bytes; the kernel's always ends in a NUL
	path              string   // as passed, without its NUL
	noPath            bool     // bpf_probe_read_user_str failed: path_len 0
	parts             uint32   // PARTS_*, with partsCut for a cut walk
	names             []string // of a walked path, leaf first
	pathLen, partsLen uint32   // when not 0, written instead of the lengths of path and names
	cutBefore         int      // the record ends this many bytes before the lengths say
}

// bytes returns the record as exit_open sends it: the struct event
// serialised as the kernel lays it out, cut after offsetof(buf) +
// path_len + parts_len bytes, as bpf_ringbuf_output sends it.
func (r record) bytes(t testing.TB) []byte {
	t.Helper()
	var buf []byte
	if !r.noPath {
		buf = append([]byte(r.path), 0)
	}
	pathLen := uint32(len(buf))
	for _, n := range r.names {
		buf = append(buf, n...)
		buf = append(buf, 0)
	}
	partsLen := uint32(len(buf)) - pathLen
	e := traceEvent{
		Ts: r.ts, CgroupId: r.cgroupID, Ino: r.ino, Pid: r.pid, Tid: r.tid, Uid: r.uid,
		Ret: r.ret, Dfd: r.dfd, Flags: r.flags, Mode: r.mode, Dev: r.dev, Sc: r.sc,
		PathLen: pathLen, Parts: r.parts, PartsLen: partsLen,
	}
	if r.pathLen != 0 {
		e.PathLen = r.pathLen
	}
	if r.partsLen != 0 {
		e.PartsLen = r.partsLen
	}
	if len(r.comm) > len(e.Comm) || len(buf) > len(e.Buf) {
		t.Fatalf("record too big: comm %q, %d bytes of buf", r.comm, len(buf))
	}
	for i := range len(r.comm) {
		e.Comm[i] = int8(r.comm[i])
	}
	for i, c := range buf {
		e.Buf[i] = int8(c)
	}
	var w bytes.Buffer
	if err := binary.Write(&w, binary.LittleEndian, &e); err != nil {
		t.Fatal(err)
	}
	b := w.Bytes()
	// binary.Write packs; the kernel does not: they agree only if the
	// struct has no padding, which decode's offsets also assume.
	if uintptr(len(b)) != unsafe.Sizeof(e) {
		t.Fatalf("serialised %d bytes, the struct has %d", len(b), unsafe.Sizeof(e))
	}
	n := int(offBuf) + len(buf) - r.cutBefore
	return b[:n]
}

// decoded decodes b into a fresh event, failing the test if decode does
// not take it.
func decoded(t *testing.T, b []byte) *OpenEvent {
	t.Helper()
	var e OpenEvent
	if !e.decode(b, 0) {
		t.Fatalf("decode took not the %d-byte record", len(b))
	}
	return &e
}

// eventFields are the fields of an OpenEvent a test compares, as strings
// where the event has bytes.
type eventFields struct {
	Time          time.Time
	PID, TID, UID uint32
	Comm, Path    string
	FD            int32
	Errno         unix.Errno
	Flags, Mode   uint32
	DirFD         int32
	Syscall       string
	CgroupID      uint64
	Dev, Ino      uint64
	Parts         string
	PartsKind     uint32
}

// fieldsOf picks the fields of e a test compares.
func fieldsOf(e *OpenEvent) eventFields {
	return eventFields{
		Time: e.Time, PID: e.PID, TID: e.TID, UID: e.UID, Comm: string(e.Comm), Path: string(e.Path),
		FD: e.FD, Errno: e.Errno, Flags: e.Flags, Mode: e.Mode, DirFD: e.DirFD, Syscall: e.Syscall,
		CgroupID: e.CgroupID, Dev: e.Dev, Ino: e.Ino, Parts: string(e.parts), PartsKind: e.partsKind,
	}
}

func TestDecode(t *testing.T) {
	const offset = 1_700_000_000_000_000_000 // wall clock minus monotonic, ns
	tests := []struct {
		name string
		rec  record
		want eventFields
	}{{
		name: "successful openat",
		rec: record{
			ts: 5_000_000_123, cgroupID: 4242, pid: 100, tid: 101, uid: 1000, ret: 3, dfd: atFDCWD,
			flags: unix.O_RDONLY | unix.O_CLOEXEC, mode: 0, sc: 1, comm: "cat", path: "/etc/passwd",
		},
		want: eventFields{
			Time: time.Unix(0, offset+5_000_000_123), PID: 100, TID: 101, UID: 1000, Comm: "cat",
			Path: "/etc/passwd", FD: 3, Flags: unix.O_CLOEXEC, DirFD: atFDCWD, Syscall: "openat", CgroupID: 4242,
		},
	}, {
		name: "failed open: -ENOENT",
		rec:  record{pid: 7, tid: 7, ret: -2, dfd: atFDCWD, sc: 0, comm: "sh", path: "nope"},
		want: eventFields{
			Time: time.Unix(0, offset), PID: 7, TID: 7, Comm: "sh", Path: "nope", FD: -1,
			Errno: unix.ENOENT, DirFD: atFDCWD, Syscall: "open",
		},
	}, {
		name: "fd 0 is a success",
		rec:  record{ret: 0, sc: 2, dfd: 5, path: "x"},
		want: eventFields{Time: time.Unix(0, offset), Path: "x", FD: 0, DirFD: 5, Syscall: "openat2"},
	}, {
		name: "creat",
		rec:  record{ret: 4, sc: 3, flags: unix.O_CREAT | unix.O_WRONLY | unix.O_TRUNC, mode: 0o644, path: "/tmp/f"},
		want: eventFields{
			Time: time.Unix(0, offset), Path: "/tmp/f", FD: 4, Syscall: "creat",
			Flags: unix.O_CREAT | unix.O_WRONLY | unix.O_TRUNC, Mode: 0o644,
		},
	}, {
		name: "unknown syscall index",
		rec:  record{sc: 4, path: "/"},
		want: eventFields{Time: time.Unix(0, offset), Path: "/", Syscall: "?"},
	}, {
		name: "largest syscall index",
		rec:  record{sc: 0xffffffff, path: "/"},
		want: eventFields{Time: time.Unix(0, offset), Path: "/", Syscall: "?"},
	}, {
		// The kernel's dev_t is major << 20 | minor; stat's is not.
		name: "device 259:524288, from trace files",
		rec:  record{dev: 259<<20 | 524288, ino: 77, ret: 3, sc: 1, path: "/data/f"},
		want: eventFields{
			Time: time.Unix(0, offset), Path: "/data/f", FD: 3, Syscall: "openat",
			Dev: unix.Mkdev(259, 524288), Ino: 77,
		},
	}, {
		// Inode 5 on device 0:0 is a file, not "no file".
		name: "device 0:0 with an inode",
		rec:  record{dev: 0, ino: 5, sc: 1, path: "/x"},
		want: eventFields{Time: time.Unix(0, offset), Path: "/x", Syscall: "openat", Dev: unix.Mkdev(0, 0), Ino: 5},
	}, {
		name: "comm of 15 bytes and its NUL",
		rec:  record{comm: "systemd-journal", sc: 1, path: "/run/log"},
		want: eventFields{Time: time.Unix(0, offset), Comm: "systemd-journal", Path: "/run/log", Syscall: "openat"},
	}, {
		// The kernel always ends comm with a NUL; a record without one
		// is taken whole, not read past.
		name: "comm of 16 bytes without a NUL",
		rec:  record{comm: "0123456789abcdef", sc: 1, path: "/p"},
		want: eventFields{Time: time.Unix(0, offset), Comm: "0123456789abcdef", Path: "/p", Syscall: "openat"},
	}, {
		name: "path of PATH_MAX-1 bytes, as long as the kernel reads",
		rec:  record{sc: 1, path: "/" + strings.Repeat("a", 4094)},
		want: eventFields{Time: time.Unix(0, offset), Path: "/" + strings.Repeat("a", 4094), Syscall: "openat"},
	}, {
		name: "path unreadable: path_len 0",
		rec:  record{sc: 1, ret: -14, noPath: true},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", FD: -1, Errno: unix.EFAULT},
	}, {
		name: "directory of a relative path",
		rec:  record{sc: 1, dfd: atFDCWD, path: "a/b", parts: partsDir, names: []string{"u", "home"}},
		want: eventFields{
			Time: time.Unix(0, offset), Syscall: "openat", DirFD: atFDCWD, Path: "a/b",
			Parts: "u\x00home\x00", PartsKind: partsDir,
		},
	}, {
		name: "path_len beyond the record: clipped",
		rec:  record{sc: 1, path: "/abc", pathLen: 1000},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", Path: "/abc"},
	}, {
		name: "path_len beyond the record, record cut inside the path",
		rec:  record{sc: 1, path: "/abcdef", pathLen: 1000, cutBefore: 4},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", Path: "/abc"},
	}, {
		name: "parts_len beyond the record: clipped",
		rec:  record{sc: 1, path: "f", parts: partsDir, names: []string{"d"}, partsLen: 0xffffffff},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", Path: "f", Parts: "d\x00", PartsKind: partsDir},
	}, {
		name: "both lengths at their largest",
		rec:  record{sc: 1, path: "f", parts: partsFile, names: []string{"d"}, pathLen: 0xffffffff, partsLen: 0xffffffff},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", Path: "f", PartsKind: partsFile},
	}, {
		name: "header only",
		rec:  record{sc: 1, noPath: true, pathLen: 10, parts: partsDir, partsLen: 10},
		want: eventFields{Time: time.Unix(0, offset), Syscall: "openat", PartsKind: partsDir},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e OpenEvent
			if !e.decode(tt.rec.bytes(t), offset) {
				t.Fatal("decode took not the record")
			}
			if diff := cmp.Diff(tt.want, fieldsOf(&e)); diff != "" {
				t.Errorf("decode mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// The kernel sends only the used bytes of the struct: a record is never
// its full size.
func TestDecodeRecordSize(t *testing.T) {
	b := record{sc: 1, path: "/etc/hosts"}.bytes(t)
	if have, want := len(b), int(offBuf)+len("/etc/hosts")+1; have != want {
		t.Fatalf("record of %d bytes, want %d", have, want)
	}
}

func TestDecodeShortRecord(t *testing.T) {
	full := record{pid: 1, sc: 1, path: "/x"}.bytes(t)
	for _, n := range []int{0, 1, 8, int(offComm), int(offBuf) - 1} {
		var e OpenEvent
		if e.decode(full[:n], 0) {
			t.Errorf("decode took a record of %d bytes, shorter than the %d-byte header", n, offBuf)
		}
	}
	// The header alone is an event with an empty path.
	e := decoded(t, full[:offBuf])
	if e.PID != 1 || len(e.Path) != 0 || e.Syscall != "openat" {
		t.Errorf("header only: pid %d, path %q, syscall %q; want 1, \"\", openat", e.PID, e.Path, e.Syscall)
	}
}

// Run decodes every record into the same OpenEvent: nothing of one
// record may stay for the next.
func TestDecodeReusedEvent(t *testing.T) {
	var e OpenEvent
	first := record{
		ret: -13, dev: 8<<20 | 1, ino: 12, sc: 1, comm: "longcommandname", path: "dir/file",
		parts: partsDir, names: []string{"tmp"},
	}
	if !e.decode(first.bytes(t), 0) {
		t.Fatal("decode took not the first record")
	}
	if !e.decode(record{ret: 3, sc: 0, comm: "a", path: "/b"}.bytes(t), 0) {
		t.Fatal("decode took not the second record")
	}
	want := eventFields{Time: time.Unix(0, 0), Comm: "a", Path: "/b", FD: 3, Syscall: "open"}
	if diff := cmp.Diff(want, fieldsOf(&e)); diff != "" {
		t.Errorf("second event mismatch (-want +have):\n%s", diff)
	}
}

func TestWalked(t *testing.T) {
	tests := []struct {
		name   string
		parts  string
		kind   uint32 // the event's
		ask    uint32 // walked's argument
		want   string
		wantOK bool
	}{
		{"file", "z\x00y\x00x\x00", partsFile, partsFile, "/x/y/z", true},
		{"directory", "u\x00home\x00", partsDir, partsDir, "/home/u", true},
		{"one name", "etc\x00", partsDir, partsDir, "/etc", true},
		{"the root", "", partsFile, partsFile, "/", true},
		{"names with spaces and bytes that are not UTF-8", "a b\x00\xff\xfe\x00", partsFile, partsFile, "/\xff\xfe/a b", true},
		// A record clipped inside its last name still names a path.
		{"no final NUL", "z\x00y", partsFile, partsFile, "/y/z", true},
		{"other kind", "z\x00", partsDir, partsFile, "", false},
		{"none", "", partsNone, partsDir, "", false},
		{"cut walk: a tail of the path only", "z\x00y\x00", partsFile | partsCut, partsFile, "", false},
		{"cut walk of the root", "", partsDir | partsCut, partsDir, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := OpenEvent{parts: []byte(tt.parts), partsKind: tt.kind}
			have, ok := e.walked(tt.ask)
			if have != tt.want || ok != tt.wantOK {
				t.Errorf("walked(%#x) = %q, %v; want %q, %v", tt.ask, have, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// cwd is the test's working directory as the kernel names it.
func cwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wd, err = filepath.EvalSymlinks(wd)
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestFullPath(t *testing.T) {
	// A TID that cannot exist (above PID_MAX_LIMIT): an exited thread.
	const gone = 1 << 30
	self, tid := uint32(os.Getpid()), uint32(unix.Gettid())
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rec  record
		want string
	}{
		{"absolute path, as is", record{path: "/etc/passwd"}, "/etc/passwd"},
		{"absolute path with dots, as is", record{path: "/etc/../etc/./passwd"}, "/etc/../etc/./passwd"},
		{"absolute path, a directory walked too", record{path: "/etc/x", parts: partsDir, names: []string{"tmp"}}, "/etc/x"},
		{"empty path", record{pid: self, tid: tid, dfd: atFDCWD, noPath: true}, ""},
		{"relative to a walked directory", record{path: "passwd", parts: partsDir, names: []string{"etc"}}, "/etc/passwd"},
		{"cleaned", record{path: "a/../b", parts: partsDir, names: []string{"u", "home"}}, "/home/u/b"},
		{"up past the root", record{path: "../../../x", parts: partsDir, names: []string{"u", "home"}}, "/x"},
		{"dot", record{path: ".", parts: partsDir, names: []string{"u", "home"}}, "/home/u"},
		{"relative to the root", record{path: "etc", parts: partsDir}, "/etc"},
		// The rest are read from /proc, for this very thread.
		{"cut walk: /proc/TID/cwd", record{pid: self, tid: tid, dfd: atFDCWD, path: "a/../b", parts: partsDir | partsCut, names: []string{"x"}}, filepath.Join(cwd(t), "b")},
		{"no walk: /proc/TID/cwd", record{pid: self, tid: tid, dfd: atFDCWD, path: "f"}, filepath.Join(cwd(t), "f")},
		{"file walked, not the directory: /proc/TID/cwd", record{pid: self, tid: tid, dfd: atFDCWD, path: "f", parts: partsFile, names: []string{"f", "etc"}}, filepath.Join(cwd(t), "f")},
		{"dirfd: /proc/PID/fd/N", record{pid: self, tid: gone, dfd: int32(d.Fd()), path: "sub/f"}, filepath.Join(dir, "sub/f")},
		{"thread gone", record{pid: gone, tid: gone, dfd: atFDCWD, path: "f"}, ""},
		{"dirfd not open", record{pid: self, tid: tid, dfd: 1 << 30, path: "f"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decoded(t, tt.rec.bytes(t))
			if have := e.FullPath(); have != tt.want {
				t.Errorf("FullPath() = %q, want %q", have, tt.want)
			}
		})
	}
}

func TestPathOfFD(t *testing.T) {
	self := uint32(os.Getpid())
	name := filepath.Join(t.TempDir(), "opened")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name, err = filepath.EvalSymlinks(name)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	fd := int32(f.Fd())
	tests := []struct {
		name string
		e    OpenEvent
		want string
	}{
		{"walked file", OpenEvent{Path: []byte("rel"), parts: []byte("z\x00y\x00x\x00"), partsKind: partsFile}, "/x/y/z"},
		{"walked root", OpenEvent{Path: []byte("."), parts: nil, partsKind: partsFile}, "/"},
		{"the fd, still open to the file", OpenEvent{PID: self, FD: fd, Dev: st.Dev, Ino: st.Ino, Path: []byte("other/name")}, name},
		{"the fd, now another file's", OpenEvent{PID: self, FD: fd, Dev: st.Dev, Ino: st.Ino + 1, Path: []byte("/as/opened")}, "/as/opened"},
		{"cut walk, then the fd", OpenEvent{PID: self, FD: fd, Dev: st.Dev, Ino: st.Ino, parts: []byte("y\x00"), partsKind: partsFile | partsCut}, name},
		{"failed open: FullPath", OpenEvent{PID: self, FD: -1, Path: []byte("/as/opened")}, "/as/opened"},
		{"nothing left: the path as opened", OpenEvent{PID: 1 << 30, TID: 1 << 30, FD: 3, DirFD: atFDCWD, Path: []byte("rel/path")}, "rel/path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if have := tt.e.pathOfFD(); have != tt.want {
				t.Errorf("pathOfFD() = %q, want %q", have, tt.want)
			}
		})
	}
}

func TestFormatFlags(t *testing.T) {
	tests := []struct {
		flags uint32
		want  string
	}{
		{unix.O_RDONLY, "O_RDONLY"},
		{unix.O_WRONLY, "O_WRONLY"},
		{unix.O_RDWR, "O_RDWR"},
		{unix.O_ACCMODE, "O_ACCMODE"},
		{unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC"},
		{unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_DIRECTORY, "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC"},
		// O_SYNC is __O_SYNC|O_DSYNC: shown once.
		{unix.O_RDWR | unix.O_SYNC, "O_RDWR|O_SYNC"},
		{unix.O_WRONLY | unix.O_DSYNC, "O_WRONLY|O_DSYNC"},
		// O_TMPFILE is __O_TMPFILE|O_DIRECTORY: not also O_DIRECTORY.
		{unix.O_RDWR | unix.O_TMPFILE, "O_RDWR|O_TMPFILE"},
		{unix.O_WRONLY | unix.O_TMPFILE | unix.O_EXCL, "O_WRONLY|O_TMPFILE|O_EXCL"},
		{unix.O_SYNC | unix.O_TMPFILE | unix.O_CREAT, "O_RDONLY|O_SYNC|O_TMPFILE|O_CREAT"},
		// Which 64-bit programs never pass, and 32-bit ones always do.
		{largefile, "O_RDONLY|O_LARGEFILE"},
		{unix.O_RDONLY | largefile | unix.O_CLOEXEC, "O_RDONLY|O_LARGEFILE|O_CLOEXEC"},
		{unix.O_PATH | unix.O_NOATIME | unix.O_DIRECT | unix.O_ASYNC | unix.O_NONBLOCK | unix.O_APPEND | unix.O_NOCTTY,
			"O_RDONLY|O_NOCTTY|O_APPEND|O_NONBLOCK|O_ASYNC|O_DIRECT|O_NOATIME|O_PATH"},
		{1 << 31, "O_RDONLY|0x80000000"},
		{unix.O_WRONLY | unix.O_CREAT | 1<<31 | 1<<30, "O_WRONLY|O_CREAT|0xc0000000"},
		{0xffffffff, "O_ACCMODE|O_SYNC|O_TMPFILE|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_NONBLOCK|O_ASYNC|O_DIRECT|O_LARGEFILE|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_PATH|" +
			"0xff80003c"}, // the bits no flag uses
	}
	for _, tt := range tests {
		if have := FormatFlags(tt.flags); have != tt.want {
			t.Errorf("FormatFlags(%#x) = %q, want %q", tt.flags, have, tt.want)
		}
	}
}

func TestParseFlag(t *testing.T) {
	tests := []struct {
		name        string
		wantAccmode uint32 // 1 << the access mode
		wantFlag    uint32
	}{
		{"O_RDONLY", 1 << unix.O_RDONLY, 0},
		{"wronly", 1 << unix.O_WRONLY, 0},
		{"O_rdwr", 1 << unix.O_RDWR, 0},
		{"creat", 0, unix.O_CREAT},
		{"O_creat", 0, unix.O_CREAT},
		{"CREAT", 0, unix.O_CREAT},
		{"o_trunc", 0, unix.O_TRUNC},
		// O_SYNC matches what O_DSYNC does not: the __O_SYNC bit.
		{"O_SYNC", 0, unix.O_SYNC &^ unix.O_DSYNC},
		{"dsync", 0, unix.O_DSYNC},
		{"O_TMPFILE", 0, unix.O_TMPFILE &^ unix.O_DIRECTORY},
		{"O_DIRECTORY", 0, unix.O_DIRECTORY},
		{"largefile", 0, largefile},
		{"O_CLOEXEC", 0, unix.O_CLOEXEC},
		{"path", 0, unix.O_PATH},
	}
	for _, tt := range tests {
		accmode, flag, err := ParseFlag(tt.name)
		if err != nil || accmode != tt.wantAccmode || flag != tt.wantFlag {
			t.Errorf("ParseFlag(%q) = %#x, %#x, %v; want %#x, %#x, nil", tt.name, accmode, flag, err, tt.wantAccmode, tt.wantFlag)
		}
	}
}

func TestParseFlagErrors(t *testing.T) {
	const names = "O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, O_SYNC, O_ASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_PATH, O_TMPFILE"
	for _, name := range []string{"O_BOGUS", "", "O_", "O_ACCMODE", "0x40", "O_CREAT|O_TRUNC", " creat", "OO_CREAT"} {
		accmode, flag, err := ParseFlag(name)
		want := `open flag "` + name + `": want one of ` + names
		if err == nil || err.Error() != want || accmode != 0 || flag != 0 {
			t.Errorf("ParseFlag(%q) = %#x, %#x, %v; want 0, 0, %q", name, accmode, flag, err, want)
		}
	}
	// What the error offers must be taken.
	for n := range strings.SplitSeq(names, ", ") {
		if _, _, err := ParseFlag(n); err != nil {
			t.Errorf("the error offers %s, which ParseFlag refuses: %v", n, err)
		}
	}
}

// Every flag FormatFlags shows can be given to -f, so the error that
// lists what -f takes must name each one.
func TestParseFlagErrorListsEveryFlag(t *testing.T) {
	_, _, err := ParseFlag("O_BOGUS")
	if err == nil {
		t.Fatal("ParseFlag(O_BOGUS): no error")
	}
	for _, fl := range openFlags {
		if fl.bit == 0 {
			continue
		}
		if _, _, perr := ParseFlag(fl.name); perr != nil {
			continue
		}
		if !strings.Contains(err.Error()+",", " "+fl.name+",") {
			t.Errorf("ParseFlag takes %s, but its error does not list it: %v", fl.name, err)
		}
	}
}

func TestFlagMasks(t *testing.T) {
	tests := []struct {
		names        []string
		wantAccmodes uint32
		wantFlags    uint32
		wantErr      string
	}{
		{nil, 0, 0, ""},
		{[]string{"O_WRONLY"}, 1 << unix.O_WRONLY, 0, ""},
		{[]string{"O_WRONLY", "rdwr", "creat", "O_TRUNC"}, 1<<unix.O_WRONLY | 1<<unix.O_RDWR, unix.O_CREAT | unix.O_TRUNC, ""},
		{[]string{"O_CREAT", "creat"}, 0, unix.O_CREAT, ""},
		{[]string{"O_SYNC", "O_DSYNC"}, 0, unix.O_SYNC, ""},
		{[]string{"O_WRONLY", "bogus", "O_CREAT"}, 0, 0, `open flag "bogus": want one of`},
	}
	for _, tt := range tests {
		accmodes, flags, err := flagMasks(tt.names)
		if accmodes != tt.wantAccmodes || flags != tt.wantFlags {
			t.Errorf("flagMasks(%q) = %#x, %#x; want %#x, %#x", tt.names, accmodes, flags, tt.wantAccmodes, tt.wantFlags)
		}
		if have := errorString(err); !strings.HasPrefix(have, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
			t.Errorf("flagMasks(%q) error %q, want it to begin %q", tt.names, have, tt.wantErr)
		}
	}
}

// errorString is err's message, "" for nil.
func errorString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fuzzSeeds are records as the kernel sends them, and a few broken ones.
func fuzzSeeds(t testing.TB) [][]byte {
	full := record{pid: 1, sc: 1, path: "a/b", parts: partsDir, names: []string{"u", "home"}}
	return [][]byte{
		record{pid: 1, tid: 2, ret: 3, sc: 1, comm: "cat", path: "/etc/passwd"}.bytes(t),
		record{ret: -2, sc: 0, comm: "systemd-journal", path: "rel"}.bytes(t),
		full.bytes(t),
		record{ret: 3, sc: 1, dev: 8<<20 | 1, ino: 2, path: "f", parts: partsFile, names: []string{"f", "etc"}}.bytes(t),
		record{sc: 1, path: "x", parts: partsFile}.bytes(t),
		record{sc: 1, path: "x", parts: partsDir | partsCut, names: []string{"y"}}.bytes(t),
		record{sc: 9, path: "/", pathLen: 0xffffffff, parts: 0xffffffff, partsLen: 0xffffffff}.bytes(t),
		record{comm: "0123456789abcdef", noPath: true}.bytes(t),
		full.bytes(t)[:offBuf-1],
		{},
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e OpenEvent
		if !e.decode(b, 0) {
			if uintptr(len(b)) >= offBuf {
				t.Fatalf("decode refused a record of %d bytes, no shorter than the header", len(b))
			}
			return
		}
		if uintptr(len(b)) < offBuf {
			t.Fatalf("decode took a record of %d bytes, shorter than the header", len(b))
		}
		if bytes.IndexByte(e.Path, 0) >= 0 || bytes.IndexByte(e.Comm, 0) >= 0 {
			t.Fatalf("NUL in path %q or comm %q", e.Path, e.Comm)
		}
		if len(e.Comm) > int(commLen) || len(e.Path)+len(e.parts) > len(b)-int(offBuf) {
			t.Fatalf("comm %q, path %q and parts %q: more than the %d-byte record holds", e.Comm, e.Path, e.parts, len(b))
		}
		if e.Syscall == "" {
			t.Fatal("no syscall name")
		}
		if (e.FD < 0) != (e.Errno != 0) {
			t.Fatalf("fd %d with errno %d", e.FD, e.Errno)
		}
		for _, kind := range []uint32{partsNone, partsDir, partsFile, e.partsKind} {
			if p, ok := e.walked(kind); ok && !strings.HasPrefix(p, "/") {
				t.Fatalf("walked(%#x) = %q, not absolute", kind, p)
			}
		}
		// A relative path sends FullPath to /proc for whatever pid the
		// record names: it must still give an absolute path or none.
		if p := e.FullPath(); p != "" && !filepath.IsAbs(p) {
			t.Fatalf("FullPath() = %q, not absolute", p)
		}
	})
}
