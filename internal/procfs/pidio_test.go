package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePidIO(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    PidIO
		wantErr string
	}{{
		name: "all keys",
		in: "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 6\n" +
			"cancelled_write_bytes: 7\n",
		want: PidIO{RChar: 1, WChar: 2, SyscR: 3, SyscW: 4, ReadBytes: 5, WriteBytes: 6, CancelledWriteBytes: 7},
	}, {
		name: "unknown keys, other order, largest value, no final newline",
		in:   "future: x\nwrite_bytes: 18446744073709551615\nrchar:\t9",
		want: PidIO{RChar: 9, WriteBytes: 18446744073709551615},
	}, {
		name:    "empty",
		in:      "",
		wantErr: "no rchar, wchar, syscr, syscw, read_bytes, write_bytes or cancelled_write_bytes line",
	}, {
		name:    "only unknown keys",
		in:      "a: 1\nb: 2\n",
		wantErr: "no rchar, wchar, syscr, syscw, read_bytes, write_bytes or cancelled_write_bytes line",
	}, {
		name:    "value missing",
		in:      "rchar: 1\nwchar:\n",
		wantErr: `line 2 "wchar:": no number`,
	}, {
		name:    "value negative",
		in:      "syscr: -3\n",
		wantErr: `line 1 "syscr: -3": strconv.ParseUint: parsing "-3": invalid syntax`,
	}, {
		name:    "value overflows",
		in:      "read_bytes: 18446744073709551616\n",
		wantErr: `line 1 "read_bytes: 18446744073709551616": strconv.ParseUint: parsing "18446744073709551616": value out of range`,
	}, {
		name:    "two values",
		in:      "syscw: 1 2\n",
		wantErr: `line 1 "syscw: 1 2": more than one number`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParsePidIO([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParsePidIO() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidIOReal(t *testing.T) {
	// testdata/procs/real/1 has no io: reading it was refused.
	tests := map[string]PidIO{
		"2": {},
		"12540": {
			RChar: 37721, WChar: 12813, SyscR: 40, SyscW: 1, ReadBytes: 69632, WriteBytes: 4096,
		},
		"12545": {RChar: 6976, SyscR: 10},
	}
	for pid, want := range tests {
		t.Run(pid, func(t *testing.T) {
			have, err := ParsePidIO(readProcsFixture(t, "real/"+pid+"/io"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("ParsePidIO() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidIOFixtures(t *testing.T) {
	want := map[int]PidIO{
		3323: {
			RChar: 15032453768, WChar: 6442493075, SyscR: 287070, SyscW: 193601,
			ReadBytes: 5010792448, WriteBytes: 3221225472, CancelledWriteBytes: 201326592,
		},
		283550: {
			RChar: 9895605490124, WChar: 4398046548571, SyscR: 187027115, SyscW: 136466629,
			ReadBytes: 3298534883328, WriteBytes: 2199023255552, CancelledWriteBytes: 137438953472,
		},
	}
	var parsed, unreadable int
	for _, pid := range procsFixturePIDs(t) {
		if _, err := os.Stat(filepath.Join(procsDir, strconv.Itoa(pid), "stat")); err != nil {
			continue // vanished
		}
		b, err := os.ReadFile(filepath.Join(procsDir, strconv.Itoa(pid), "io"))
		if errors.Is(err, syscall.EISDIR) {
			unreadable++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParsePidIO(b)
		if err != nil {
			t.Errorf("%d: %v", pid, err)
			continue
		}
		parsed++
		if st.CancelledWriteBytes > st.WriteBytes {
			t.Errorf("%d: cancelled_write_bytes %d > write_bytes %d", pid, st.CancelledWriteBytes, st.WriteBytes)
		}
		if w, ok := want[pid]; ok {
			if diff := cmp.Diff(w, st); diff != "" {
				t.Errorf("%d: mismatch (-want +have):\n%s", pid, diff)
			}
		}
	}
	if parsed != 990 || unreadable != 4 {
		t.Errorf("parsed %d io files and failed to read %d, want 990 and 4", parsed, unreadable)
	}
}

func FuzzParsePidIO(f *testing.F) {
	addProcsSeeds(f, "io", "rchar: 1", "rchar:", ":", "rchar: 1\nrchar: x\n", "\n\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParsePidIO(b)
		if err != nil && st != (PidIO{}) {
			t.Fatalf("error %v with a non-zero PidIO %+v", err, st)
		}
	})
}

func BenchmarkParsePidIO(b *testing.B) {
	in := readProcsFixture(b, "real/12540/io")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePidIO(in); err != nil {
			b.Fatal(err)
		}
	}
}
