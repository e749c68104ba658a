package profile

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/pprof/profile"

	"github.com/mihari-dev/mihari/test/testenv"
)

// testPeriod is the cpu value of one sample of a folded profile: 100 Hz.
const testPeriod = 10_000_000

// foldedProfile builds a profile shaped like mihari's from folded stacks;
// see parseFoldedProfile.
func foldedProfile(t testing.TB, lines ...string) *profile.Profile {
	t.Helper()
	p, err := parseFoldedProfile(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// parseFoldedProfile builds a profile shaped like mihari's from folded
// stacks, a line each: "comm;outermost;...;innermost count". An empty comm
// leaves out the "comm" label. A frame ending in "_[k]" is in the kernel;
// "libfoo.so+0x1234" is an unsymbolized frame at that offset of
// /usr/lib/libfoo.so; "0xADDR" one without a mapping; "a|b" a location
// where b was inlined into a. Each sample has the "space" label of its leaf
// and a cpu value of testPeriod per sample.
func parseFoldedProfile(text string) (*profile.Profile, error) {
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		DefaultSampleType: "cpu",
		PeriodType:        &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:            testPeriod,
	}
	app := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x1000000, File: "/usr/local/bin/app"}
	kernel := &profile.Mapping{ID: 2, Start: 0xffffffff81000000, Limit: 0xffffffffc0000000, File: "[kernel]"}
	p.Mapping = []*profile.Mapping{app, kernel}
	libs := map[string]*profile.Mapping{}
	funcs := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	location := func(frame string) *profile.Location {
		if l := locs[frame]; l != nil {
			return l
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: app}
		l.Address = app.Start + l.ID*16
		name := frame
		if n, ok := strings.CutSuffix(frame, "_[k]"); ok {
			l.Mapping, l.Address, name = kernel, kernel.Start+l.ID*16, n
		}
		lib, off, isLib := strings.Cut(name, "+0x")
		offset, err := strconv.ParseUint(off, 16, 64)
		addr, errAddr := strconv.ParseUint(strings.TrimPrefix(name, "0x"), 16, 64)
		switch {
		case isLib && err == nil && l.Mapping == app:
			m := libs[lib]
			if m == nil {
				start := 0x7f0000000000 + uint64(len(libs))*0x10000000
				m = &profile.Mapping{ID: uint64(len(p.Mapping) + 1), Start: start, Limit: start + 0x10000000, Offset: 0x1000, File: "/usr/lib/" + lib}
				libs[lib] = m
				p.Mapping = append(p.Mapping, m)
			}
			l.Mapping, l.Address = m, m.Start+offset-m.Offset
		case strings.HasPrefix(name, "0x") && errAddr == nil && l.Mapping == app:
			l.Mapping, l.Address = nil, addr
		default:
			inlined := strings.Split(name, "|")
			for i := len(inlined) - 1; i >= 0; i-- {
				f := funcs[inlined[i]]
				if f == nil {
					f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: inlined[i]}
					funcs[inlined[i]] = f
					p.Function = append(p.Function, f)
				}
				l.Line = append(l.Line, profile.Line{Function: f, Line: int64(i + 1)})
			}
		}
		locs[frame] = l
		p.Location = append(p.Location, l)
		return l
	}
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("no count in %q", line)
		}
		n, err := strconv.ParseInt(line[i+1:], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad count in %q: %w", line, err)
		}
		frames := strings.Split(line[:i], ";")
		s := &profile.Sample{
			Value:    []int64{n, n * testPeriod},
			Label:    map[string][]string{"space": {"user"}},
			NumLabel: map[string][]int64{"pid": {42}, "tid": {42}},
		}
		if frames[0] != "" {
			s.Label["comm"] = []string{frames[0]}
		}
		for j := len(frames) - 1; j > 0; j-- {
			s.Location = append(s.Location, location(frames[j]))
		}
		if len(s.Location) > 0 && s.Location[0].Mapping == kernel {
			s.Label["space"] = []string{"kernel"}
		}
		p.Sample = append(p.Sample, s)
	}
	if err := p.CheckValid(); err != nil {
		return nil, err
	}
	return p, nil
}

