package sysfs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUdevProperties(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want map[string]string
	}{{
		name: "vm vda",
		in:   readFixture(t, "vm", "udev/b254:0"),
		want: map[string]string{
			"ID_SERIAL":       "mihari-vm-root",
			"ID_SERIAL_SHORT": "mihari-vm-root",
			"ID_MODEL":        "virtio-blk",
			"ID_PATH":         "pci-0000:00:05.0",
			"ID_PATH_TAG":     "pci-0000_00_05_0",
			"ID_FS_UUID":      "2b1c6a3e-5d0f-4c1e-9a8b-7f3e2d1c0b9a",
			"ID_FS_UUID_ENC":  "2b1c6a3e-5d0f-4c1e-9a8b-7f3e2d1c0b9a",
			"ID_FS_VERSION":   "1.0",
			"ID_FS_BLOCKSIZE": "4096",
			"ID_FS_LASTBLOCK": "6553600",
			"ID_FS_SIZE":      "26843545600",
			"ID_FS_TYPE":      "ext4",
			"ID_FS_USAGE":     "filesystem",
		},
	}, {
		name: "malformed",
		in:   readFixture(t, "malformed", "udev/b254:0"),
		want: map[string]string{
			"ID_MODEL":   "virtio-blk",
			"ID_FS_TYPE": "ext4",
			"ID_PATH":    "pci-0000:00:05.0",
		},
	}, {
		name: "value with = and spaces, empty value, last one wins",
		in:   []byte("E:A=b=c d\nE:EMPTY=\nE:A=again\n"),
		want: map[string]string{"A": "again", "EMPTY": ""},
	}, {
		name: "not at the start of a line",
		in:   []byte(" E:A=1\nS:E:B=2\n"),
		want: map[string]string{},
	}, {
		name: "empty",
		in:   nil,
		want: map[string]string{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have := ParseUdevProperties(tt.in)
			if have == nil {
				t.Fatal("nil map")
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseUdevProperties() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseUdevPropertiesBig(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string // a subset of the properties
	}{{
		file: "b8:0",
		want: map[string]string{
			"ID_ATA":                     "1",
			"ID_ATA_ROTATION_RATE_RPM":   "0",
			"ID_ATA_WRITE_CACHE":         "1",
			"ID_ATA_WRITE_CACHE_ENABLED": "1",
			"ID_MODEL":                   "Samsung_SSD_870_EVO_1TB",
			"ID_SERIAL_SHORT":            "S6PTNM0T512345X",
			"ID_PATH":                    "pci-0000:00:17.0-ata-1.0",
		},
	}, {
		file: "b8:16",
		want: map[string]string{"ID_ATA_ROTATION_RATE_RPM": "7200"},
	}, {
		file: "b259:5",
		want: map[string]string{
			"ID_MODEL":        "SAMSUNG MZQL23T8HCLS-00A07",
			"ID_SERIAL":       "SAMSUNG MZQL23T8HCLS-00A07_S64DNE0R805678",
			"ID_SERIAL_SHORT": "S64DNE0R805678",
		},
	}, {
		file: "b253:0",
		want: map[string]string{"DM_NAME": "vg0-root", "DM_LV_NAME": "root", "DM_VG_NAME": "vg0", "ID_FS_TYPE": "xfs"},
	}, {
		file: "b253:3",
		want: map[string]string{"DM_NAME": "luks-3f1c0b2e"},
	}}
	for _, tt := range tests {
		props := ParseUdevProperties(readFixture(t, "big", "udev/"+tt.file))
		for k, want := range tt.want {
			if have, ok := props[k]; !ok || have != want {
				t.Errorf("%s: %s = %q (present: %v), want %q", tt.file, k, have, ok, want)
			}
		}
	}
}

func FuzzParseUdevProperties(f *testing.F) {
	for _, p := range []string{"vm/udev/b254:0", "big/udev/b8:0", "big/udev/b253:3", "malformed/udev/b254:0"} {
		f.Add(readFixture(f, "", p))
	}
	f.Add([]byte("E:=\nE:\nE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		props := ParseUdevProperties(b)
		if props == nil {
			t.Fatal("nil map")
		}
		if len(props) > strings.Count(string(b), "E:") {
			t.Fatalf("%d properties from %d E: lines", len(props), strings.Count(string(b), "E:"))
		}
		for k := range props {
			if k == "" || strings.ContainsAny(k, "=\n") {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}
