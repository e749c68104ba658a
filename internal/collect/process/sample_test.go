package process

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/collect"
)

func fixtureSampler(t *testing.T, opts Options) *Sampler {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	paths := collect.DefaultPaths()
	paths.Procfs = filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "procs")
	return NewSampler(collect.NewReader(collect.Config{}), paths, opts)
}

func byPID(snap *Snapshot) map[int]*Proc {
	m := map[int]*Proc{}
	for _, p := range snap.Procs {
		m[p.PID] = p
	}
	return m
}

// The 1,000-process fixture: every process read, exited ones counted, odd
// ones (kernel threads, zombies, unreadable io) read as far as they can be.
func TestSampleFixture(t *testing.T) {
	s := fixtureSampler(t, Options{Cmdline: true, Cgroup: true})
	snap, err := s.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 generated directories plus real/, which is not a PID; 6 of
	// them vanished between the listing and the reading.
	if len(snap.Procs) != 994 || snap.Vanished != 6 || snap.ReadErrors != 0 {
		t.Fatalf("%d processes, %d vanished, %d read errors; want 994, 6, 0", len(snap.Procs), snap.Vanished, snap.ReadErrors)
	}
	// The four unreadable io files make partial reads.
	if snap.Partial != 4 {
		t.Errorf("%d partial reads, want 4 (unreadable io)", snap.Partial)
	}
	procs := byPID(snap)

	kubelet := procs[436]
	want := Proc{
		PID: 436, PPID: 1, Comm: "kubelet", State: 'S',
		UTime: 95747280 * time.Millisecond, STime: 51556230 * time.Millisecond,
		MinFlt: 44193616, MajFlt: 688, Threads: 38, VSize: 2621440000, RSS: 45312 * 4096,
		UID: 0, VolCtx: 29461447, InvCtx: 1473150,
		ReadBytes: 21474836480, WriteBytes: 6442450944, IOKnown: true,
		OpenFDs: 50, MaxFDs: 1048576,
	}
	if kubelet == nil {
		t.Fatal("no kubelet (PID 436)")
	}
	have := *kubelet
	have.Start, have.startTicks, have.Cmdline, have.Cgroup, have.Swap = time.Time{}, 0, nil, "", 0
	if diff := cmp.Diff(want, have, cmp.AllowUnexported(Proc{})); diff != "" {
		t.Errorf("kubelet (-want +have):\n%s", diff)
	}
	if kubelet.Cgroup != "/system.slice/kubelet.service" || len(kubelet.Cmdline) == 0 || kubelet.Cmdline[0] != "/usr/bin/kubelet" {
		t.Errorf("kubelet cgroup %q, cmdline %q", kubelet.Cgroup, kubelet.Cmdline)
	}

	kthreadd := procs[2]
	if kthreadd == nil || !kthreadd.Kernel || kthreadd.RSS != 0 || kthreadd.OpenFDs != 0 || len(kthreadd.Cmdline) != 0 {
		t.Errorf("kthreadd: %+v", kthreadd)
	}
	for _, pid := range []int{1266090, 1266091, 1266092} {
		z := procs[pid]
		if z == nil || z.State != 'Z' || z.OpenFDs != 0 {
			t.Errorf("zombie %d: %+v", pid, z)
		}
	}
	for _, pid := range []int{3321, 3347, 1266280, 1760527} {
		if p := procs[pid]; p == nil || p.IOKnown {
			t.Errorf("process %d with an unreadable io: %+v", pid, p)
		}
	}
	// Names that break naive parsers.
	if p := procs[1266340]; p == nil || p.Comm != "worker) S 1 (x" {
		t.Errorf("PID 1266340: %+v", p)
	}
}

// With the default options, only what the metrics need is read.
func TestSampleReadsOnlyWhatIsNeeded(t *testing.T) {
	s := fixtureSampler(t, Options{})
	if _, err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.cmdline.Stats().Reads; n != 0 {
		t.Errorf("%d cmdline reads without a rule that needs them", n)
	}
	if n := s.wchan.Stats().Reads; n != 0 {
		t.Errorf("%d wchan reads without --collector.process.wchan", n)
	}
	// Limits are read once per process, not every sample.
	first := s.limits.Stats().Reads
	if _, err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.limits.Stats().Reads; n != first {
		t.Errorf("limits read %d times in two samples, want %d (once per process)", n, first)
	}
}

// smaps and smaps_rollup stall the process they describe while the kernel
// walks its page tables: mihari never reads them.
func TestNeverReadsSmaps(t *testing.T) {
	r := collect.NewReader(collect.Config{})
	_, file, _, _ := runtime.Caller(0)
	paths := collect.DefaultPaths()
	paths.Procfs = filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "procs")
	s := NewSampler(r, paths, Options{Cmdline: true, Cgroup: true, Wchan: true})
	if _, err := s.Sample(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, src := range r.Sources() {
		if strings.Contains(src.Pattern(), "smaps") {
			t.Errorf("source %s", src.Pattern())
		}
	}
}