// withoutLabel returns p with the label key removed from every sample.
func withoutLabel(p *profile.Profile, key string) *profile.Profile {
	p = p.Copy()
	for _, s := range p.Sample {
		delete(s.Label, key)
	}
	return p
}

func TestWriteTop(t *testing.T) {
	p := foldedProfile(t,
		"app;main.main;main.a 30",
		"app;main.main;main.b 10",
		"app;main.main;main.a;sys_read_[k];vfs_read_[k] 7",
		"app;main.main 3",
	)
	tests := []struct {
		n    int
		want string
	}{
		{0, `Showing all 5 functions, total 500ms of CPU in 50 samples
      flat  flat%   sum%        cum   cum%
     300ms 60.00% 60.00%      370ms 74.00%  main.a
     100ms 20.00% 80.00%      100ms 20.00%  main.b
      70ms 14.00% 94.00%       70ms 14.00%  [k] vfs_read
      30ms  6.00%   100%      500ms   100%  main.main
         0     0%   100%       70ms 14.00%  [k] sys_read
`},
		{2, `Showing top 2 of 5 functions, total 500ms of CPU in 50 samples
      flat  flat%   sum%        cum   cum%
     300ms 60.00% 60.00%      370ms 74.00%  main.a
     100ms 20.00% 80.00%      100ms 20.00%  main.b
`},
		{5, `Showing all 5 functions, total 500ms of CPU in 50 samples
      flat  flat%   sum%        cum   cum%
     300ms 60.00% 60.00%      370ms 74.00%  main.a
     100ms 20.00% 80.00%      100ms 20.00%  main.b
      70ms 14.00% 94.00%       70ms 14.00%  [k] vfs_read
      30ms  6.00%   100%      500ms   100%  main.main
         0     0%   100%       70ms 14.00%  [k] sys_read
`},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := WriteTop(&b, p, tt.n); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("WriteTop(n=%d) (-want +have):\n%s", tt.n, diff)
		}
	}
}

func TestWriteTopNoSampleTypes(t *testing.T) {
	if err := WriteTop(&strings.Builder{}, &profile.Profile{}, 0); err == nil {
		t.Error("WriteTop of a profile without sample types succeeded")
	}
}

func TestTopFunctions(t *testing.T) {
	tests := []struct {
		name  string
		stack []string
		want  []FuncStat
	}{{
		name: "recursion counts once in cum",
		stack: []string{
			"app;main.main;main.rec;main.rec;main.rec 4",
			"app;main.main;main.rec;main.leaf 6",
		},
		want: []FuncStat{
			{Name: "main.leaf", Flat: 6 * testPeriod, Cum: 6 * testPeriod, FlatSamples: 6, CumSamples: 6},
			{Name: "main.rec", Flat: 4 * testPeriod, Cum: 10 * testPeriod, FlatSamples: 4, CumSamples: 10},
			{Name: "main.main", Cum: 10 * testPeriod, CumSamples: 10},
		},
	}, {
		name: "inlined functions, flat to the innermost",
		stack: []string{
			"app;main.main;main.run|main.helper 5",
		},
		want: []FuncStat{
			{Name: "main.helper", Flat: 5 * testPeriod, Cum: 5 * testPeriod, FlatSamples: 5, CumSamples: 5},
			{Name: "main.main", Cum: 5 * testPeriod, CumSamples: 5},
			{Name: "main.run", Cum: 5 * testPeriod, CumSamples: 5},
		},
	}, {
		name: "kernel and unsymbolized frames, ties by name",
		stack: []string{
			"app;libfoo.so+0x1234;do_syscall_64_[k] 2",
			"app;0xdeadbeef 2",
			"app;main.main 2",
		},
		want: []FuncStat{
			{Name: "0xdeadbeef", Flat: 2 * testPeriod, Cum: 2 * testPeriod, FlatSamples: 2, CumSamples: 2},
			{Name: "do_syscall_64", Kernel: true, Flat: 2 * testPeriod, Cum: 2 * testPeriod, FlatSamples: 2, CumSamples: 2},
			{Name: "main.main", Flat: 2 * testPeriod, Cum: 2 * testPeriod, FlatSamples: 2, CumSamples: 2},
			{Name: "libfoo.so+0x1234", Cum: 2 * testPeriod, CumSamples: 2},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have := TopFunctions(foldedProfile(t, tt.stack...))
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("TopFunctions (-want +have):\n%s", diff)
			}
		})
	}
}

