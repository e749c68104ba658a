package procfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// statTail is the fields of a kernel thread's stat after its comm, from
// state (field 3) to exit_code (field 52), with state S, PPID 2, utime 5,
// stime 53, CPU 3.
const statTail = "S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0 0 18446744073709551615 " +
	"0 0 0 0 0 0 0 2147483647 0 1 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

// statTailWant is what ParsePidStat makes of statTail.
var statTailWant = PidStat{State: 'S', PPID: 2, UTime: 5, STime: 53, Priority: 20, NumThreads: 1, StartTime: 24, Processor: 3}

// withPIDComm returns want with PID and Comm set.
func withPIDComm(want PidStat, pid int, comm string) PidStat {
	want.PID, want.Comm = pid, comm
	return want
}

// firstFields returns the first n fields of a stat line, from state on,
// without a newline.
func firstFields(tail string, n int) string {
	return strings.Join(strings.Fields(tail)[:n], " ")
}

func TestParsePidStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    PidStat
		wantErr string
	}{{
		name: "kernel thread",
		in:   "11 (kworker/0:1-virtio_vsock) " + statTail,
		want: withPIDComm(statTailWant, 11, "kworker/0:1-virtio_vsock"),
	}, {
		name: "comm with spaces and parentheses",
		in:   "812 ((sd-pam)) " + statTail,
		want: withPIDComm(statTailWant, 812, "(sd-pam)"),
	}, {
		name: "comm with ') (' inside",
		in:   "9 (a) (b) " + statTail,
		want: withPIDComm(statTailWant, 9, "a) (b"),
	}, {
		name: "comm that looks like the fields after it",
		in:   "9 (x) R 1 (y) " + statTail,
		want: withPIDComm(statTailWant, 9, "x) R 1 (y"),
	}, {
		name: "comm with a newline",
		in:   "9 (two\nlines) " + statTail,
		want: withPIDComm(statTailWant, 9, "two\nlines"),
	}, {
		name: "empty comm, no final newline",
		in:   "9 () " + strings.TrimSuffix(statTail, "\n"),
		want: withPIDComm(statTailWant, 9, ""),
	}, {
		name: "real-time priority, negative nice",
		in:   "18 (migration/0) S 2 0 0 0 -1 69238848 0 0 0 0 0 4 0 0 -100 -20 1 0 24 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 99 1 0",
		want: PidStat{PID: 18, Comm: "migration/0", State: 'S', PPID: 2, STime: 4, Priority: -100, Nice: -20, NumThreads: 1, StartTime: 24, Processor: 0},
	}, {
		name: "zombie",
		in:   "12545 (sleep) Z 12542 12542 12542 0 -1 4227084 97 0 0 0 0 0 0 0 20 0 1 0 315087 0 0 18446744073709551615 0 0 0 0 0 0 0 6 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		want: PidStat{PID: 12545, Comm: "sleep", State: 'Z', PPID: 12542, MinFlt: 97, Priority: 20, NumThreads: 1, StartTime: 315087, Processor: 1},
	}, {
		name: "delay accounting",
		in:   "7 (dd) D 1 7 7 0 -1 4194304 10 0 2 0 3 4 0 0 20 0 1 0 99 1000 2 18446744073709551615 0 0 0 0 0 0 0 0 0 1 0 0 17 1 0 0 812 0 0\n",
		want: PidStat{PID: 7, Comm: "dd", State: 'D', PPID: 1, MinFlt: 10, MajFlt: 2, UTime: 3, STime: 4, Priority: 20, NumThreads: 1, StartTime: 99, VSize: 1000, RSS: 2, Processor: 1, DelayAcctBlkioTicks: 812},
	}, {
		// Linux 2.0 wrote 37 fields, up to cnswap; the minimum is 24.
		name: "old kernel, 24 fields",
		in:   "5 (a) " + firstFields(statTail, 22) + "\n",
		want: func() PidStat { w := withPIDComm(statTailWant, 5, "a"); w.Processor = -1; return w }(),
	}, {
		name: "39 fields: processor, no delay accounting",
		in:   "5 (a) " + firstFields(statTail, 37) + "\n",
		want: withPIDComm(statTailWant, 5, "a"),
	}, {
		name: "38 fields: no processor",
		in:   "5 (a) " + firstFields(statTail, 36) + "\n",
		want: func() PidStat { w := withPIDComm(statTailWant, 5, "a"); w.Processor = -1; return w }(),
	}, {
		name: "fields after 42 are not parsed",
		in:   "5 (a) " + firstFields(statTail, 40) + " x y z",
		want: withPIDComm(statTailWant, 5, "a"),
	}, {
		name: "largest counters",
		in:   "4194304 (a) S 2147483647 0 0 0 -1 0 18446744073709551615 0 0 0 0 0 0 0 0 9223372036854775807 0 0 0 0 -9223372036854775808\n",
		want: PidStat{PID: 4194304, Comm: "a", State: 'S', PPID: 2147483647, MinFlt: 18446744073709551615, Nice: 9223372036854775807, RSS: -9223372036854775808, Processor: -1},
	}, {
		name:    "empty",
		in:      "",
		wantErr: `"": no command name in parentheses`,
	}, {
		name:    "no closing parenthesis",
		in:      "1 (init S 0",
		wantErr: `"1 (init S 0": no command name in parentheses`,
	}, {
		name:    "parentheses the wrong way round",
		in:      "1 )init( S 0",
		wantErr: `"1 )init( S 0": no command name in parentheses`,
	}, {
		name:    "no pid",
		in:      "(init) " + statTail,
		wantErr: `"(init) S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0 0 184467440737095516"...: pid: no pid`,
	}, {
		name:    "two fields before the comm",
		in:      "1 2 (init) " + statTail,
		wantErr: `"1 2 (init) S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0 0 18446744073709"...: pid: text " 2 " after it`,
	}, {
		name:    "pid not a number",
		in:      "-1 (init) " + statTail,
		wantErr: `"-1 (init) S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0 0 184467440737095"...: pid: strconv.ParseUint: parsing "-1": invalid syntax`,
	}, {
		name:    "state of two letters",
		in:      "1 (a) SS 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
		wantErr: `"1 (a) SS 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0": field 3 (state): "SS" is not one letter`,
	}, {
		name:    "23 fields",
		in:      "5 (a) " + firstFields(statTail, 21) + "\n",
		wantErr: `"5 (a) S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0\n": want at least 24 fields, have 23`,
	}, {
		name:    "nothing after the comm",
		in:      "5 (a)\n",
		wantErr: `"5 (a)\n": want at least 24 fields, have 2`,
	}, {
		name:    "utime not a number",
		in:      "5 (a) S 2 0 0 0 -1 0 0 0 0 0 1x 0 0 0 20 0 1 0 1 0 0",
		wantErr: `"5 (a) S 2 0 0 0 -1 0 0 0 0 0 1x 0 0 0 20 0 1 0 1 0 0": field 14 (utime): strconv.ParseUint: parsing "1x": invalid syntax`,
	}, {
		name:    "negative ppid",
		in:      "5 (a) S -2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
		wantErr: `"5 (a) S -2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0": field 4 (ppid): strconv.ParseUint: parsing "-2": invalid syntax`,
	}, {
		name:    "nice out of range",
		in:      "5 (a) S 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 9223372036854775808 1 0 1 0 0",
		wantErr: `"5 (a) S 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 9223372036854775808 1 0 1 0 0": field 19 (nice): strconv.ParseInt: parsing "9223372036854775808": value out of range`,
	}, {
		name:    "bad processor",
		in:      "5 (a) " + firstFields(statTail, 36) + " cpu3",
		wantErr: `"5 (a) S 2 0 0 0 -1 69238880 0 0 0 0 5 53 0 0 20 0 1 0 24 0 0 1844674407370955161"...: field 39 (processor): strconv.ParseInt: parsing "cpu3": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParsePidStat([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParsePidStat() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidStatReal(t *testing.T) {
	// The numbers of testdata/procs/real/*/stat, copied by hand.
	tests := map[string]PidStat{
		"1": {
			PID: 1, Comm: "process_api", State: 'S', PPID: 0, MinFlt: 41804, MajFlt: 0,
			UTime: 156, STime: 721, Priority: 10, Nice: -10, NumThreads: 13, StartTime: 24,
			VSize: 40480768, RSS: 2638, Processor: 0,
		},
		"2": {
			PID: 2, Comm: "kthreadd", State: 'S', Priority: 20, NumThreads: 1, StartTime: 24,
			Processor: 1,
		},
		"12540": {
			PID: 12540, Comm: "sleep", State: 'S', PPID: 1, MinFlt: 277, MajFlt: 1,
			Priority: 20, NumThreads: 1, StartTime: 315086, VSize: 2990080, RSS: 396, Processor: 0,
		},
		"12545": {
			PID: 12545, Comm: "sleep", State: 'Z', PPID: 12542, MinFlt: 97, Priority: 20,
			NumThreads: 1, StartTime: 315087, Processor: 1,
		},
	}
	for _, pid := range realPIDs {
		t.Run(pid, func(t *testing.T) {
			have, err := ParsePidStat(readProcsFixture(t, "real/"+pid+"/stat"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tests[pid], have); diff != "" {
				t.Errorf("ParsePidStat() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidStatFixtures(t *testing.T) {
	// Specific processes of testdata/procs, copied by hand from their
	// stat files.
	want := map[int]PidStat{
		3323: {
			PID: 3323, Comm: "java", State: 'S', PPID: 3321, MinFlt: 433446983, MajFlt: 6418,
			UTime: 122809267, STime: 21672224, Priority: 20, NumThreads: 187, StartTime: 4382,
			VSize: 12884901888, RSS: 847360, Processor: 6,
		},
		283550: {
			PID: 283550, Comm: "qemu-system-x86", State: 'S', PPID: 283547, MinFlt: 4406749588,
			MajFlt: 68632, UTime: 1351402532, STime: 117513264, Priority: 20, NumThreads: 44,
			StartTime: 103680102, VSize: 74088185856, RSS: 16863232, Processor: 23,
			DelayAcctBlkioTicks: 9812442,
		},
		1266340: {
			PID: 1266340, Comm: "worker) S 1 (x", State: 'S', PPID: 3388, MinFlt: 1535, MajFlt: 7,
			UTime: 236, STime: 60, Priority: 20, NumThreads: 1, StartTime: 353884103,
			VSize: 41943040, RSS: 4608, Processor: 16,
		},
	}
	var parsed, vanished, zombies, kthreads int
	comms := map[string]int{}
	for _, pid := range procsFixturePIDs(t) {
		b, err := os.ReadFile(filepath.Join(procsDir, strconv.Itoa(pid), "stat"))
		if errors.Is(err, fs.ErrNotExist) {
			vanished++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParsePidStat(b)
		if err != nil {
			t.Errorf("%d: %v", pid, err)
			continue
		}
		parsed++
		if st.PID != pid {
			t.Errorf("%d: PID %d", pid, st.PID)
		}
		switch {
		case st.State == 'Z':
			zombies++
		case st.PPID == 2 || pid == 2:
			kthreads++
		}
		comms[st.Comm]++
		if w, ok := want[pid]; ok {
			if diff := cmp.Diff(w, st); diff != "" {
				t.Errorf("%d: mismatch (-want +have):\n%s", pid, diff)
			}
		}
	}
	for _, c := range []struct {
		name       string
		have, want int
	}{
		{"parsed", parsed, 994},
		{"vanished", vanished, 6},
		{"zombies", zombies, 5},
		{"kernel threads", kthreads, 246},
		{"postgres", comms["postgres"], 523},
		{"nginx", comms["nginx"], 41},
		{"(sd-pam)", comms["(sd-pam)"], 1},
		{"tmux: server", comms["tmux: server"], 1},
		{"evil\\nname", comms["evil\nname"], 1},
	} {
		if c.have != c.want {
			t.Errorf("%s: have %d, want %d", c.name, c.have, c.want)
		}
	}
}

func FuzzParsePidStat(f *testing.F) {
	addProcsSeeds(f, "stat",
		"1 (a) "+statTail,
		"1 (a) (b) "+statTail,
		"1 ((x) "+firstFields(statTail, 22),
		"1 (a) "+firstFields(statTail, 21),
		"1 (a) S -1 0 0 0 -1 0 0 0 0 0 0 0 0 0 -9223372036854775809 0 1 0 1 0 0",
		")(",
		"(",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParsePidStat(b)
		if err != nil {
			if !cmp.Equal(st, PidStat{}) {
				t.Fatalf("error %v with a non-zero PidStat %+v", err, st)
			}
			return
		}
		if st.PID < 0 || st.PPID < 0 {
			t.Fatalf("negative PID or PPID: %+v", st)
		}
		if !bytes.Contains(b, []byte("("+st.Comm+")")) {
			t.Fatalf("comm %q is not between parentheses in %q", st.Comm, b)
		}
		rest, _ := kerneltext.NextLine(b[bytes.LastIndexByte(b, ')')+1:])
		n := 2
		for f, rest := kerneltext.NextField(rest); len(f) > 0; f, rest = kerneltext.NextField(rest) {
			n++
		}
		if n < minPidStatFields {
			t.Fatalf("parsed a line of %d fields: %q", n, b)
		}
	})
}

func BenchmarkParsePidStat(b *testing.B) {
	in := readProcsFixture(b, "real/12540/stat")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePidStat(in); err != nil {
			b.Fatal(err)
		}
	}
}
