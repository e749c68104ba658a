package procfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mapsFixtures are the captures of testdata/maps; see its README.md.
var mapsFixtures = []string{"cat", "go", "big"}

// readMapsFixture returns testdata/maps/name.
func readMapsFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "maps", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseMaps(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []MapsEntry
		wantErr string
	}{{
		name: "file, as a shared library's text",
		in:   "7fdbb85ba000-7fdbb8710000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6\n",
		want: []MapsEntry{{Start: 0x7fdbb85ba000, End: 0x7fdbb8710000, Perms: "r-xp", Offset: 0x26000, Major: 0xfe, Inode: 326269, Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"}},
	}, {
		name: "anonymous, with the kernel's trailing space and without",
		in:   "7fdbb8591000-7fdbb8594000 rw-p 00000000 00:00 0 \n7fdbb8594000-7fdbb8595000 ---p 00000000 00:00 0",
		want: []MapsEntry{
			{Start: 0x7fdbb8591000, End: 0x7fdbb8594000, Perms: "rw-p"},
			{Start: 0x7fdbb8594000, End: 0x7fdbb8595000, Perms: "---p"},
		},
	}, {
		name: "pseudo-paths",
		in: "55abf4f68000-55abf4f89000 rw-p 00000000 00:00 0                          [heap]\n" +
			"7fdbb8787000-7fdbb8789000 r-xp 00000000 00:00 0                          [vdso]\n" +
			"7ffec1994000-7ffec19b5000 rw-p 00000000 00:00 0                          [stack]\n" +
			"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n",
		want: []MapsEntry{
			{Start: 0x55abf4f68000, End: 0x55abf4f89000, Perms: "rw-p", Path: "[heap]"},
			{Start: 0x7fdbb8787000, End: 0x7fdbb8789000, Perms: "r-xp", Path: "[vdso]"},
			{Start: 0x7ffec1994000, End: 0x7ffec19b5000, Perms: "rw-p", Path: "[stack]"},
			{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
		},
	}, {
		name: "deleted: memfd, shared anonymous memory, a file",
		in: "7fc264203000-7fc264204000 r-xs 00000000 00:01 4                          /memfd:x (deleted)\n" +
			"7fc264202000-7fc264203000 rw-s 00000000 00:01 5                          /dev/zero (deleted)\n" +
			"7fc264205000-7fc264206000 r-xp 00000000 fe:00 9977964                    /tmp/a.so (deleted)\n",
		want: []MapsEntry{
			{Start: 0x7fc264203000, End: 0x7fc264204000, Perms: "r-xs", Minor: 1, Inode: 4, Path: "/memfd:x (deleted)"},
			{Start: 0x7fc264202000, End: 0x7fc264203000, Perms: "rw-s", Minor: 1, Inode: 5, Path: "/dev/zero (deleted)"},
			{Start: 0x7fc264205000, End: 0x7fc264206000, Perms: "r-xp", Major: 0xfe, Inode: 9977964, Path: "/tmp/a.so (deleted)"},
		},
	}, {
		name: "paths with spaces, a tab, a trailing space, newlines",
		in: "1000-2000 r--p 00000000 08:01 7    /opt/my  app/lib x.so\n" +
			"1000-2000 r--p 00000000 08:01 7    /tmp/tab\there\n" +
			"1000-2000 r--p 00000000 08:01 7    /tmp/x \n" +
			`1000-2000 r--p 00000000 08:01 7    /tmp/a\012b\012` + "\n" +
			`1000-2000 r--p 00000000 08:01 7    /tmp/a\040b\01` + "\n",
		want: []MapsEntry{
			{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 8, Minor: 1, Inode: 7, Path: "/opt/my  app/lib x.so"},
			{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 8, Minor: 1, Inode: 7, Path: "/tmp/tab\there"},
			{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 8, Minor: 1, Inode: 7, Path: "/tmp/x "},
			{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 8, Minor: 1, Inode: 7, Path: "/tmp/a\nb\n"},
			{Start: 0x1000, End: 0x2000, Perms: "r--p", Major: 8, Minor: 1, Inode: 7, Path: `/tmp/a\040b\01`},
		},
	}, {
		name: "32-bit addresses, a long offset, a big device number",
		in:   "08048000-08049000 r-xp 1200000000 103:12345 18446744073709551615 /a\n",
		want: []MapsEntry{{Start: 0x8048000, End: 0x8049000, Perms: "r-xp", Offset: 0x1200000000, Major: 0x103, Minor: 0x12345, Inode: 1<<64 - 1, Path: "/a"}},
	}, {
		name: "empty",
		in:   "",
		want: []MapsEntry{},
	}, {
		name: "bad lines among good ones",
		in: "1000-2000 r--p 00000000 00:00 0\n" +
			"1000-2000 r--p 00000000 00:00\n" +
			"x000-2000 r--p 00000000 00:00 0\n" +
			"3000-2000 r--p 00000000 00:00 0\n" +
			"\n" +
			"3000-4000 rw-p 00000000 00:00 0 [heap]\n",
		want: []MapsEntry{
			{Start: 0x1000, End: 0x2000, Perms: "r--p"},
			{Start: 0x3000, End: 0x4000, Perms: "rw-p", Path: "[heap]"},
		},
		wantErr: `3 malformed lines, the first: line 2 "1000-2000 r--p 00000000 00:00": want at least 5 fields, have 4`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseMaps([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseMaps() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseMapsBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"1000-2000", `line 1 "1000-2000": want at least 5 fields, have 1`},
		{"1000 r--p 0 0:0 0", `line 1 "1000 r--p 0 0:0 0": address range "1000": want start-end`},
		{"x-2000 r--p 0 0:0 0", `line 1 "x-2000 r--p 0 0:0 0": start address: strconv.ParseUint: parsing "x": invalid syntax`},
		{"1000-0x2000 r--p 0 0:0 0", `line 1 "1000-0x2000 r--p 0 0:0 0": end address: strconv.ParseUint: parsing "0x2000": invalid syntax`},
		{"1000-10000000000000000 r--p 0 0:0 0", `line 1 "1000-10000000000000000 r--p 0 0:0 0": end address: strconv.ParseUint: parsing "10000000000000000": value out of range`},
		{"3000-2000 r--p 0 0:0 0", `line 1 "3000-2000 r--p 0 0:0 0": address range "3000-2000": start not below end`},
		{"2000-2000 r--p 0 0:0 0", `line 1 "2000-2000 r--p 0 0:0 0": address range "2000-2000": start not below end`},
		{"1000-2000 r-x 0 0:0 0", `line 1 "1000-2000 r-x 0 0:0 0": permissions "r-x": want four like r-xp`},
		{"1000-2000 rxwp 0 0:0 0", `line 1 "1000-2000 rxwp 0 0:0 0": permissions "rxwp": want four like r-xp`},
		{"1000-2000 r--p g 0:0 0", `line 1 "1000-2000 r--p g 0:0 0": offset: strconv.ParseUint: parsing "g": invalid syntax`},
		{"1000-2000 r--p 0 fe00 0", `line 1 "1000-2000 r--p 0 fe00 0": device "fe00": want major:minor`},
		{"1000-2000 r--p 0 :0 0", `line 1 "1000-2000 r--p 0 :0 0": device major: strconv.ParseUint: parsing "": invalid syntax`},
		{"1000-2000 r--p 0 0:100000000 0", `line 1 "1000-2000 r--p 0 0:100000000 0": device minor: strconv.ParseUint: parsing "100000000": value out of range`},
		{"1000-2000 r--p 0 0:0 ff", `line 1 "1000-2000 r--p 0 0:0 ff": inode: strconv.ParseUint: parsing "ff": invalid syntax`},
	}
	for _, tt := range tests {
		_, err := ParseMaps([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseMaps(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

func TestParseMapsFixtures(t *testing.T) {
	tests := []struct {
		name  string
		lines int
		want  map[int]MapsEntry
	}{{
		name:  "cat",
		lines: 38,
		want: map[int]MapsEntry{
			0:  {Start: 0x55abd933e000, End: 0x55abd9340000, Perms: "r--p", Major: 0xfe, Inode: 247026, Path: "/usr/bin/cat"},
			5:  {Start: 0x55abf4f68000, End: 0x55abf4f89000, Perms: "rw-p", Path: "[heap]"},
			6:  {Start: 0x7fdbb850f000, End: 0x7fdbb8531000, Perms: "rw-p"},
			19: {Start: 0x7fdbb85ba000, End: 0x7fdbb8710000, Perms: "r-xp", Offset: 0x26000, Major: 0xfe, Inode: 326269, Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"},
			25: {Start: 0x7fdbb8777000, End: 0x7fdbb877e000, Perms: "r--s", Major: 0xfe, Inode: 325737, Path: "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"},
			30: {Start: 0x7fdbb8787000, End: 0x7fdbb8789000, Perms: "r-xp", Path: "[vdso]"},
			37: {Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
		},
	}, {
		name:  "go",
		lines: 30,
		want: map[int]MapsEntry{
			0:  {Start: 0x400000, End: 0x4b7000, Perms: "r-xp", Major: 0xfe, Inode: 10454294, Path: "/tmp/mihari-capture"},
			2:  {Start: 0x5a5000, End: 0x5b0000, Perms: "rw-p", Offset: 0x1a5000, Major: 0xfe, Inode: 10454294, Path: "/tmp/mihari-capture"},
			4:  {Start: 0x1c6230000000, End: 0x1c6230400000, Perms: "---p"},
			28: {Start: 0x7ffd1c757000, End: 0x7ffd1c778000, Perms: "rw-p", Path: "[stack]"},
		},
	}, {
		name:  "big",
		lines: 9942,
		want: map[int]MapsEntry{
			7:    {Start: 0x7fc21b164000, End: 0x7fc21b165000, Perms: "r--p"},
			9906: {Start: 0x7fc21d80f000, End: 0x7fc21d810000, Perms: "---p"},
			9919: {Start: 0x7fc264202000, End: 0x7fc264203000, Perms: "rw-s", Minor: 1, Inode: 5, Path: "/dev/zero (deleted)"},
			9920: {Start: 0x7fc264203000, End: 0x7fc264204000, Perms: "r-xs", Minor: 1, Inode: 4, Path: "/memfd:mihari-jit (deleted)"},
			9921: {Start: 0x7fc264204000, End: 0x7fc264205000, Perms: "rw-s", Minor: 0x1a, Inode: 2, Path: "/dev/shm/mihari-maps"},
			9922: {Start: 0x7fc264205000, End: 0x7fc264206000, Perms: "r-xp", Major: 0xfe, Inode: 9977964, Path: "/tmp/mihari-maps/deleted.so (deleted)"},
			9923: {Start: 0x7fc264206000, End: 0x7fc264207000, Perms: "r--s", Offset: 0x200000000, Major: 0xfe, Inode: 9977963, Path: "/tmp/mihari-maps/sparse"},
			9925: {Start: 0x7fc264208000, End: 0x7fc264209000, Perms: "r-xp", Offset: 0x1000, Major: 0xfe, Inode: 9977937, Path: "/tmp/mihari-maps/trailing space "},
			9926: {Start: 0x7fc264209000, End: 0x7fc26420a000, Perms: "r-xp", Offset: 0x1000, Major: 0xfe, Inode: 9977924, Path: "/tmp/mihari-maps/tab\there"},
			// The file is named back\012slash, with a backslash: the
			// kernel writes it as is, and it reads as a newline.
			9927: {Start: 0x7fc26420a000, End: 0x7fc26420b000, Perms: "r-xp", Offset: 0x1000, Major: 0xfe, Inode: 9977921, Path: "/tmp/mihari-maps/back\nslash"},
			9928: {Start: 0x7fc26420b000, End: 0x7fc26420c000, Perms: "r-xp", Offset: 0x1000, Major: 0xfe, Inode: 9977908, Path: "/tmp/mihari-maps/new\nline"},
			9929: {Start: 0x7fc26420c000, End: 0x7fc26420d000, Perms: "r-xp", Offset: 0x1000, Major: 0xfe, Inode: 9977890, Path: "/tmp/mihari-maps/lib with spaces.so"},
			9941: {Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseMaps(readMapsFixture(t, tt.name))
			if err != nil {
				t.Errorf("error: have %v, want nil", err)
			}
			if len(have) != tt.lines {
				t.Fatalf("have %d entries, want %d", len(have), tt.lines)
			}
			for i, want := range tt.want {
				if diff := cmp.Diff(want, have[i]); diff != "" {
					t.Errorf("entry %d mismatch (-want +have):\n%s", i, diff)
				}
			}
			for i := 1; i < len(have); i++ {
				if have[i].Start < have[i-1].End {
					t.Errorf("entry %d starts at %#x, before entry %d ends at %#x", i, have[i].Start, i-1, have[i-1].End)
				}
			}
		})
	}

	big, _ := ParseMaps(readMapsFixture(t, "big"))
	deep := big[9924].Path
	if want := "/tmp/mihari-maps/00" + strings.Repeat("d", 58) + "/01"; !strings.HasPrefix(deep, want) ||
		!strings.HasSuffix(deep, "/libdeep.so") || len(deep) != 759 {
		t.Errorf("long path: have %q (%d bytes), want %q... /libdeep.so, 759 bytes", deep, len(deep), want)
	}
	// capture.go's pages: one page each, permissions in turn.
	perms := [4]string{"r--p", "---p", "rw-p", "---p"}
	for i, m := range big[7:9907] {
		if m.End-m.Start != 4096 || m.Perms != perms[i%4] || m.Path != "" || m.Inode != 0 {
			t.Fatalf("page %d: have %+v, want one %s page of anonymous memory", i, m, perms[i%4])
		}
	}
}

func TestMapsEntryExecutable(t *testing.T) {
	tests := map[string]bool{"r-xp": true, "--xp": true, "rwxs": true, "r--p": false, "rw-s": false, "---p": false, "": false}
	for perms, want := range tests {
		if have := (MapsEntry{Perms: perms}).Executable(); have != want {
			t.Errorf("MapsEntry{Perms: %q}.Executable(): have %v, want %v", perms, have, want)
		}
	}
	var exec int
	for _, name := range mapsFixtures {
		maps, _ := ParseMaps(readMapsFixture(t, name))
		for _, m := range maps {
			if m.Executable() {
				exec++
			}
		}
	}
	// cat: cat, libc, ld.so, [vdso], [vsyscall]; go: its text, [vdso],
	// [vsyscall]; big: those three and capture.go's seven.
	if have, want := exec, 5+3+10; have != want {
		t.Errorf("executable mappings in the fixtures: have %d, want %d", have, want)
	}
}

func FuzzParseMaps(f *testing.F) {
	for _, name := range mapsFixtures {
		f.Add(readMapsFixture(f, name))
	}
	for _, s := range []string{
		"1000-2000 r-xp 00000000 fe:00 1 /a b\n",
		"0-1 ---p 0 0:0 0",
		"ffffffffffffffff-0 r--p 0 0:0 0",
		`1-2 rwxs ffffffffffffffff ffffffff:ffffffff 18446744073709551615 \012\01\`,
		"1-2 r--p 0 0:0 0 \t \r\n\n\n1-2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		maps, _ := ParseMaps(b)
		if len(maps) > lineCount(b) {
			t.Fatalf("%d entries from %d lines", len(maps), lineCount(b))
		}
		for _, m := range maps {
			if m.Start >= m.End || !validPerms(m.Perms) || len(m.Path) > len(b) {
				t.Fatalf("bad entry %+v", m)
			}
		}
	})
}