// incidentProfile is kubelet as in the incident mihari is built for:
// cAdvisor's housekeeping reading blkio statistics, most of it in the
// kernel formatting the cgroup file.
var incidentProfile = []string{
	"kubelet;runtime.goexit;github.com/google/cadvisor/manager.(*containerData).housekeeping;github.com/google/cadvisor/manager.(*containerData).updateStats;github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats;os.ReadFile;os.(*File).Read;internal/poll.(*FD).Read;syscall.Read;syscall.read;syscall.Syscall;internal/runtime/syscall.Syscall6;entry_SYSCALL_64_[k];do_syscall_64_[k];ksys_read_[k];vfs_read_[k];seq_read_iter_[k];cgroup_seqfile_show_[k];blkcg_print_blkgs_[k];_raw_spin_lock_irq_[k] 50",
	"kubelet;runtime.goexit;github.com/google/cadvisor/manager.(*containerData).housekeeping;github.com/google/cadvisor/manager.(*containerData).updateStats;github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats;os.ReadFile;os.(*File).Read;internal/poll.(*FD).Read;syscall.Read;syscall.read;syscall.Syscall;internal/runtime/syscall.Syscall6;entry_SYSCALL_64_[k];do_syscall_64_[k];ksys_read_[k];vfs_read_[k];seq_read_iter_[k];cgroup_seqfile_show_[k];blkcg_print_blkgs_[k];seq_printf_[k] 28",
	"kubelet;runtime.goexit;k8s.io/kubernetes/pkg/kubelet/server.(*Server).ServeHTTP;encoding/json.Marshal;encoding/json.(*encodeState).marshal;runtime.mallocgc;asm_exc_page_fault_[k];exc_page_fault_[k];clear_page_erms_[k] 5",
	"kubelet;runtime.mcall;runtime.park_m;runtime.schedule;runtime.findRunnable;runtime.futexsleep;runtime.futex;entry_SYSCALL_64_[k];do_syscall_64_[k];__x64_sys_futex_[k] 2",
	"kubelet;runtime.goexit;k8s.io/kubernetes/pkg/kubelet/server.(*Server).ServeHTTP;encoding/json.Marshal;encoding/json.(*encodeState).marshal 10",
	"kubelet;runtime.goexit;runtime.gcBgMarkWorker;runtime.scanobject 5",
}

