package cgroupfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []KeyValue
		wantErr string
	}{{
		name: "cpu.stat",
		in:   "nr_periods 7\nnr_throttled 2\nthrottled_time 300\n",
		want: []KeyValue{{"nr_periods", 7}, {"nr_throttled", 2}, {"throttled_time", 300}},
	}, {
		name: "blank lines, tabs, no final newline, largest value",
		in:   "\n  \nuser\t1\n\nsystem 18446744073709551615",
		want: []KeyValue{{"user", 1}, {"system", 18446744073709551615}},
	}, {
		name: "empty",
		in:   "",
		want: []KeyValue{},
	}, {
		name:    "bad lines among good ones",
		in:      "a 1\nb\nc 1 2\nd -1\ne 18446744073709551616\nf 2\n",
		want:    []KeyValue{{"a", 1}, {"f", 2}},
		wantErr: `4 malformed lines, the first: line 2 "b": no value`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseKeyValues([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseKeyValues() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseKeyValuesBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"c 1 2", `line 1 "c 1 2": more than two fields`},
		{"d -1", `line 1 "d -1": strconv.ParseUint: parsing "-1": invalid syntax`},
		{"avg10=0.00 total=1", `line 1 "avg10=0.00 total=1": strconv.ParseUint: parsing "total=1": invalid syntax`},
		{"x " + strings.Repeat("9", 100), `line 1 "x ` + strings.Repeat("9", 78) + `"...: strconv.ParseUint: parsing "` + strings.Repeat("9", 100) + `": value out of range`},
	}
	for _, tt := range tests {
		_, err := ParseKeyValues([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseKeyValues(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

// value returns the value of key in kvs and whether it is there.
func value(kvs []KeyValue, key string) (uint64, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return 0, false
}

func TestParseKeyValuesFixtures(t *testing.T) {
	const java = "v1/memory/kubepods/burstable/pod147839a0-4eda-4742-ab72-60f4022c7645/2726415a2eb97ab55264e565583a08c4f724fbcd6ad14da0b2c66d5d95501f08/"
	const mysql = "v2/kubepods.slice/kubepods-pod80a2dfd9_d0dc_4549_aa3f_72a53cf37e12.slice/"
	tests := []struct {
		file  string
		lines int
		want  map[string]uint64
	}{{
		file:  "real/memory/memory.stat",
		lines: 42,
		want: map[string]uint64{
			"cache": 9990144, "rss": 6184960, "unevictable": 13737984,
			"hierarchical_memory_limit": 9223372036854771712, "total_cache": 603447296,
			"total_rss": 575025152, "total_inactive_file": 105918464, "total_active_file": 488443904,
		},
	}, {
		file:  "real/cpuacct/cpuacct.stat",
		lines: 2,
		want:  map[string]uint64{"user": 171054, "system": 53559},
	}, {
		file:  "real/cpu/cpu.stat",
		lines: 5,
		want:  map[string]uint64{"nr_periods": 0, "nr_throttled": 0, "throttled_time": 0, "nr_bursts": 0, "burst_time": 0},
	}, {
		file:  "real/unified/cpu.stat",
		lines: 4,
		want:  map[string]uint64{"usage_usec": 2208639261, "user_usec": 1681976168, "system_usec": 526663092, "nice_usec": 0},
	}, {
		file:  "real/unified/cgroup.stat",
		lines: 6,
		want:  map[string]uint64{"nr_descendants": 0, "nr_subsys_hugetlb": 1},
	}, {
		file:  java + "memory.stat",
		lines: 42,
		want: map[string]uint64{
			"cache": 723517440, "rss": 3441426432, "hierarchical_memory_limit": 4294967296,
			"total_cache": 723517440, "total_inactive_file": 241172480,
		},
	}, {
		file:  "v1/cpu,cpuacct/kubepods/burstable/pod147839a0-4eda-4742-ab72-60f4022c7645/cpu.stat",
		lines: 5,
		want:  map[string]uint64{"nr_periods": 12752640, "nr_throttled": 127526, "throttled_time": 3456755718332},
	}, {
		file:  mysql + "memory.stat",
		lines: 59,
		want: map[string]uint64{
			"anon": 8178933760, "file": 6442450944, "inactive_file": 2040107008, "active_file": 4080222208,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			have, err := ParseKeyValues(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(have) != tt.lines {
				t.Errorf("have %d values, want %d", len(have), tt.lines)
			}
			for k, w := range tt.want {
				if v, ok := value(have, k); !ok || v != w {
					t.Errorf("%s: have %d (present %v), want %d", k, v, ok, w)
				}
			}
		})
	}
}

// TestParseKeyValuesAllFixtures parses every flat keyed file of the
// fixture trees.
func TestParseKeyValuesAllFixtures(t *testing.T) {
	files := fixtureFiles(t, "cpu.stat", "cpuacct.stat", "memory.stat", "cgroup.stat", "cgroup.events")
	if len(files) < 300 {
		t.Fatalf("only %d files", len(files))
	}
	for name, b := range files {
		kvs, err := ParseKeyValues(b)
		if err != nil || len(kvs) == 0 {
			t.Errorf("%s: %d values, error %v", name, len(kvs), err)
		}
		if strings.HasSuffix(name, "/memory.stat") && strings.HasPrefix(name, "v2/") {
			// file - shmem is on the file LRU lists.
			file, _ := value(kvs, "file")
			shmem, _ := value(kvs, "shmem")
			inactive, _ := value(kvs, "inactive_file")
			active, _ := value(kvs, "active_file")
			if inactive+active != file-shmem {
				t.Errorf("%s: inactive_file + active_file = %d, file - shmem = %d", name, inactive+active, file-shmem)
			}
		}
	}
}

func FuzzParseKeyValues(f *testing.F) {
	addFixtureSeeds(f, "memory.stat", "a 1", "a", "a 1 2", "\n\n", "a -1\nb 2")
	f.Fuzz(func(t *testing.T, b []byte) {
		kvs, _ := ParseKeyValues(b)
		if len(kvs) > lineCount(b) {
			t.Fatalf("%d values from %d lines", len(kvs), lineCount(b))
		}
		for _, kv := range kvs {
			if kv.Key == "" || strings.ContainsAny(kv.Key, " \t\n") {
				t.Fatalf("bad key %q", kv.Key)
			}
		}
	})
}

func BenchmarkParseKeyValues(b *testing.B) {
	for _, name := range []string{
		"real/memory/memory.stat",
		"v2/kubepods.slice/kubepods-pod80a2dfd9_d0dc_4549_aa3f_72a53cf37e12.slice/memory.stat",
	} {
		in := readFixture(b, name)
		b.Run(strings.SplitN(name, "/", 2)[0], func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseKeyValues(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
