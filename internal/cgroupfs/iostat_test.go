package cgroupfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIOStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []IOStat
		wantErr string
	}{{
		name: "all keys",
		in:   "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n259:0 rbytes=10 wbytes=20 rios=30 wios=40 dbytes=0 dios=0\n",
		want: []IOStat{
			{Major: 8, Minor: 0, RBytes: 1, WBytes: 2, RIOs: 3, WIOs: 4, DBytes: 5, DIOs: 6},
			{Major: 259, Minor: 0, RBytes: 10, WBytes: 20, RIOs: 30, WIOs: 40},
		},
	}, {
		// Before Linux 5.0 there were no discard keys; io.cost and
		// io.latency add their own.
		name: "keys missing, extra and in another order",
		in: "253:2 wios=4 rbytes=1 cost.vrate=100.00 cost.usage=1234 use_delay=0 delay=0 avg_lat=x\n" +
			"8:16 rios=9\n",
		want: []IOStat{
			{Major: 253, Minor: 2, RBytes: 1, WIOs: 4},
			{Major: 8, Minor: 16, RIOs: 9},
		},
	}, {
		name: "blank lines, a device without keys, no final newline, largest value",
		in:   "\n  \n7:0\n8:0 wbytes=18446744073709551615",
		want: []IOStat{{Major: 7}, {Major: 8, WBytes: 18446744073709551615}},
	}, {
		name: "empty: no I/O",
		in:   "",
		want: []IOStat{},
	}, {
		name:    "bad lines among good ones",
		in:      "8:0 rbytes=1\nsda rbytes=1\n8:0 rbytes=x\n8:0 rbytes\n8:0 wios=-1\n8:1 dios=2\n",
		want:    []IOStat{{Major: 8, RBytes: 1}, {Major: 8, Minor: 1, DIOs: 2}},
		wantErr: `4 malformed lines, the first: line 2 "sda rbytes=1": device "sda" is not major:minor`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseIOStat([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseIOStat() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseIOStatBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"8:0 rbytes=x", `line 1 "8:0 rbytes=x": rbytes: strconv.ParseUint: parsing "x": invalid syntax`},
		{"8:0 rbytes", `line 1 "8:0 rbytes": field "rbytes" is not key=value`},
		{"8:0 dios=", `line 1 "8:0 dios=": dios: strconv.ParseUint: parsing "": invalid syntax`},
		{"8: rios=1", `line 1 "8: rios=1": minor: strconv.ParseUint: parsing "": invalid syntax`},
	}
	for _, tt := range tests {
		_, err := ParseIOStat([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseIOStat(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

func TestParseIOStatFixtures(t *testing.T) {
	have, err := ParseIOStat(readFixture(t, "v2/io.stat"))
	if err != nil {
		t.Fatal(err)
	}
	// The numbers of testdata/cgroups/v2/io.stat, copied by hand.
	want := []IOStat{
		{Major: 252, Minor: 0, RBytes: 858993459200, WBytes: 1395864371200, RIOs: 52428800, WIOs: 42598400, DBytes: 42949672960, DIOs: 40960},
		{Major: 259, Minor: 0, RBytes: 34152120320, WBytes: 189285793792, RIOs: 2084480, WIOs: 5776544, DBytes: 2147483648, DIOs: 2048},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("v2/io.stat mismatch (-want +have):\n%s", diff)
	}
	files := fixtureFiles(t, "io.stat")
	empty := 0
	for name, b := range files {
		stats, err := ParseIOStat(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(stats) == 0 {
			empty++
		}
	}
	// The root and every v2 cgroup with the io controller; the pause
	// containers and crio-conmon did no I/O.
	if len(files) != 25 || empty != 4 {
		t.Errorf("%d io.stat files, %d empty; want 25 and 4", len(files), empty)
	}
}

func FuzzParseIOStat(f *testing.F) {
	addFixtureSeeds(f, "io.stat", "8:0", "8:0 a=b", "8:0 rbytes=", ":", "8:0 =1", "8:0 rios=1 rios=2")
	f.Fuzz(func(t *testing.T, b []byte) {
		stats, _ := ParseIOStat(b)
		if len(stats) > lineCount(b) {
			t.Fatalf("%d stats from %d lines", len(stats), lineCount(b))
		}
		if len(stats) > 0 && !strings.Contains(string(b), ":") {
			t.Fatalf("a device without a colon in %q", b)
		}
	})
}