func TestSummarize(t *testing.T) {
	incident := Summary{
		Type: "cpu", Unit: "nanoseconds",
		Total: 100 * testPeriod, Samples: 100,
		Kernel: 0.85, User: 0.15,
		TopUser: FuncStat{
			Name: "encoding/json.(*encodeState).marshal",
			Flat: 10 * testPeriod, Cum: 15 * testPeriod, FlatSamples: 10, CumSamples: 15,
		},
		TopKernel: FuncStat{
			Name: "_raw_spin_lock_irq", Kernel: true,
			Flat: 50 * testPeriod, Cum: 50 * testPeriod, FlatSamples: 50, CumSamples: 50,
		},
		KernelCallers: []Caller{
			// The syscall and os frames between GetStats and the kernel
			// are skipped.
			{Name: "github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats", Value: 78 * testPeriod, Samples: 78, Fraction: 0.78},
			// So is the allocation's page fault in runtime.mallocgc.
			{Name: "encoding/json.(*encodeState).marshal", Value: 5 * testPeriod, Samples: 5, Fraction: 0.05},
			// The runtime on its own: its innermost frame.
			{Name: "runtime.futex", Value: 2 * testPeriod, Samples: 2, Fraction: 0.02},
		},
	}
	tests := []struct {
		name string
		p    *profile.Profile
		want Summary
	}{{
		name: "incident",
		p:    foldedProfile(t, incidentProfile...),
		want: incident,
	}, {
		name: "incident without space labels",
		p:    withoutLabel(foldedProfile(t, incidentProfile...), "space"),
		want: incident,
	}, {
		name: "C program through libc, and a kernel thread",
		p: foldedProfile(t,
			"app;main;load_config;libc.so.6+0x11a2c0;entry_SYSCALL_64_[k];vfs_read_[k] 6",
			"kworker/0:1;ret_from_fork_[k];worker_thread_[k] 3",
			"app;main;load_config 1",
		),
		want: Summary{
			Type: "cpu", Unit: "nanoseconds",
			Total: 10 * testPeriod, Samples: 10,
			Kernel: 0.9, User: 0.1,
			TopUser: FuncStat{
				Name: "load_config",
				Flat: 1 * testPeriod, Cum: 7 * testPeriod, FlatSamples: 1, CumSamples: 7,
			},
			TopKernel: FuncStat{
				Name: "vfs_read", Kernel: true,
				Flat: 6 * testPeriod, Cum: 6 * testPeriod, FlatSamples: 6, CumSamples: 6,
			},
			KernelCallers: []Caller{{Name: "load_config", Value: 6 * testPeriod, Samples: 6, Fraction: 0.6}},
		},
	}, {
		name: "empty",
		p:    foldedProfile(t),
		want: Summary{Type: "cpu", Unit: "nanoseconds"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Summarize(tt.p)); diff != "" {
				t.Errorf("Summarize (-want +have):\n%s", diff)
			}
		})
	}
}

