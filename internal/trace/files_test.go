package trace

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// stat is one (file, process) sum as the kernel's files map holds it,
// after fileStats has added up the CPUs.
func stat(dev, ino uint64, pid uint32, opens, reads, bytes uint64, total, longest time.Duration) procFileStats {
	return procFileStats{
		procFileKey:    procFileKey{inodeKey{dev, ino}, pid},
		traceFileStats: traceFileStats{Opens: opens, Reads: reads, Bytes: bytes, Ns: uint64(total), MaxNs: uint64(longest)},
	}
}

func TestAggregate(t *testing.T) {
	const gone = 1 << 30 // a pid above PID_MAX_LIMIT: a process that has exited
	self := uint32(os.Getpid())
	selfComm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	// A file this process still has open, unnamed by any event: named
	// from its fd.
	open := filepath.Join(t.TempDir(), "opened-before")
	f, err := os.Create(open)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	open, err = filepath.EvalSymlinks(open)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}

	sda1 := unix.Mkdev(8, 1)
	nvme := unix.Mkdev(259, 524288)
	ms := time.Millisecond
	stats := []procFileStats{
		// /a: two processes; 200 spent more time in fewer reads.
		stat(sda1, 10, 100, 1, 3, 300, 3*ms, 2*ms),
		stat(sda1, 10, 200, 2, 1, 50, 5*ms, 5*ms),
		// /b: as much time as /a, fewer reads.
		stat(sda1, 11, 100, 1, 2, 10, 8*ms, 4*ms),
		// /c: as much time and reads as /a, fewer opens.
		stat(nvme, 12, 300, 1, 4, 10, 8*ms, 8*ms),
		// /a2 and /a1 tie with /c but on the path.
		stat(sda1, 13, 300, 1, 4, 0, 8*ms, 1*ms),
		stat(sda1, 14, 300, 1, 4, 0, 8*ms, 1*ms),
		// Opened only. Three processes tie on time; reads, then the pid
		// decide.
		stat(sda1, 15, 500, 1, 0, 0, 0, 0),
		stat(sda1, 15, 402, 1, 1, 0, 0, 0),
		stat(sda1, 15, 401, 1, 1, 0, 0, 0),
		// Named by another process only (one that the files map had no
		// room for).
		stat(sda1, 16, 600, 0, 1, 1, ms, ms),
		// Named by no event: from this process's fds.
		stat(st.Dev, st.Ino, self, 0, 1, 0, 0, 0),
		// Named by nothing, its reader gone.
		stat(sda1, 17, gone, 0, 1, 0, 0, 0),
	}
	names := map[procFileKey]string{
		{inodeKey{sda1, 10}, 100}: "/a",
		{inodeKey{sda1, 10}, 200}: "/a",
		{inodeKey{sda1, 11}, 100}: "/b",
		{inodeKey{nvme, 12}, 300}: "/c",
		{inodeKey{sda1, 13}, 300}: "/a2",
		{inodeKey{sda1, 14}, 300}: "/a1",
		{inodeKey{sda1, 15}, 500}: "/opened",
		{inodeKey{sda1, 15}, 401}: "/opened",
	}
	// The first name any event gave each file, as TraceFiles keeps it.
	anyName := map[inodeKey]string{
		{sda1, 10}: "/a",
		{sda1, 11}: "/b",
		{nvme, 12}: "/c",
		{sda1, 13}: "/a2",
		{sda1, 14}: "/a1",
		{sda1, 15}: "/opened",
		{sda1, 16}: "/by/another",
	}
	comms := map[uint32]string{100: "cat", 200: "kubelet", 300: "dd", 401: "a", 402: "b", 500: "touch", 600: "reader"}

	want := []FileUse{
		{Path: "/a", Dev: "8:1", Ino: 10, Opens: 3, Reads: 4, Bytes: 350, Time: 8 * ms, MaxRead: 5 * ms, Procs: []ProcUse{
			{PID: 200, Comm: "kubelet", Opens: 2, Reads: 1, Bytes: 50, Time: 5 * ms, MaxRead: 5 * ms},
			{PID: 100, Comm: "cat", Opens: 1, Reads: 3, Bytes: 300, Time: 3 * ms, MaxRead: 2 * ms},
		}},
		{Path: "/a1", Dev: "8:1", Ino: 14, Opens: 1, Reads: 4, Time: 8 * ms, MaxRead: ms, Procs: []ProcUse{
			{PID: 300, Comm: "dd", Opens: 1, Reads: 4, Time: 8 * ms, MaxRead: ms},
		}},
		{Path: "/a2", Dev: "8:1", Ino: 13, Opens: 1, Reads: 4, Time: 8 * ms, MaxRead: ms, Procs: []ProcUse{
			{PID: 300, Comm: "dd", Opens: 1, Reads: 4, Time: 8 * ms, MaxRead: ms},
		}},
		{Path: "/c", Dev: "259:524288", Ino: 12, Opens: 1, Reads: 4, Bytes: 10, Time: 8 * ms, MaxRead: 8 * ms, Procs: []ProcUse{
			{PID: 300, Comm: "dd", Opens: 1, Reads: 4, Bytes: 10, Time: 8 * ms, MaxRead: 8 * ms},
		}},
		{Path: "/b", Dev: "8:1", Ino: 11, Opens: 1, Reads: 2, Bytes: 10, Time: 8 * ms, MaxRead: 4 * ms, Procs: []ProcUse{
			{PID: 100, Comm: "cat", Opens: 1, Reads: 2, Bytes: 10, Time: 8 * ms, MaxRead: 4 * ms},
		}},
		{Path: "/by/another", Dev: "8:1", Ino: 16, Reads: 1, Bytes: 1, Time: ms, MaxRead: ms, Procs: []ProcUse{
			{PID: 600, Comm: "reader", Reads: 1, Bytes: 1, Time: ms, MaxRead: ms},
		}},
		{Path: "/opened", Dev: "8:1", Ino: 15, Opens: 3, Reads: 2, Procs: []ProcUse{
			{PID: 401, Comm: "a", Opens: 1, Reads: 1},
			{PID: 402, Comm: "b", Opens: 1, Reads: 1},
			{PID: 500, Comm: "touch", Opens: 1},
		}},
		// Unnamed, and its reader gone: "" sorts first.
		{Path: "", Dev: "8:1", Ino: 17, Reads: 1, Procs: []ProcUse{
			{PID: gone, Comm: "?", Reads: 1},
		}},
		{Path: open, Dev: fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)), Ino: st.Ino, Reads: 1, Procs: []ProcUse{
			{PID: self, Comm: strings.TrimSuffix(string(selfComm), "\n"), Reads: 1},
		}},
	}

	// The kernel's map gives the sums in no particular order.
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 10 {
		in := append([]procFileStats(nil), stats...)
		if i > 0 {
			rnd.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		}
		have := aggregate(in, names, anyName, comms)
		if diff := cmp.Diff(want, have); diff != "" {
			t.Fatalf("aggregate, stats in order %d, mismatch (-want +have):\n%s", i, diff)
		}
	}
}

