package procfs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePressure(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    PSIStats
		wantErr string
	}{{
		name: "vm cpu, with full (Linux 5.13 on)",
		in:   readFixture(t, "vm", "pressure/cpu"),
		want: PSIStats{
			Some: &PSILine{Avg10: 0.19, Avg60: 2.91, Avg300: 4.76, Total: 28083500},
			Full: &PSILine{},
		},
	}, {
		name: "vm io",
		in:   readFixture(t, "vm", "pressure/io"),
		want: PSIStats{
			Some: &PSILine{Avg300: 0.13, Total: 2920191},
			Full: &PSILine{Avg300: 0.12, Total: 2646906},
		},
	}, {
		name: "vm memory",
		in:   readFixture(t, "vm", "pressure/memory"),
		want: PSIStats{Some: &PSILine{}, Full: &PSILine{}},
	}, {
		name: "big cpu, without full (before Linux 5.13)",
		in:   readFixture(t, "big", "pressure/cpu"),
		want: PSIStats{Some: &PSILine{Avg10: 12.45, Avg60: 10.81, Avg300: 9.02, Total: 318844915243}},
	}, {
		name: "big io",
		in:   readFixture(t, "big", "pressure/io"),
		want: PSIStats{
			Some: &PSILine{Avg10: 3.20, Avg60: 2.71, Avg300: 2.05, Total: 92811473012},
			Full: &PSILine{Avg10: 1.10, Avg60: 0.96, Avg300: 0.71, Total: 40128833190},
		},
	}, {
		name: "big memory",
		in:   readFixture(t, "big", "pressure/memory"),
		want: PSIStats{
			Some: &PSILine{Avg60: 0.02, Avg300: 0.11, Total: 1844719204},
			Full: &PSILine{Avg300: 0.03, Total: 611200913},
		},
	}, {
		name:    "malformed cpu, garbage value",
		in:      readFixture(t, "malformed", "pressure/cpu"),
		wantErr: `line 2 "full avg10=garbage avg60=0.00 avg300=0.00 total=0": avg10: strconv.ParseFloat: parsing "garbage": invalid syntax`,
	}, {
		name:    "malformed io, not a pressure file",
		in:      readFixture(t, "malformed", "pressure/io"),
		wantErr: `no "some" or "full" line`,
	}, {
		name:    "malformed memory, no total",
		in:      readFixture(t, "malformed", "pressure/memory"),
		wantErr: `line 1 "some avg10=0.00 avg60=0.00 avg300=0.00": want avg10, avg60, avg300 and total`,
	}, {
		name: "irq, only full (Linux 6.1 on)",
		in:   []byte("full avg10=0.01 avg60=0.02 avg300=0.03 total=4\n"),
		want: PSIStats{Full: &PSILine{Avg10: 0.01, Avg60: 0.02, Avg300: 0.03, Total: 4}},
	}, {
		name: "keys in another order, an unknown key, an unknown line",
		in:   []byte("some total=4 avg300=0.03 avg10=0.01 avg60=0.02 avg3600=9\nnew 1 2 3\n"),
		want: PSIStats{Some: &PSILine{Avg10: 0.01, Avg60: 0.02, Avg300: 0.03, Total: 4}},
	}, {
		name:    "empty",
		in:      nil,
		wantErr: `no "some" or "full" line`,
	}, {
		name:    "some twice",
		in:      []byte("some avg10=0 avg60=0 avg300=0 total=0\nsome avg10=0 avg60=0 avg300=0 total=0\n"),
		wantErr: `line 2 "some avg10=0 avg60=0 avg300=0 total=0": second "some" line`,
	}, {
		name:    "field without =",
		in:      []byte("some avg10 avg60=0 avg300=0 total=0\n"),
		wantErr: `line 1 "some avg10 avg60=0 avg300=0 total=0": field "avg10" is not key=value`,
	}, {
		name:    "negative total",
		in:      []byte("some avg10=0 avg60=0 avg300=0 total=-1\n"),
		wantErr: `line 1 "some avg10=0 avg60=0 avg300=0 total=-1": total: strconv.ParseUint: parsing "-1": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParsePressure(tt.in)
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParsePressure() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func FuzzParsePressure(f *testing.F) {
	for _, tree := range trees {
		for _, name := range []string{"pressure/cpu", "pressure/io", "pressure/memory"} {
			f.Add(readFixture(f, tree, name))
		}
	}
	f.Add([]byte("full avg10=0 avg60=0 avg300=0 total=0"))
	f.Add([]byte("some =\nfull ==\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParsePressure(b)
		if err != nil {
			if st != (PSIStats{}) {
				t.Fatalf("error %v with a non-zero PSIStats %+v", err, st)
			}
			return
		}
		if st.Some == nil && st.Full == nil {
			t.Fatal("no error and no line")
		}
	})
}
