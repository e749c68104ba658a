package sysfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []int
		wantErr string
	}{{
		name: "ranges and single cpus",
		in:   []byte("0-3,7,9-11\n"),
		want: []int{0, 1, 2, 3, 7, 9, 10, 11},
	}, {
		name: "one cpu",
		in:   []byte("5"),
		want: []int{5},
	}, {
		name: "range of one",
		in:   []byte("4-4\n"),
		want: []int{4},
	}, {
		name: "vm fixture, nothing isolated",
		in:   readFixture(t, "vm", "sys/devices/system/cpu/isolated"),
		want: nil,
	}, {
		name: "big fixture",
		in:   readFixture(t, "big", "sys/devices/system/cpu/isolated"),
		want: []int{2, 3, 4, 5, 64},
	}, {
		name:    "malformed fixture, reversed range",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/isolated"),
		wantErr: `cpu list item "5-2": range ends before it starts`,
	}, {
		name: "empty",
		in:   []byte(""),
		want: nil,
	}, {
		name: "blank",
		in:   []byte(" \n\t\n"),
		want: nil,
	}, {
		name: "widest range",
		in:   []byte("0-65535"),
		want: seq(0, 65535),
	}, {
		name:    "range too wide",
		in:      []byte("0-65536"),
		wantErr: `cpu list names more than 65536 cpus at "0-65536"`,
	}, {
		name:    "ranges too wide together",
		in:      []byte("0-40000,50000-80000"),
		wantErr: `cpu list names more than 65536 cpus at "50000-80000"`,
	}, {
		name:    "huge range",
		in:      []byte("0-2147483647"),
		wantErr: `cpu list names more than 65536 cpus at "0-2147483647"`,
	}, {
		name:    "number too big for the platform",
		in:      []byte("0-4294967296"),
		wantErr: `cpu list item "0-4294967296": strconv.ParseUint: parsing "4294967296": value out of range`,
	}, {
		name:    "empty item",
		in:      []byte("1,,2"),
		wantErr: `cpu list item "": strconv.ParseUint: parsing "": invalid syntax`,
	}, {
		name:    "trailing comma",
		in:      []byte("1,"),
		want:    []int{1},
		wantErr: "",
	}, {
		name:    "negative",
		in:      []byte("-1"),
		wantErr: `cpu list item "-1": strconv.ParseUint: parsing "": invalid syntax`,
	}, {
		name:    "open range",
		in:      []byte("3-"),
		wantErr: `cpu list item "3-": strconv.ParseUint: parsing "": invalid syntax`,
	}, {
		name:    "stride syntax is input-only",
		in:      []byte("0-7:2/4"),
		wantErr: `cpu list item "0-7:2/4": strconv.ParseUint: parsing "7:2/4": invalid syntax`,
	}, {
		name:    "space inside",
		in:      []byte("1, 2"),
		wantErr: `cpu list item " 2": strconv.ParseUint: parsing " 2": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseCPUList(tt.in)
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseCPUList() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// seq returns lo to hi.
func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func FuzzParseCPUList(f *testing.F) {
	for _, tree := range []string{"vm", "big", "malformed"} {
		f.Add(readFixture(f, tree, "sys/devices/system/cpu/isolated"))
	}
	for _, s := range []string{"0-3,7,9-11\n", "0-65535", "0-65535,0-65535", "1-0", ",", "-", "2147483647"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cpus, err := ParseCPUList(b)
		if err != nil {
			if cpus != nil {
				t.Fatalf("error %v with cpus %v", err, cpus)
			}
			return
		}
		if len(cpus) > maxCPUs {
			t.Fatalf("%d cpus", len(cpus))
		}
		if len(cpus) > 0 && strings.TrimSpace(string(b)) == "" {
			t.Fatalf("cpus %v from a blank list", cpus)
		}
		for _, c := range cpus {
			if c < 0 {
				t.Fatalf("negative cpu %d", c)
			}
		}
	})
}
