package cgroupfs

import (
	"math"
	"strings"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		want          uint64
		wantUnlimited bool
		wantErr       string
	}{
		{name: "number", in: "93794304\n", want: 93794304},
		{name: "zero", in: "0\n", want: 0},
		{name: "no newline, blanks around", in: " \t42 \r\n\n", want: 42},
		{name: "largest", in: "18446744073709551615\n", want: math.MaxUint64},
		{name: "v1 memory without a limit", in: "9223372036854771712\n", want: 9223372036854771712},
		{name: "v2 max", in: "max\n", want: math.MaxUint64, wantUnlimited: true},
		{name: "v1 -1", in: "-1\n", want: math.MaxUint64, wantUnlimited: true},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "only a newline", in: "\n", wantErr: "empty"},
		{name: "two numbers", in: "max 100000\n", wantErr: `"max 100000" is not a number or "max": invalid syntax`},
		{name: "negative", in: "-2\n", wantErr: `"-2" is not a number or "max": invalid syntax`},
		{name: "overflow", in: "18446744073709551616\n", wantErr: `"18446744073709551616" is not a number or "max": value out of range`},
		{name: "Max", in: "Max\n", wantErr: `"Max" is not a number or "max": invalid syntax`},
		{name: "long garbage", in: strings.Repeat("x", 200), wantErr: `"` + strings.Repeat("x", 80) + `"... is not a number or "max": invalid syntax`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, unlimited, err := ParseValue([]byte(tt.in))
			if have := errString(err); have != tt.wantErr {
				t.Fatalf("error: have %q, want %q", have, tt.wantErr)
			}
			if v != tt.want || unlimited != tt.wantUnlimited {
				t.Errorf("ParseValue(%q) = %d, %v; want %d, %v", tt.in, v, unlimited, tt.want, tt.wantUnlimited)
			}
		})
	}
}

func TestParseValueFixtures(t *testing.T) {
	const mysql = "v2/kubepods.slice/kubepods-pod80a2dfd9_d0dc_4549_aa3f_72a53cf37e12.slice/"
	const java = "v1/memory/kubepods/burstable/pod147839a0-4eda-4742-ab72-60f4022c7645/2726415a2eb97ab55264e565583a08c4f724fbcd6ad14da0b2c66d5d95501f08/"
	tests := []struct {
		file          string
		want          uint64
		wantUnlimited bool
	}{
		{"real/cpuacct/cpuacct.usage", 2246136687912, false},
		{"real/memory/memory.usage_in_bytes", 1178263552, false},
		{"real/memory/memory.limit_in_bytes", 9223372036854771712, false},
		{"real/cpu/cpu.cfs_quota_us", math.MaxUint64, true},
		{"real/cpu/cpu.cfs_period_us", 100000, false},
		{"real/unified/cgroup.max.depth", math.MaxUint64, true},
		{java + "memory.limit_in_bytes", 4294967296, false},
		{java + "memory.max_usage_in_bytes", 4294967296, false},
		{mysql + "memory.current", 15149654016, false},
		{mysql + "memory.max", 17179869184, false},
		{mysql + "pids.max", 4096, false},
		{"v2/system.slice/kubelet.service/memory.max", math.MaxUint64, true},
	}
	for _, tt := range tests {
		v, unlimited, err := ParseValue(readFixture(t, tt.file))
		if err != nil || v != tt.want || unlimited != tt.wantUnlimited {
			t.Errorf("%s: %d, %v, %v; want %d, %v", tt.file, v, unlimited, err, tt.want, tt.wantUnlimited)
		}
	}
	files := fixtureFiles(t, "cpuacct.usage", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares",
		"memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes",
		"memory.current", "memory.max", "memory.swap.current", "pids.current", "pids.max")
	if len(files) < 500 {
		t.Fatalf("only %d files", len(files))
	}
	for name, b := range files {
		if _, _, err := ParseValue(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParseValue(f *testing.F) {
	addFixtureSeeds(f, "memory.max", "max", "-1", "max\n\n", " 1 ", "1 2", "-0", "")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, unlimited, err := ParseValue(b)
		switch {
		case err != nil && (v != 0 || unlimited):
			t.Fatalf("error %v with %d, %v", err, v, unlimited)
		case unlimited && v != math.MaxUint64:
			t.Fatalf("unlimited with %d", v)
		}
	})
}
