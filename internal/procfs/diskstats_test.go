package procfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDiskstats(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Diskstat
		wantErr string
	}{{
		name: "11, 15 and 17 counters",
		in: "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n" +
			"   8       1 sda1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n" +
			" 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
		want: []Diskstat{
			{Major: 8, Minor: 0, Device: "sda", Fields: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
			{Major: 8, Minor: 1, Device: "sda1", Fields: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
			{Major: 259, Minor: 0, Device: "nvme0n1", Fields: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
		},
	}, {
		name: "counters beyond 17 are ignored",
		in:   "1 2 a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x",
		want: []Diskstat{{Major: 1, Minor: 2, Device: "a", Fields: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}}},
	}, {
		name: "short line among good ones",
		in: "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n" +
			"   8       1 sda1 1 2 3 4 5 6 7 8 9 10\n" +
			"\n" +
			"   8       2 sda2 0 0 0 0 0 0 0 0 0 0 0\n",
		want: []Diskstat{
			{Major: 8, Minor: 0, Device: "sda", Fields: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
			{Major: 8, Minor: 2, Device: "sda2", Fields: make([]uint64, 11)},
		},
		wantErr: `line 2 "   8       1 sda1 1 2 3 4 5 6 7 8 9 10": want at least 11 counters, have 10`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseDiskstats([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseDiskstats() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseDiskstatsBadLineErrors(t *testing.T) {
	eleven := " 0 0 0 0 0 0 0 0 0 0 0"
	tests := []struct{ in, wantErr string }{
		{"x 0 sda" + eleven, `line 1 "x 0 sda 0 0 0 0 0 0 0 0 0 0 0": major: strconv.ParseUint: parsing "x": invalid syntax`},
		{"4294967296 0 sda" + eleven, `line 1 "4294967296 0 sda 0 0 0 0 0 0 0 0 0 0 0": major: strconv.ParseUint: parsing "4294967296": value out of range`},
		{"8", `line 1 "8": minor: strconv.ParseUint: parsing "": invalid syntax`},
		{"8 0", `line 1 "8 0": no device name`},
		{"8 0 sda 1 2 3 4 5 6 7 8 9 10 -11", `line 1 "8 0 sda 1 2 3 4 5 6 7 8 9 10 -11": counter 11: strconv.ParseUint: parsing "-11": invalid syntax`},
	}
	for _, tt := range tests {
		_, err := ParseDiskstats([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseDiskstats(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

// TestParseDiskstatsFieldsDoNotAlias checks that appending to one line's
// Fields, which share an array with the next line's, leaves the next line
// alone.
func TestParseDiskstatsFieldsDoNotAlias(t *testing.T) {
	disks, err := ParseDiskstats([]byte("1 0 a 1 1 1 1 1 1 1 1 1 1 1\n1 1 b 2 2 2 2 2 2 2 2 2 2 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(disks[0].Fields, 99)
	if have := disks[1].Fields[0]; have != 2 {
		t.Errorf("appending to disks[0].Fields changed disks[1].Fields[0] to %d", have)
	}
}

func TestParseDiskstatsFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		lines   int
		want    map[int]Diskstat
		wantErr string
	}{{
		tree:  "vm",
		lines: 10,
		want: map[int]Diskstat{
			0: {Major: 7, Minor: 0, Device: "loop0", Fields: make([]uint64, 17)},
			8: {Major: 254, Minor: 0, Device: "vda", Fields: []uint64{
				37786, 7614, 1747682, 9352, 5377, 16514, 1219144, 3284, 0, 4792, 12994, 5130, 43, 163744, 333, 601, 25}},
			9: {Major: 253, Minor: 0, Device: "zram0", Fields: make([]uint64, 17)},
		},
	}, {
		tree:  "big",
		lines: 300,
		want: map[int]Diskstat{
			0: {Major: 8, Minor: 0, Device: "sda", Fields: []uint64{
				365726218, 36572621, 46812955904, 30477184, 819194858, 409597429, 392394336982, 117027836, 1, 1981539840,
				6091675619, 1448143, 28579, 7511168425, 1513093, 26583469, 20637392}},
			119: {Major: 66, Minor: 114, Device: "sdan2", Fields: []uint64{
				304072370, 10859727, 26454296225, 33785818, 547469367, 182489788, 64053916052, 109493873, 22, 1455644914, 4593103591}},
			219: {Major: 259, Minor: 99, Device: "nvme19n1p4", Fields: []uint64{
				98287005, 3276233, 11204718664, 7020499, 112656046, 28164011, 30642444525, 56328022, 2, 1054417129,
				1349310416, 1329024, 45268, 1365846081, 227350, 3162770, 19368047}},
			220: {Major: 253, Minor: 0, Device: "dm-0", Fields: []uint64{
				512009883, 17655513, 29696573214, 30118228, 1105517045, 552758522, 374770278255, 1105517045, 25, 1828274054,
				6414247803, 1875495, 11464, 993257872, 1189527}},
		},
	}, {
		tree:  "malformed",
		lines: 3,
		want: map[int]Diskstat{
			1: {Major: 254, Minor: 0, Device: "vda", Fields: []uint64{
				37786, 7614, 1747682, 9352, 5377, 16514, 1219144, 3284, 0, 4792, 12994, 5130, 43, 163744, 333, 601, 25}},
			2: {Major: 253, Minor: 0, Device: "zram0", Fields: make([]uint64, 11)},
		},
		wantErr: `line 3 " 254       1 vda1 37001 7600 1741000 9300 5300": want at least 11 counters, have 5`,
	}}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			have, err := ParseDiskstats(readFixture(t, tt.tree, "diskstats"))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if len(have) != tt.lines {
				t.Fatalf("have %d devices, want %d", len(have), tt.lines)
			}
			for i, want := range tt.want {
				if diff := cmp.Diff(want, have[i]); diff != "" {
					t.Errorf("device %d mismatch (-want +have):\n%s", i, diff)
				}
			}
		})
	}
}

func TestParseDiskstatsBigKinds(t *testing.T) {
	disks, err := ParseDiskstats(readFixture(t, "big", "diskstats"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	lengths := map[int]int{}
	for _, d := range disks {
		switch {
		case strings.HasPrefix(d.Device, "sd"):
			kinds["sd"]++
		case strings.HasPrefix(d.Device, "nvme"):
			kinds["nvme"]++
		case strings.HasPrefix(d.Device, "dm-"):
			kinds["dm"]++
		}
		lengths[len(d.Fields)]++
	}
	if diff := cmp.Diff(map[string]int{"sd": 120, "nvme": 100, "dm": 80}, kinds); diff != "" {
		t.Errorf("devices by kind (-want +have):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]int{11: 100, 15: 100, 17: 100}, lengths); diff != "" {
		t.Errorf("lines by number of counters (-want +have):\n%s", diff)
	}
}

func FuzzParseDiskstats(f *testing.F) {
	addFixtureSeeds(f, "diskstats",
		"1 2 a 1 2 3 4 5 6 7 8 9 10 11",
		"1 2 a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"1 2 a 1 2 3 4 5 6 7 8 9 10 11\n1 2 a 1 2 3 4 5 6 7 8 9 10 11\n1 2 a 1 2 3 4 5 6 7 8 9 10 11",
		"0 0 a 0 0 0 0 0 0 0 0 0 0 0\n0 0 b 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		"\n\n\n\n",
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		disks, _ := ParseDiskstats(b)
		if len(disks) > lineCount(b) {
			t.Fatalf("%d devices from %d lines", len(disks), lineCount(b))
		}
		for _, d := range disks {
			if d.Device == "" || len(d.Fields) < minDiskstatFields || len(d.Fields) > maxDiskstatFields {
				t.Fatalf("bad device %+v", d)
			}
		}
	})
}

func BenchmarkParseDiskstats(b *testing.B) {
	in := readFixture(b, "big", "diskstats")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDiskstats(in); err != nil {
			b.Fatal(err)
		}
	}
}
