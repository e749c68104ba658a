package cgroupfs

import (
	"testing"
)

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantQuota  int64
		wantPeriod uint64
		wantErr    string
	}{
		{name: "no limit", in: "max 100000\n", wantQuota: -1, wantPeriod: 100000},
		{name: "half a CPU", in: "50000 100000\n", wantQuota: 50000, wantPeriod: 100000},
		{name: "no newline, extra blanks and newlines", in: " 1000\t1000 \n\n", wantQuota: 1000, wantPeriod: 1000},
		{name: "largest quota", in: "9223372036854775807 1000000", wantQuota: 9223372036854775807, wantPeriod: 1000000},
		{name: "empty", in: "", wantErr: `"": want quota and period`},
		{name: "quota only", in: "max\n", wantErr: `"max": want quota and period`},
		{name: "three fields", in: "max 100000 1\n", wantErr: `"max 100000 1": want quota and period`},
		{name: "two lines", in: "max 100000\nmax 100000\n", wantErr: `"max 100000\nmax 100000\n": more than one line`},
		{name: "quota too big", in: "9223372036854775808 100000", wantErr: `"9223372036854775808 100000": quota: strconv.ParseUint: parsing "9223372036854775808": value out of range`},
		{name: "quota negative", in: "-1 100000", wantErr: `"-1 100000": quota: strconv.ParseUint: parsing "-1": invalid syntax`},
		{name: "period max", in: "max max", wantErr: `"max max": period: strconv.ParseUint: parsing "max": invalid syntax`},
		{name: "period 0", in: "max 0\n", wantErr: `"max 0": period is 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			quota, period, err := ParseCPUMax([]byte(tt.in))
			if have := errString(err); have != tt.wantErr {
				t.Fatalf("error: have %q, want %q", have, tt.wantErr)
			}
			if quota != tt.wantQuota || period != tt.wantPeriod {
				t.Errorf("ParseCPUMax(%q) = %d, %d; want %d, %d", tt.in, quota, period, tt.wantQuota, tt.wantPeriod)
			}
		})
	}
}

func TestParseCPUMaxFixtures(t *testing.T) {
	files := fixtureFiles(t, "cpu.max")
	limited := 0
	for name, b := range files {
		quota, period, err := ParseCPUMax(b)
		if err != nil || period != 100000 {
			t.Errorf("%s: %d, %d, %v", name, quota, period, err)
		}
		if quota != -1 {
			limited++
		}
	}
	// The api, agent and mysql containers and their pods.
	if len(files) != 24 || limited != 6 {
		t.Errorf("%d cpu.max files, %d with a quota; want 24 and 6", len(files), limited)
	}
	quota, period, err := ParseCPUMax(readFixture(t,
		"v2/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b8c3eda_25c8_494e_a84a_312d91869ad9.slice/cpu.max"))
	if quota != 200000 || period != 100000 || err != nil {
		t.Errorf("api pod: %d, %d, %v; want 200000, 100000", quota, period, err)
	}
}

func FuzzParseCPUMax(f *testing.F) {
	addFixtureSeeds(f, "cpu.max", "max", "max 0", "1 2 3", "-1 1", "max 1\n\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		quota, period, err := ParseCPUMax(b)
		switch {
		case err != nil && (quota != 0 || period != 0):
			t.Fatalf("error %v with %d, %d", err, quota, period)
		case err == nil && (quota < -1 || period == 0):
			t.Fatalf("ParseCPUMax(%q) = %d, %d", b, quota, period)
		}
	})
}
