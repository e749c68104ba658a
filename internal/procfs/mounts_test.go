package procfs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMounts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Mount
		wantErr string
	}{{
		name: "six fields, four fields, blank line",
		in:   "/dev/vda / ext4 rw,relatime 0 0\n\ntmpfs /tmp tmpfs rw\n",
		want: []Mount{
			{Device: "/dev/vda", MountPoint: "/", FSType: "ext4", Options: "rw,relatime"},
			{Device: "tmpfs", MountPoint: "/tmp", FSType: "tmpfs", Options: "rw"},
		},
	}, {
		name: "escapes",
		in:   `//nas/My\040Share /mnt/a\040b\011c\012d\134e cifs rw 0 0`,
		want: []Mount{{Device: "//nas/My Share", MountPoint: "/mnt/a b\tc\nd\\e", FSType: "cifs", Options: "rw"}},
	}, {
		name: "any octal byte, and backslashes that are no escape",
		in:   `a\101\0 /m\\400\1\18\377 t o`,
		want: []Mount{{Device: `aA\0`, MountPoint: "/m\\\\400\\1\\18\xff", FSType: "t", Options: "o"}},
	}, {
		name: "escapes are left alone outside device and mount point",
		in:   `a b fuse\040x o\040p`,
		want: []Mount{{Device: "a", MountPoint: "b", FSType: `fuse\040x`, Options: `o\040p`}},
	}, {
		name:    "lines with too few fields among good ones",
		in:      "a b c d\n/dev/vda /\nx\ne f g h\n",
		want:    []Mount{{"a", "b", "c", "d"}, {"e", "f", "g", "h"}},
		wantErr: `2 malformed lines, the first: line 2 "/dev/vda /": want at least 4 fields, have 2`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseMounts([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseMounts() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseMountsFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		lines   int
		want    map[int]Mount
		wantErr string
	}{{
		tree:  "vm",
		lines: 19,
		want: map[int]Mount{
			0:  {Device: "proc", MountPoint: "/proc", FSType: "proc", Options: "rw,relatime"},
			5:  {Device: "/dev/vda", MountPoint: "/", FSType: "ext4", Options: "rw,relatime,discard,resv_strict,resuid=65534,resgid=65534"},
			18: {Device: "cgroup2", MountPoint: "/sys/fs/cgroup/unified", FSType: "cgroup2", Options: "rw,relatime"},
		},
	}, {
		tree:  "big",
		lines: 34,
		want: map[int]Mount{
			0:  {Device: "/dev/mapper/vg0-root", MountPoint: "/", FSType: "xfs", Options: "rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota"},
			26: {Device: "/dev/sdb1", MountPoint: "/mnt/backup disk", FSType: "ext4", Options: "rw,nosuid,nodev,relatime"},
			29: {Device: "/dev/sdc1", MountPoint: "/mnt/odd\ttab\\backslash", FSType: "ext4", Options: "ro,relatime"},
			33: {Device: "sshfs#admin@host:", MountPoint: "/mnt/remote", FSType: "fuse.sshfs", Options: "rw,nosuid,nodev,relatime,user_id=0,group_id=0"},
		},
	}, {
		tree:  "malformed",
		lines: 2,
		want: map[int]Mount{
			0: {Device: "proc", MountPoint: "/proc", FSType: "proc", Options: "rw,relatime"},
			1: {Device: "/dev/vda1", MountPoint: "/mnt/data disk", FSType: "ext4", Options: "rw,relatime"},
		},
		wantErr: `line 2 "/dev/vda /": want at least 4 fields, have 2`,
	}}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			have, err := ParseMounts(readFixture(t, tt.tree, "1/mounts"))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if len(have) != tt.lines {
				t.Fatalf("have %d mounts, want %d", len(have), tt.lines)
			}
			for i, want := range tt.want {
				if diff := cmp.Diff(want, have[i]); diff != "" {
					t.Errorf("mount %d mismatch (-want +have):\n%s", i, diff)
				}
			}
		})
	}
	big, _ := ParseMounts(readFixture(t, "big", "1/mounts"))
	if have, want := big[27].Device, "//nas.example.internal/Team Share"; have != want {
		t.Errorf("CIFS device: have %q, want %q", have, want)
	}
}

func FuzzParseMounts(f *testing.F) {
	addFixtureSeeds(f, "1/mounts", `\ \1 \12 \123 \400`, "a b c", `a\ b\`, `\\\\ \0400 c d`)
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, _ := ParseMounts(b)
		if len(mounts) > lineCount(b) {
			t.Fatalf("%d mounts from %d lines", len(mounts), lineCount(b))
		}
		for _, m := range mounts {
			// Decoding never lengthens a field.
			if m.Device == "" || m.MountPoint == "" || m.FSType == "" || m.Options == "" ||
				len(m.Device) > len(b) || len(m.MountPoint) > len(b) {
				t.Fatalf("bad mount %+v", m)
			}
		}
	})
}