// A file is named by the path its reader opened it by, else by the path
// another process opened it by.
func TestAggregateNaming(t *testing.T) {
	ino := func(n uint64) inodeKey { return inodeKey{unix.Mkdev(8, 1), n} }
	stats := []procFileStats{
		stat(unix.Mkdev(8, 1), 1, 10, 1, 1, 0, 0, 0),
		stat(unix.Mkdev(8, 1), 2, 20, 1, 1, 0, 0, 0),
	}
	names := map[procFileKey]string{
		{ino(1), 10}: "/own/view",
		{ino(2), 99}: "/other/view",
	}
	anyName := map[inodeKey]string{ino(1): "/other/view", ino(2): "/other/view"}
	have := aggregate(stats, names, anyName, map[uint32]string{10: "a", 20: "b"})
	want := map[uint64]string{1: "/own/view", 2: "/other/view"}
	for _, f := range have {
		if f.Path != want[f.Ino] {
			t.Errorf("inode %d: path %q, want %q", f.Ino, f.Path, want[f.Ino])
		}
	}
	if len(have) != len(want) {
		t.Errorf("%d files, want %d", len(have), len(want))
	}
}

func TestAggregateEmpty(t *testing.T) {
	have := aggregate(nil, nil, nil, nil)
	if have == nil || len(have) != 0 {
		t.Errorf("aggregate(nil) = %#v, want an empty slice", have)
	}
}

