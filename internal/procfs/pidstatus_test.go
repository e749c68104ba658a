package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kthreadStatus is the status of a kernel thread: no memory lines.
const kthreadStatus = "Name:\tkworker/0:1-events\nUmask:\t0022\nState:\tI (idle)\nTgid:\t11\nNgid:\t0\nPid:\t11\n" +
	"PPid:\t2\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \nNStgid:\t11\n" +
	"NSpid:\t11\nNSpgid:\t0\nNSsid:\t0\nKthread:\t1\nThreads:\t1\nSigQ:\t0/96365\n" +
	"voluntary_ctxt_switches:\t3001\nnonvoluntary_ctxt_switches:\t4\n"

func TestParsePidStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    PidStatus
		wantErr string
	}{{
		name: "kernel thread",
		in:   kthreadStatus,
		want: PidStatus{
			Name: "kworker/0:1-events", State: 'I', Tgid: 11, PPid: 2, Threads: 1,
			VoluntaryCtxtSwitches: 3001, NonvoluntaryCtxtSwitches: 4,
		},
	}, {
		name: "memory in kB becomes bytes, IDs differ",
		in: "Name:\tnginx\nState:\tS (sleeping)\nTgid:\t30\nPPid:\t29\nUid:\t101\t102\t103\t104\nGid:\t5\t6\t7\t8\n" +
			"VmSize:\t   12288 kB\nVmRSS:\t    9216 kB\nRssAnon:\t    3072 kB\nRssFile:\t    5120 kB\n" +
			"RssShmem:\t    1024 kB\nVmSwap:\t       4 kB\nThreads:\t1\n",
		want: PidStatus{
			Name: "nginx", State: 'S', Tgid: 30, PPid: 29,
			UIDs: [4]uint64{101, 102, 103, 104}, GIDs: [4]uint64{5, 6, 7, 8},
			VmSize: 12582912, VmRSS: 9437184, RssAnon: 3145728, RssFile: 5242880, RssShmem: 1048576,
			VmSwap: 4096, Threads: 1,
		},
	}, {
		name: "name with spaces, parentheses and escapes",
		in:   "Name:\t(sd-pam) a\\nb\\\\c \\x\nState:\tS (sleeping)\n",
		want: PidStatus{Name: "(sd-pam) a\nb\\c \\x", State: 'S'},
	}, {
		name: "empty name, unknown and odd lines ignored",
		in:   "Name:\t\nno colon here\nFuture:\tx y z\n\nState:\tZ (zombie)",
		want: PidStatus{State: 'Z'},
	}, {
		name: "largest values",
		in: "Name:\ta\nTgid:\t2147483647\nVmSize:\t18014398509481983 kB\nThreads:\t9223372036854775807\n" +
			"Uid:\t4294967295\t4294967295\t4294967295\t4294967295\n",
		want: PidStatus{
			Name: "a", Tgid: 2147483647, VmSize: 18446744073709550592, Threads: 9223372036854775807,
			UIDs: [4]uint64{4294967295, 4294967295, 4294967295, 4294967295},
		},
	}, {
		name:    "empty",
		in:      "",
		wantErr: `no "Name" line`,
	}, {
		name:    "garbage",
		in:      "<html>\n<body>Not found</body>\n",
		wantErr: `no "Name" line`,
	}, {
		name:    "name without a tab",
		in:      "Name: bash\n",
		wantErr: `line 1 "Name: bash": no tab after the colon`,
	}, {
		name:    "state missing",
		in:      "Name:\ta\nState:\t\n",
		wantErr: `line 2 "State:\t": state "" is not one letter`,
	}, {
		name:    "state a word",
		in:      "Name:\ta\nState:\tsleeping\n",
		wantErr: `line 2 "State:\tsleeping": state "sleeping" is not one letter`,
	}, {
		name:    "three uids",
		in:      "Name:\ta\nUid:\t0\t0\t0\n",
		wantErr: `line 2 "Uid:\t0\t0\t0": want 4 IDs, have 3`,
	}, {
		name:    "five gids",
		in:      "Name:\ta\nGid:\t0\t0\t0\t0\t0\n",
		wantErr: `line 2 "Gid:\t0\t0\t0\t0\t0": more than 4 IDs`,
	}, {
		name:    "negative uid",
		in:      "Name:\ta\nUid:\t0\t-1\t0\t0\n",
		wantErr: `line 2 "Uid:\t0\t-1\t0\t0": strconv.ParseUint: parsing "-1": invalid syntax`,
	}, {
		name:    "memory without a unit",
		in:      "Name:\ta\nVmRSS:\t    1760\n",
		wantErr: `line 2 "VmRSS:\t    1760": want a number of kB, have "\t    1760"`,
	}, {
		name:    "memory in MB",
		in:      "Name:\ta\nRssAnon:\t 2 MB\n",
		wantErr: `line 2 "RssAnon:\t 2 MB": want a number of kB, have "\t 2 MB"`,
	}, {
		name:    "memory not a number",
		in:      "Name:\ta\nVmSwap:\t x kB\n",
		wantErr: `line 2 "VmSwap:\t x kB": strconv.ParseUint: parsing "x": invalid syntax`,
	}, {
		name:    "memory empty",
		in:      "Name:\ta\nRssFile:\t\n",
		wantErr: `line 2 "RssFile:\t": no number`,
	}, {
		name:    "memory too big for bytes",
		in:      "Name:\ta\nVmSize:\t18014398509481984 kB\n",
		wantErr: `line 2 "VmSize:\t18014398509481984 kB": 18014398509481984 kB is out of range`,
	}, {
		name:    "pid out of range",
		in:      "Name:\ta\nPPid:\t2147483648\n",
		wantErr: `line 2 "PPid:\t2147483648": pid 2147483648 is out of range`,
	}, {
		name:    "two pids",
		in:      "Name:\ta\nTgid:\t1 2\n",
		wantErr: `line 2 "Tgid:\t1 2": more than one number`,
	}, {
		name:    "threads out of range",
		in:      "Name:\ta\nThreads:\t9223372036854775808\n",
		wantErr: `line 2 "Threads:\t9223372036854775808": 9223372036854775808 threads is out of range`,
	}, {
		name:    "switches not a number",
		in:      "Name:\ta\nnonvoluntary_ctxt_switches:\t1.5\n",
		wantErr: `line 2 "nonvoluntary_ctxt_switches:\t1.5": strconv.ParseUint: parsing "1.5": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParsePidStatus([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParsePidStatus() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidStatusReal(t *testing.T) {
	// The numbers of testdata/procs/real/*/status, copied by hand.
	tests := map[string]PidStatus{
		"1": {
			Name: "process_api", State: 'S', Tgid: 1, PPid: 0,
			VmSize: 39532 * 1024, VmRSS: 10612 * 1024, RssAnon: 4308 * 1024, RssFile: 8 * 1024,
			RssShmem: 6296 * 1024, VmSwap: 0, Threads: 13,
			VoluntaryCtxtSwitches: 363, NonvoluntaryCtxtSwitches: 30,
		},
		"2": {
			Name: "kthreadd", State: 'S', Tgid: 2, PPid: 0, Threads: 1,
			VoluntaryCtxtSwitches: 67,
		},
		"12540": {
			Name: "sleep", State: 'S', Tgid: 12540, PPid: 1,
			VmSize: 2920 * 1024, VmRSS: 1760 * 1024, RssAnon: 112 * 1024, RssFile: 1648 * 1024,
			Threads: 1, VoluntaryCtxtSwitches: 14, NonvoluntaryCtxtSwitches: 1,
		},
		"12545": {
			Name: "sleep", State: 'Z', Tgid: 12545, PPid: 12542, Threads: 1,
			VoluntaryCtxtSwitches: 2,
		},
	}
	for _, pid := range realPIDs {
		t.Run(pid, func(t *testing.T) {
			have, err := ParsePidStatus(readProcsFixture(t, "real/"+pid+"/status"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tests[pid], have); diff != "" {
				t.Errorf("ParsePidStatus() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// TestParsePidStatusFixtures parses every status of testdata/procs and
// checks it against the process's stat, which gen.go keeps consistent.
func TestParsePidStatusFixtures(t *testing.T) {
	want := map[int]PidStatus{
		3323: {
			Name: "java", State: 'S', Tgid: 3323, PPid: 3321,
			UIDs: [4]uint64{1001, 1001, 1001, 1001}, GIDs: [4]uint64{1001, 1001, 1001, 1001},
			VmSize: 12884901888, VmRSS: 3470786560, RssAnon: 3441426432, RssFile: 29360128,
			Threads: 187, VoluntaryCtxtSwitches: 288964596, NonvoluntaryCtxtSwitches: 14448383,
		},
		1266341: {
			Name: "evil\nname", State: 'S', Tgid: 1266341, PPid: 3388,
			VmSize: 31457280, VmRSS: 15728640, RssAnon: 9437184, RssFile: 6291456,
			Threads: 1, VoluntaryCtxtSwitches: 791, NonvoluntaryCtxtSwitches: 146,
		},
	}
	var parsed, noMemory int
	for _, pid := range procsFixturePIDs(t) {
		dir := filepath.Join(procsDir, strconv.Itoa(pid))
		b, err := os.ReadFile(filepath.Join(dir, "status"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParsePidStatus(b)
		if err != nil {
			t.Errorf("%d: %v", pid, err)
			continue
		}
		parsed++
		if st.VmSize == 0 && st.VmRSS == 0 {
			noMemory++
		}
		if w, ok := want[pid]; ok {
			if diff := cmp.Diff(w, st); diff != "" {
				t.Errorf("%d: mismatch (-want +have):\n%s", pid, diff)
			}
		}
		stat, err := ParsePidStat(readProcsFixture(t, strconv.Itoa(pid)+"/stat"))
		if err != nil {
			t.Fatal(err)
		}
		fromStat := PidStatus{
			Name: stat.Comm, State: stat.State, Tgid: stat.PID, PPid: stat.PPID,
			VmSize: stat.VSize, VmRSS: uint64(stat.RSS) * 4096, Threads: stat.NumThreads,
		}
		fromStatus := PidStatus{
			Name: st.Name, State: st.State, Tgid: st.Tgid, PPid: st.PPid,
			VmSize: st.VmSize, VmRSS: st.VmRSS, Threads: st.Threads,
		}
		if diff := cmp.Diff(fromStat, fromStatus); diff != "" {
			t.Errorf("%d: stat and status disagree (-stat +status):\n%s", pid, diff)
		}
		if sum := st.RssAnon + st.RssFile + st.RssShmem; sum != st.VmRSS {
			t.Errorf("%d: RssAnon+RssFile+RssShmem = %d, VmRSS = %d", pid, sum, st.VmRSS)
		}
	}
	if parsed != 994 {
		t.Errorf("parsed %d status files, want 994", parsed)
	}
	// 246 kernel threads and 5 zombies.
	if noMemory != 251 {
		t.Errorf("%d status files without memory lines, want 251", noMemory)
	}
}

func FuzzParsePidStatus(f *testing.F) {
	addProcsSeeds(f, "status",
		kthreadStatus,
		"Name:\ta\\\n",
		"Name:\t\\n\\\\\\x\n",
		"Name:\ta\nVmRSS:\t18014398509481983 kB\nUid:\t1\t2\t3\t4\n",
		"Name:\ta\nState:\t\nTgid:\t-1\n",
		":\n:\n:",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParsePidStatus(b)
		if err != nil {
			if !cmp.Equal(st, PidStatus{}) {
				t.Fatalf("error %v with a non-zero PidStatus %+v", err, st)
			}
			return
		}
		if st.Tgid < 0 || st.PPid < 0 || st.Threads < 0 {
			t.Fatalf("negative Tgid, PPid or Threads: %+v", st)
		}
		for _, v := range []uint64{st.VmSize, st.VmRSS, st.RssAnon, st.RssFile, st.RssShmem, st.VmSwap} {
			if v%1024 != 0 {
				t.Fatalf("memory %d is not whole kB: %+v", v, st)
			}
		}
		if !strings.Contains(string(b), "Name:\t") {
			t.Fatalf("no Name line, no error: %q", b)
		}
	})
}

func BenchmarkParsePidStatus(b *testing.B) {
	for _, name := range []string{"real/12540/status", "real/2/status"} {
		in := readProcsFixture(b, name)
		b.Run(strings.Split(name, "/")[1], func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePidStatus(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
