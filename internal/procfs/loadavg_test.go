package procfs

import (
	"testing"
)

func TestParseLoadAvg(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    LoadAvg
		wantErr string
	}{{
		name: "vm fixture",
		in:   readFixture(t, "vm", "loadavg"),
		want: LoadAvg{Load1: 0.23, Load5: 0.37, Load15: 0.17},
	}, {
		name: "big fixture",
		in:   readFixture(t, "big", "loadavg"),
		want: LoadAvg{Load1: 34.12, Load5: 30.98, Load15: 28.45},
	}, {
		name:    "malformed fixture, empty",
		in:      readFixture(t, "malformed", "loadavg"),
		wantErr: `"": want 3 load averages, have 0`,
	}, {
		name: "integers, no newline",
		in:   []byte("1 2 300 1/80 11206"),
		want: LoadAvg{Load1: 1, Load5: 2, Load15: 300},
	}, {
		name: "only the first line counts",
		in:   []byte("0.5 0.25 0.125 2/90 1\n9 9 9 9/9 9\n"),
		want: LoadAvg{Load1: 0.5, Load5: 0.25, Load15: 0.125},
	}, {
		name:    "truncated",
		in:      []byte("0.20 0.18\n"),
		wantErr: `"0.20 0.18": want 3 load averages, have 2`,
	}, {
		name:    "values on separate lines",
		in:      []byte("0.20\n0.18\n0.12\n"),
		wantErr: `"0.20": want 3 load averages, have 1`,
	}, {
		name:    "not a number",
		in:      []byte("0.20 0,18 0.12 1/80 11206\n"),
		wantErr: `"0.20 0,18 0.12 1/80 11206": strconv.ParseFloat: parsing "0,18": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseLoadAvg(tt.in)
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if have != tt.want {
				t.Errorf("have %+v, want %+v", have, tt.want)
			}
		})
	}
}

func FuzzParseLoadAvg(f *testing.F) {
	addFixtureSeeds(f, "loadavg", "1 2 3", "1 2", "NaN Inf -Inf 0/0 0\n", "1e400 0x1p-2 1_0\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLoadAvg(b)
		if err != nil && l != (LoadAvg{}) {
			t.Fatalf("error %v with a non-zero LoadAvg %+v", err, l)
		}
	})
}