// TestIncidentVFSRead checks the other half of the investigation's sentence,
// "78% of samples are under vfs_read".
func TestIncidentVFSRead(t *testing.T) {
	p := foldedProfile(t, incidentProfile...)
	var have FuncStat
	for _, f := range TopFunctions(p) {
		if f.Name == "vfs_read" && f.Kernel {
			have = f
		}
	}
	want := FuncStat{Name: "vfs_read", Kernel: true, Cum: 78 * testPeriod, CumSamples: 78}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("vfs_read (-want +have):\n%s", diff)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    int64
		unit string
		want string
	}{
		{9_920_000_000, "nanoseconds", "9.92s"},
		{1_230_000_000, "nanoseconds", "1.23s"},
		{1_500_000_000, "nanoseconds", "1.50s"},
		{2_000_000_000, "nanoseconds", "2s"},
		{450_000_000, "nanoseconds", "450ms"},
		{-450_000_000, "nanoseconds", "-450ms"},
		{1500, "nanoseconds", "1.50us"},
		{999, "nanoseconds", "999ns"},
		{0, "nanoseconds", "0"},
		{2 * 3600_000_000_000, "nanoseconds", "2hrs"},
		{3, "seconds", "3s"},
		{992, "count", "992"},
		{1536, "bytes", "1.50kB"},
		{3 << 20, "bytes", "3MB"},
	}
	for _, tt := range tests {
		if have := formatValue(tt.v, tt.unit); have != tt.want {
			t.Errorf("formatValue(%d, %q) = %q, want %q", tt.v, tt.unit, have, tt.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	tests := []struct {
		value, total int64
		want         string
	}{
		{1, 3, "33.33%"},
		{1, 1, "  100%"},
		{1, 1000, "  0.1%"},
		{1, 30000, "0.0033%"},
		{0, 0, "    0%"},
	}
	for _, tt := range tests {
		if have := formatPercent(tt.value, tt.total); have != tt.want {
			t.Errorf("formatPercent(%d, %d) = %q, want %q", tt.value, tt.total, have, tt.want)
		}
	}
}

// spinForProfileTest burns CPU in a function of its own, for
// TestGoCPUProfile to find in a profile.
//
//go:noinline
func spinForProfileTest(d time.Duration) uint64 {
	var x uint64 = 1
	for start := time.Now(); time.Since(start) < d; {
		for range 100_000 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	return x
}

// spinSink keeps the compiler from dropping spinForProfileTest's work.
var spinSink uint64

// TestGoCPUProfile runs the reports on a real profile as a Go program's
// /debug/pprof/profile serves it: no comm or space labels, no kernel frames.
func TestGoCPUProfile(t *testing.T) {
	const spin = "github.com/mihari-dev/mihari/internal/profile.spinForProfileTest"
	var p *profile.Profile
	var flat FuncStat
	// A loaded machine may not run the spinning thread long enough to be
	// sampled; try again rather than fail.
	for attempt := 0; attempt < 3 && flat.FlatSamples == 0; attempt++ {
		var buf bytes.Buffer
		if err := pprof.StartCPUProfile(&buf); err != nil {
			testenv.Skip(t, fmt.Sprintf("CPU profiling unavailable: %v", err))
		}
		spinSink += spinForProfileTest(300 * time.Millisecond)
		pprof.StopCPUProfile()
		var err error
		if p, err = profile.Parse(&buf); err != nil {
			t.Fatal(err)
		}
		for _, f := range TopFunctions(p) {
			if f.Name == spin {
				flat = f
			}
		}
	}
	if flat.FlatSamples == 0 || flat.Kernel || flat.Flat != flat.FlatSamples*p.Period {
		t.Fatalf("%s: %+v, want flat samples in user space, each of %d ns", spin, flat, p.Period)
	}

	var top strings.Builder
	if err := WriteTop(&top, p, 5); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(top.String(), " of CPU in ") || !strings.Contains(top.String(), "  "+spin+"\n") {
		t.Errorf("WriteTop does not show %s:\n%s", spin, top.String())
	}

	var folded strings.Builder
	if err := WriteFolded(&folded, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(folded.String(), "profile.TestGoCPUProfile;"+spin) || strings.Contains(folded.String(), "_[k]") {
		t.Errorf("WriteFolded does not show %s under the test, in user space:\n%s", spin, folded.String())
	}

	var svg bytes.Buffer
	if err := WriteFlameGraph(&svg, p, "go test"); err != nil {
		t.Fatal(err)
	}
	g := parseFlameGraph(t, svg.Bytes())
	var found bool
	for _, f := range g.Frames {
		found = found || strings.HasPrefix(f.Title, spin+" (")
	}
	if !found {
		t.Errorf("WriteFlameGraph has no frame of %s", spin)
	}

	if s := Summarize(p); s.Kernel != 0 || s.User != 1 || len(s.KernelCallers) != 0 {
		t.Errorf("Summarize = %+v, want all in user space", s)
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	p := foldedProfile(t, "app;main.main 1")
	writers := map[string]func() error{
		"WriteTop":        func() error { return WriteTop(errWriter{}, p, 0) },
		"WriteFolded":     func() error { return WriteFolded(errWriter{}, p) },
		"WriteFlameGraph": func() error { return WriteFlameGraph(errWriter{}, p, "t") },
	}
	for name, write := range writers {
		if err := write(); err == nil || err.Error() != "disk full" {
			t.Errorf("%s to a failing writer: %v, want disk full", name, err)
		}
	}
}
