package procfs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Stat
		wantErr string
	}{{
		name: "all lines",
		in: "cpu  10 1 2 300 4 5 6 7 8 9\n" +
			"cpu0 10 1 2 300 4 5 6 7 8 9\n" +
			"intr 42 1 2 3\n" +
			"ctxt 43\n" +
			"btime 1700000000\n" +
			"processes 44\n" +
			"procs_running 2\n" +
			"procs_blocked 1\n" +
			"softirq 6 1 2 3\n",
		want: Stat{
			Total:           CPUTime{10, 1, 2, 300, 4, 5, 6, 7, 8, 9},
			CPUs:            []CPU{{ID: 0, CPUTime: CPUTime{10, 1, 2, 300, 4, 5, 6, 7, 8, 9}}},
			IntrTotal:       42,
			ContextSwitches: 43,
			BootTime:        1700000000,
			Forks:           44,
			ProcsRunning:    2,
			ProcsBlocked:    1,
			SoftIRQTotal:    6,
			SoftIRQ:         []uint64{1, 2, 3},
		},
	}, {
		// Linux 2.4 wrote four columns; 2.6.0 seven; 2.6.11 eight.
		name: "old kernel, fewer columns",
		in:   "cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu1 5 6 7 8 9 10 11\n",
		want: Stat{
			Total: CPUTime{User: 1, Nice: 2, System: 3, Idle: 4},
			CPUs: []CPU{
				{ID: 0, CPUTime: CPUTime{User: 1, Nice: 2, System: 3, Idle: 4}},
				{ID: 1, CPUTime: CPUTime{User: 5, Nice: 6, System: 7, Idle: 8, Iowait: 9, IRQ: 10, SoftIRQ: 11}},
			},
		},
	}, {
		name: "columns beyond ten are ignored",
		in:   "cpu  1 2 3 4 5 6 7 8 9 10 11 x\n",
		want: Stat{Total: CPUTime{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}, {
		name: "offline cpu is absent",
		in:   "cpu  2 0 0 0\ncpu0 1 0 0 0\ncpu2 1 0 0 0\n",
		want: Stat{
			Total: CPUTime{User: 2},
			CPUs:  []CPU{{ID: 0, CPUTime: CPUTime{User: 1}}, {ID: 2, CPUTime: CPUTime{User: 1}}},
		},
	}, {
		name: "unknown lines, blank lines, tabs and no final newline",
		in:   "page 5741 1808\nswap 1 0\n\ncpu\t1\t2 3 4\nfuture_line x y z\nctxt 7",
		want: Stat{Total: CPUTime{User: 1, Nice: 2, System: 3, Idle: 4}, ContextSwitches: 7},
	}, {
		name: "largest counter",
		in:   "cpu  18446744073709551615\n",
		want: Stat{Total: CPUTime{User: 18446744073709551615}},
	}, {
		name:    "empty",
		in:      "",
		wantErr: `no "cpu" line`,
	}, {
		name:    "no cpu line",
		in:      "ctxt 1\n",
		wantErr: `no "cpu" line`,
	}, {
		name:    "cpu line without numbers",
		in:      "cpu\n",
		wantErr: `line 1 "cpu": no cpu times`,
	}, {
		name:    "cpu column not a number",
		in:      "cpu  1 2 3 4\ncpu0 1 -2 3 4\n",
		wantErr: `line 2 "cpu0 1 -2 3 4": strconv.ParseUint: parsing "-2": invalid syntax`,
	}, {
		name:    "cpu column overflows",
		in:      "cpu  18446744073709551616\n",
		wantErr: `line 1 "cpu  18446744073709551616": strconv.ParseUint: parsing "18446744073709551616": value out of range`,
	}, {
		name:    "cpu number not a number",
		in:      "cpu  1\ncpux 1\n",
		wantErr: `line 2 "cpux 1": cpu number: strconv.ParseUint: parsing "x": invalid syntax`,
	}, {
		name:    "cpu number missing",
		in:      "cpu  1\ncpu 1\ncpu- 1\n",
		wantErr: `line 3 "cpu- 1": cpu number: strconv.ParseUint: parsing "-": invalid syntax`,
	}, {
		name:    "intr without number",
		in:      "cpu  1\nintr\n",
		wantErr: `line 2 "intr": no number`,
	}, {
		name:    "ctxt with two numbers",
		in:      "cpu  1\nctxt 1 2\n",
		wantErr: `line 2 "ctxt 1 2": more than one number`,
	}, {
		name:    "btime negative",
		in:      "cpu  1\nbtime -1\n",
		wantErr: `line 2 "btime -1": strconv.ParseUint: parsing "-1": invalid syntax`,
	}, {
		name:    "procs_blocked empty",
		in:      "cpu  1\nprocs_blocked \n",
		wantErr: `line 2 "procs_blocked ": no number`,
	}, {
		name:    "softirq vector not a number",
		in:      "cpu  1\nsoftirq 3 1 x\n",
		wantErr: `line 2 "softirq 3 1 x": strconv.ParseUint: parsing "x": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseStat([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseStat() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseStatVM(t *testing.T) {
	have, err := ParseStat(readFixture(t, "vm", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	// The numbers of testdata/hosts/vm/proc/stat, copied by hand.
	want := Stat{
		Total: CPUTime{User: 9422, System: 3474, Idle: 103045, Iowait: 309, SoftIRQ: 33, Steal: 19},
		CPUs: []CPU{
			{ID: 0, CPUTime: CPUTime{User: 4435, System: 1549, Idle: 52122, Iowait: 24, SoftIRQ: 6, Steal: 8}},
			{ID: 1, CPUTime: CPUTime{User: 4986, System: 1924, Idle: 50923, Iowait: 285, SoftIRQ: 27, Steal: 10}},
		},
		IntrTotal:       336462,
		ContextSwitches: 643059,
		BootTime:        1795622181,
		Forks:           9215,
		ProcsRunning:    1,
		ProcsBlocked:    0,
		SoftIRQTotal:    116290,
		SoftIRQ:         []uint64{0, 14548, 4, 2254, 40012, 0, 150, 27840, 0, 31482},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("ParseStat() mismatch (-want +have):\n%s", diff)
	}
}

func TestParseStatBig(t *testing.T) {
	have, err := ParseStat(readFixture(t, "big", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	if have, want := len(have.CPUs), 128; have != want {
		t.Fatalf("CPUs: have %d, want %d", have, want)
	}
	var sum CPUTime
	for i, c := range have.CPUs {
		if c.ID != i {
			t.Errorf("CPUs[%d].ID = %d", i, c.ID)
		}
		sum.User += c.User
		sum.Nice += c.Nice
		sum.System += c.System
		sum.Idle += c.Idle
		sum.Iowait += c.Iowait
		sum.IRQ += c.IRQ
		sum.SoftIRQ += c.SoftIRQ
		sum.Steal += c.Steal
		sum.Guest += c.Guest
		sum.GuestNice += c.GuestNice
	}
	// gen.go makes the cpu line the sum of the cpuN lines, as the kernel does.
	if diff := cmp.Diff(have.Total, sum); diff != "" {
		t.Errorf("Total is not the sum of CPUs (-total +sum):\n%s", diff)
	}
	wantCPU127 := CPU{ID: 127, CPUTime: CPUTime{
		User: 42250738, Nice: 503050, System: 23543464, Idle: 283725362,
		Iowait: 3053508, SoftIRQ: 1061481, Steal: 102397,
	}}
	if diff := cmp.Diff(wantCPU127, have.CPUs[127]); diff != "" {
		t.Errorf("cpu127 mismatch (-want +have):\n%s", diff)
	}
	var softSum uint64
	for _, v := range have.SoftIRQ {
		softSum += v
	}
	for _, c := range []struct {
		name       string
		have, want uint64
	}{
		{"IntrTotal", have.IntrTotal, 629357061159},
		{"ContextSwitches", have.ContextSwitches, 912345678901},
		{"BootTime", have.BootTime, 1792411200},
		{"Forks", have.Forks, 48211977},
		{"ProcsRunning", have.ProcsRunning, 41},
		{"ProcsBlocked", have.ProcsBlocked, 3},
		{"SoftIRQTotal", have.SoftIRQTotal, 47505781648},
		{"sum of SoftIRQ", softSum, 47505781648},
		{"len(SoftIRQ)", uint64(len(have.SoftIRQ)), 10},
	} {
		if c.have != c.want {
			t.Errorf("%s: have %d, want %d", c.name, c.have, c.want)
		}
	}
}

func TestParseStatMalformed(t *testing.T) {
	have, err := ParseStat(readFixture(t, "malformed", "stat"))
	wantErr := `line 3 "cpu1 4986 0 19x4 50923 285 0 27 10 0 0": strconv.ParseUint: parsing "19x4": invalid syntax`
	if errString(err) != wantErr {
		t.Errorf("error: have %q, want %q", errString(err), wantErr)
	}
	if diff := cmp.Diff(Stat{}, have); diff != "" {
		t.Errorf("a strict parser returned data with its error (-want +have):\n%s", diff)
	}
}

func FuzzParseStat(f *testing.F) {
	addFixtureSeeds(f, "stat",
		"cpu  1\n",
		"cpu\n",
		"cpu0\n",
		"cpu  1 2 3 4 5 6 7 8 9 10 11 12\ncpu4294967296 1\n",
		"softirq 1 2 3\ncpu 1",
		"intr\nctxt 99999999999999999999\n",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStat(b)
		if err != nil {
			if !cmp.Equal(st, Stat{}) {
				t.Fatalf("error %v with a non-zero Stat %+v", err, st)
			}
			return
		}
		if len(st.CPUs) > lineCount(b) {
			t.Fatalf("%d CPUs from %d lines", len(st.CPUs), lineCount(b))
		}
		for _, c := range st.CPUs {
			if c.ID < 0 {
				t.Fatalf("negative cpu id %d", c.ID)
			}
		}
	})
}

func BenchmarkParseStat(b *testing.B) {
	in := readFixture(b, "big", "stat")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStat(in); err != nil {
			b.Fatal(err)
		}
	}
}
