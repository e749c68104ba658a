package procfs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVmstat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []VmstatField
		wantErr string
	}{{
		name: "good lines",
		in:   "nr_free_pages 984049\n\npgfault 5718110\nbig 18446744073709551615\n",
		want: []VmstatField{
			{Name: "nr_free_pages", Value: 984049},
			{Name: "pgfault", Value: 5718110},
			{Name: "big", Value: 18446744073709551615},
		},
	}, {
		name:    "bad lines among good ones",
		in:      "a 1\nb\nc 2 3\nd x\ne 4",
		want:    []VmstatField{{Name: "a", Value: 1}, {Name: "e", Value: 4}},
		wantErr: `3 malformed lines, the first: line 2 "b": no value`,
	}, {
		name:    "more than two fields",
		in:      "c 2 3\n",
		want:    []VmstatField{},
		wantErr: `line 1 "c 2 3": more than two fields`,
	}, {
		name:    "not a number",
		in:      "d x\n",
		want:    []VmstatField{},
		wantErr: `line 1 "d x": strconv.ParseFloat: parsing "x": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseVmstat([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseVmstat() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseVmstatFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		lines   int
		want    map[int]VmstatField
		wantErr string
	}{{
		tree:  "vm",
		lines: 192,
		want: map[int]VmstatField{
			0:   {Name: "nr_free_pages", Value: 983923},
			95:  {Name: "pgfault", Value: 5722209},
			191: {Name: "nr_unstable", Value: 0},
		},
	}, {
		tree:  "big",
		lines: 192,
		want: map[int]VmstatField{
			0:  {Name: "nr_free_pages", Value: 7198575},
			95: {Name: "pgfault", Value: 94371101723},
		},
	}, {
		tree:  "malformed",
		lines: 5,
		want: map[int]VmstatField{
			2: {Name: "pgfault", Value: 5718110},
			3: {Name: "pgpgin", Value: 873821},
			4: {Name: "pgpgout", Value: 60956},
		},
		wantErr: `2 malformed lines, the first: line 4 "pgmajfault": no value`,
	}}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			have, err := ParseVmstat(readFixture(t, tt.tree, "vmstat"))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if len(have) != tt.lines {
				t.Fatalf("have %d fields, want %d", len(have), tt.lines)
			}
			for i, want := range tt.want {
				if have[i] != want {
					t.Errorf("field %d: have %+v, want %+v", i, have[i], want)
				}
			}
		})
	}
}

func FuzzParseVmstat(f *testing.F) {
	addFixtureSeeds(f, "vmstat", "a 0", "a", "a 1 2\n", "\n\n", "a 1e309\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, _ := ParseVmstat(b)
		if len(fields) > lineCount(b) {
			t.Fatalf("%d fields from %d lines", len(fields), lineCount(b))
		}
		for _, f := range fields {
			if f.Name == "" {
				t.Fatalf("field without a name: %+v", f)
			}
		}
	})
}
