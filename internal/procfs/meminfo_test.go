package procfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []MeminfoField
		wantErr string
	}{{
		name: "kB, no unit, parentheses, blank lines",
		in:   "MemTotal:       24684084 kB\n\nActive(anon):       1512 kB\n   \nHugePages_Total:       0\n",
		want: []MeminfoField{
			{Name: "MemTotal", Value: 24684084, Unit: "kB"},
			{Name: "Active(anon)", Value: 1512, Unit: "kB"},
			{Name: "HugePages_Total", Value: 0, Unit: ""},
		},
	}, {
		name: "no space after the colon, no final newline",
		in:   "a:0",
		want: []MeminfoField{{Name: "a", Value: 0}},
	}, {
		name:    "one bad line among good ones",
		in:      "MemTotal: 1 kB\nMemFree 2 kB\nBuffers: 3 kB\n",
		want:    []MeminfoField{{Name: "MemTotal", Value: 1, Unit: "kB"}, {Name: "Buffers", Value: 3, Unit: "kB"}},
		wantErr: `line 2 "MemFree 2 kB": no colon`,
	}, {
		name: "every kind of bad line",
		in: strings.Join([]string{
			": 1 kB",
			"Mem Total: 1 kB",
			"MemTotal:",
			"MemTotal: x kB",
			"MemTotal: 1 MB",
			"MemTotal: 1 kB extra",
			"Good: 7 kB",
		}, "\n"),
		want:    []MeminfoField{{Name: "Good", Value: 7, Unit: "kB"}},
		wantErr: `6 malformed lines, the first: line 1 ": 1 kB": name "" is empty or has blanks`,
	}, {
		name:    "empty",
		in:      "",
		want:    []MeminfoField{},
		wantErr: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseMeminfo([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseMeminfo() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseMeminfoBadLineErrors(t *testing.T) {
	// Each malformed line alone, to check each one's own message.
	tests := []struct{ in, wantErr string }{
		{"Mem Total: 1 kB", `line 1 "Mem Total: 1 kB": name "Mem Total" is empty or has blanks`},
		{"MemTotal:", `line 1 "MemTotal:": no value`},
		{"MemTotal: x kB", `line 1 "MemTotal: x kB": strconv.ParseFloat: parsing "x": invalid syntax`},
		{"MemTotal: 1 MB", `line 1 "MemTotal: 1 MB": unit "MB" is not kB`},
		{"MemTotal: 1 kB extra", `line 1 "MemTotal: 1 kB extra": text after the unit`},
		{strings.Repeat("x", 100), `line 1 "` + strings.Repeat("x", kerneltext.MaxQuoted) + `"...: no colon`},
	}
	for _, tt := range tests {
		_, err := ParseMeminfo([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseMeminfo(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

// meminfoValue returns the value of name in fields, and whether it is
// there.
func meminfoValue(fields []MeminfoField, name string) (MeminfoField, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return MeminfoField{}, false
}

func TestParseMeminfoFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		lines   int
		want    []MeminfoField
		wantErr string
	}{{
		tree:  "vm",
		lines: 54,
		want: []MeminfoField{
			{Name: "MemTotal", Value: 24684084, Unit: "kB"},
			{Name: "Active(anon)", Value: 1512, Unit: "kB"},
			{Name: "VmallocTotal", Value: 34359738367, Unit: "kB"},
			{Name: "HugePages_Total", Value: 0},
			{Name: "DirectMap1G", Value: 25165824, Unit: "kB"},
		},
	}, {
		tree:  "big",
		lines: 57,
		want: []MeminfoField{
			{Name: "MemTotal", Value: 527988232, Unit: "kB"},
			{Name: "Active(anon)", Value: 181204708, Unit: "kB"},
			{Name: "Inactive(file)", Value: 132128780, Unit: "kB"},
			{Name: "HugePages_Total", Value: 1024},
			{Name: "HugePages_Free", Value: 512},
			{Name: "Hugepagesize", Value: 2048, Unit: "kB"},
		},
	}, {
		tree:  "malformed",
		lines: 7,
		want: []MeminfoField{
			{Name: "MemTotal", Value: 24684084, Unit: "kB"},
			{Name: "Cached", Value: 67424, Unit: "kB"},
			{Name: "HugePages_Total", Value: 0},
		},
		wantErr: `line 5 "Buffers:            15x0 kB": strconv.ParseFloat: parsing "15x0": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			have, err := ParseMeminfo(readFixture(t, tt.tree, "meminfo"))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if len(have) != tt.lines {
				t.Errorf("have %d fields, want %d", len(have), tt.lines)
			}
			for _, want := range tt.want {
				f, ok := meminfoValue(have, want.Name)
				if !ok {
					t.Errorf("no %s", want.Name)
					continue
				}
				if f != want {
					t.Errorf("have %+v, want %+v", f, want)
				}
			}
		})
	}
}

func FuzzParseMeminfo(f *testing.F) {
	addFixtureSeeds(f, "meminfo", "a:0", ":", "a:\n", "a: 1 kB kB\n", "\n\n\n", "a: NaN\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, _ := ParseMeminfo(b)
		if len(fields) > lineCount(b) {
			t.Fatalf("%d fields from %d lines", len(fields), lineCount(b))
		}
		for _, f := range fields {
			if f.Name == "" || (f.Unit != "" && f.Unit != "kB") {
				t.Fatalf("bad field %+v", f)
			}
		}
	})
}

func BenchmarkParseMeminfo(b *testing.B) {
	in := readFixture(b, "big", "meminfo")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMeminfo(in); err != nil {
			b.Fatal(err)
		}
	}
}