func TestSortFiles(t *testing.T) {
	// Each file sorts before the next by one key, the others equal.
	want := []FileUse{
		{Path: "/z", Ino: 9, Time: 2 * time.Second, Reads: 1, Opens: 1},
		{Path: "/z", Ino: 9, Time: time.Second, Reads: 2, Opens: 1},
		{Path: "/z", Ino: 9, Time: time.Second, Reads: 1, Opens: 2},
		{Path: "/a", Ino: 9, Time: time.Second, Reads: 1, Opens: 1},
		{Path: "/b", Ino: 1, Time: time.Second, Reads: 1, Opens: 1},
		{Path: "/b", Ino: 2, Time: time.Second, Reads: 1, Opens: 1},
		{Path: "/b", Ino: 2, Time: 0, Reads: 1 << 40, Opens: 1 << 40},
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		have := append([]FileUse(nil), want...)
		rnd.Shuffle(len(have), func(i, j int) { have[i], have[j] = have[j], have[i] })
		SortFiles(have)
		if diff := cmp.Diff(want, have); diff != "" {
			t.Fatalf("SortFiles mismatch (-want +have):\n%s", diff)
		}
	}
}

// aggregate builds its files from a map, so SortFiles is all that puts
// them in order: two files may differ only in their device (the same
// inode of the same image in two containers' overlays, say), and their
// order must not change from one run to the next.
func TestSortFilesTotalOrder(t *testing.T) {
	a := FileUse{Path: "/etc/passwd", Dev: "0:52", Ino: 1234, Opens: 1}
	b := FileUse{Path: "/etc/passwd", Dev: "0:61", Ino: 1234, Opens: 1}
	ab, ba := []FileUse{a, b}, []FileUse{b, a}
	SortFiles(ab)
	SortFiles(ba)
	if diff := cmp.Diff(ab, ba); diff != "" {
		t.Errorf("the order of SortFiles depends on the order it is given (-from a, b +from b, a):\n%s", diff)
	}
}

func TestKernelDev(t *testing.T) {
	tests := []struct {
		kernel       uint32
		major, minor uint32
	}{
		{0, 0, 0},
		{8<<20 | 1, 8, 1},
		{259<<20 | 524288, 259, 524288},
		{1<<20 - 1, 0, 1<<20 - 1},
		{4095 << 20, 4095, 0},
		{0xffffffff, 4095, 1<<20 - 1},
	}
	for _, tt := range tests {
		have := kernelDev(tt.kernel)
		if have != unix.Mkdev(tt.major, tt.minor) || unix.Major(have) != tt.major || unix.Minor(have) != tt.minor {
			t.Errorf("kernelDev(%#x) = %#x (%d:%d), want %d:%d", tt.kernel, have, unix.Major(have), unix.Minor(have), tt.major, tt.minor)
		}
	}
	// What stat(2) says of a real file, in the kernel's encoding.
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/stat", &st); err != nil {
		t.Fatal(err)
	}
	if have := kernelDev(unix.Major(st.Dev)<<20 | unix.Minor(st.Dev)); have != st.Dev {
		t.Errorf("kernelDev of /proc's device: %#x, stat says %#x", have, st.Dev)
	}
}

func TestMaxFiles(t *testing.T) {
	if have := (Options{}).maxFiles(); have != DefaultMaxFiles {
		t.Errorf("default: %d, want %d", have, DefaultMaxFiles)
	}
	if have := (Options{MaxFiles: 5}).maxFiles(); have != 5 {
		t.Errorf("MaxFiles 5: %d", have)
	}
}
