package sysfs

import (
	"strconv"
	"testing"
)

func TestParseUint(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    uint64
		wantErr string
	}{{
		name: "vm cpu1 core_id",
		in:   readFixture(t, "vm", "sys/devices/system/cpu/cpu1/topology/core_id"),
		want: 1,
	}, {
		name: "big cpu127 physical_package_id",
		in:   readFixture(t, "big", "sys/devices/system/cpu/cpu127/topology/physical_package_id"),
		want: 1,
	}, {
		name: "big cpu64 package_throttle_count",
		in:   readFixture(t, "big", "sys/devices/system/cpu/cpu64/thermal_throttle/package_throttle_count"),
		want: 18214,
	}, {
		name: "surrounding whitespace",
		in:   []byte(" \t18446744073709551615 \n"),
		want: 18446744073709551615,
	}, {
		name:    "malformed core_id, a word",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/cpu0/topology/core_id"),
		wantErr: `strconv.ParseUint: parsing "zero": invalid syntax`,
	}, {
		name:    "malformed physical_package_id, empty",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/cpu1/topology/physical_package_id"),
		wantErr: `strconv.ParseUint: parsing "": invalid syntax`,
	}, {
		name:    "malformed core_id, negative",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/cpu1/topology/core_id"),
		wantErr: `strconv.ParseUint: parsing "-1": invalid syntax`,
	}, {
		name:    "malformed core_throttle_count, overflow",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count"),
		wantErr: `strconv.ParseUint: parsing "18446744073709551616": value out of range`,
	}, {
		name:    "malformed package_throttle_count, two numbers",
		in:      readFixture(t, "malformed", "sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count"),
		wantErr: `strconv.ParseUint: parsing "12 13": invalid syntax`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseUint(tt.in)
			if have, want := errString(err), tt.wantErr; have != want {
				t.Fatalf("error: have %q, want %q", have, want)
			}
			if have != tt.want {
				t.Errorf("have %d, want %d", have, tt.want)
			}
		})
	}
}

func TestParseUintBigTopology(t *testing.T) {
	// gen.go numbers CPUs as Intel servers do: cpu0-31 package 0, cpu32-63
	// package 1, cpu64-127 their hyperthread siblings in the same order.
	for cpu := range 128 {
		dir := "sys/devices/system/cpu/cpu" + strconv.Itoa(cpu) + "/topology/"
		pkg, err := ParseUint(readFixture(t, "big", dir+"physical_package_id"))
		if err != nil {
			t.Fatal(err)
		}
		core, err := ParseUint(readFixture(t, "big", dir+"core_id"))
		if err != nil {
			t.Fatal(err)
		}
		if wantPkg, wantCore := uint64(cpu/32%2), uint64(cpu%32); pkg != wantPkg || core != wantCore {
			t.Errorf("cpu%d: package %d core %d, want package %d core %d", cpu, pkg, core, wantPkg, wantCore)
		}
	}
}

func FuzzParseUint(f *testing.F) {
	for _, name := range []string{
		"vm/sys/devices/system/cpu/cpu0/topology/core_id",
		"big/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
		"malformed/sys/devices/system/cpu/cpu0/topology/core_id",
		"malformed/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
	} {
		f.Add(readFixture(f, "", name))
	}
	f.Add([]byte("0x10"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseUint(b)
		if err != nil {
			return
		}
		// A parsed value prints back as the input, but for leading zeros
		// and the whitespace around it.
		again, err := ParseUint([]byte(strconv.FormatUint(v, 10)))
		if err != nil || again != v {
			t.Fatalf("%d does not round-trip: %d, %v", v, again, err)
		}
	})
}
