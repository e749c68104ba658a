package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePidCgroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []PidCgroup
		wantErr string
	}{{
		name: "v1 and v2",
		in: "12:pids:/kubepods/burstable/pod1/abc\n2:cpu,cpuacct:/kubepods/burstable/pod1/abc\n" +
			"1:name=systemd:/system.slice/ssh.service\n0::/system.slice/ssh.service\n",
		want: []PidCgroup{
			{HierarchyID: 12, Controllers: []string{"pids"}, Path: "/kubepods/burstable/pod1/abc"},
			{HierarchyID: 2, Controllers: []string{"cpu", "cpuacct"}, Path: "/kubepods/burstable/pod1/abc"},
			{HierarchyID: 1, Controllers: []string{"name=systemd"}, Path: "/system.slice/ssh.service"},
			{HierarchyID: 0, Path: "/system.slice/ssh.service"},
		},
	}, {
		name: "path with colons and spaces, no final newline",
		in:   "0::/a:b:c/d e",
		want: []PidCgroup{{HierarchyID: 0, Path: "/a:b:c/d e"}},
	}, {
		name: "path outside the reader's cgroup namespace",
		in:   "0::/../../system.slice/x.scope\n",
		want: []PidCgroup{{Path: "/../../system.slice/x.scope"}},
	}, {
		name: "empty",
		in:   "",
		want: []PidCgroup{},
	}, {
		name: "bad lines among good ones",
		in:   "4:memory:/\nno colon\n3:one colon\nx:cpu:/\n2:cpu,:/\n1:pids:\n-1::/\n0::/\n",
		want: []PidCgroup{
			{HierarchyID: 4, Controllers: []string{"memory"}, Path: "/"},
			{HierarchyID: 0, Path: "/"},
		},
		wantErr: `6 malformed lines, the first: line 2 "no colon": want hierarchy-ID:controllers:path, have no colon`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParsePidCgroup([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParsePidCgroup() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidCgroupBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"3:one colon", `line 1 "3:one colon": want hierarchy-ID:controllers:path, have one colon`},
		{"x:cpu:/", `line 1 "x:cpu:/": hierarchy ID: strconv.ParseUint: parsing "x": invalid syntax`},
		{"2:cpu,:/", `line 1 "2:cpu,:/": empty controller name in "cpu,"`},
		{"1:pids:", `line 1 "1:pids:": empty path`},
		{"2147483648::/", `line 1 "2147483648::/": hierarchy ID: strconv.ParseUint: parsing "2147483648": value out of range`},
	}
	for _, tt := range tests {
		_, err := ParsePidCgroup([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParsePidCgroup(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

// TestParsePidCgroupControllersDoNotAlias checks that appending to one
// line's Controllers, which share an array with the next line's, leaves
// the next line alone.
func TestParsePidCgroupControllersDoNotAlias(t *testing.T) {
	cgs, err := ParsePidCgroup([]byte("2:cpu,cpuacct:/\n1:memory:/\n"))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(cgs[0].Controllers, "x")
	if have := cgs[1].Controllers[0]; have != "memory" {
		t.Errorf("appending to cgs[0].Controllers changed cgs[1].Controllers[0] to %q", have)
	}
}

func TestParsePidCgroupReal(t *testing.T) {
	v1 := func(id int, c, path string) PidCgroup {
		return PidCgroup{HierarchyID: id, Controllers: []string{c}, Path: path}
	}
	root := []PidCgroup{
		v1(9, "name=systemd", "/"), v1(8, "pids", "/"), v1(7, "blkio", "/"), v1(6, "freezer", "/"),
		v1(5, "devices", "/"), v1(4, "memory", "/"), v1(3, "cpuset", "/"), v1(2, "cpuacct", "/"),
		v1(1, "cpu", "/"), {HierarchyID: 0, Path: "/"},
	}
	inMemcg := append([]PidCgroup(nil), root...)
	inMemcg[5].Path = "/process_api/fed811c01b543c02b59a531239f16f2f"
	tests := map[string][]PidCgroup{"1": root, "2": root, "12540": inMemcg, "12545": root}
	for _, pid := range realPIDs {
		t.Run(pid, func(t *testing.T) {
			have, err := ParsePidCgroup(readProcsFixture(t, "real/"+pid+"/cgroup"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tests[pid], have); diff != "" {
				t.Errorf("ParsePidCgroup() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParsePidCgroupFixtures(t *testing.T) {
	// cgroupPath returns the path of the cpu,cpuacct hierarchy.
	cgroupPath := func(cgs []PidCgroup) string {
		for _, c := range cgs {
			if strings.Join(c.Controllers, ",") == "cpu,cpuacct" {
				return c.Path
			}
		}
		return ""
	}
	var n int
	paths := map[string]int{}
	for _, pid := range procsFixturePIDs(t) {
		b, err := os.ReadFile(filepath.Join(procsDir, strconv.Itoa(pid), "cgroup"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cgs, err := ParsePidCgroup(b)
		if err != nil {
			t.Errorf("%d: %v", pid, err)
			continue
		}
		n++
		if len(cgs) != 13 {
			t.Errorf("%d: %d hierarchies, want 13", pid, len(cgs))
		}
		p := cgroupPath(cgs)
		switch {
		case strings.HasPrefix(p, "/kubepods/"):
			paths["kubepods"]++
		case strings.HasPrefix(p, "/docker/"):
			paths["docker"]++
		default:
			paths[p]++
		}
	}
	if n != 994 {
		t.Errorf("parsed %d cgroup files, want 994", n)
	}
	want := map[string]int{
		"/":                                   247, // kernel threads and init
		"/user.slice":                         11,
		"/system.slice/containerd.service":    9, // containerd and 8 shims
		"/system.slice/kubelet.service":       1,
		"/system.slice/docker.service":        1,
		"/system.slice/systemd-udevd.service": 3,
		"docker":                              14,
		"kubepods":                            701,
	}
	for p, w := range want {
		if paths[p] != w {
			t.Errorf("%s: %d processes, want %d", p, paths[p], w)
		}
	}

	java, err := ParsePidCgroup(readProcsFixture(t, "3323/cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	const javaPath = "/kubepods/burstable/pod147839a0-4eda-4742-ab72-60f4022c7645/2726415a2eb97ab55264e565583a08c4f724fbcd6ad14da0b2c66d5d95501f08"
	wantJava := []PidCgroup{
		{13, []string{"misc"}, javaPath}, {12, []string{"rdma"}, javaPath}, {11, []string{"pids"}, javaPath},
		{10, []string{"hugetlb"}, javaPath}, {9, []string{"net_cls", "net_prio"}, javaPath},
		{8, []string{"perf_event"}, javaPath}, {7, []string{"freezer"}, javaPath},
		{6, []string{"devices"}, javaPath}, {5, []string{"blkio"}, javaPath}, {4, []string{"memory"}, javaPath},
		{3, []string{"cpuset"}, javaPath}, {2, []string{"cpu", "cpuacct"}, javaPath},
		{1, []string{"name=systemd"}, javaPath},
	}
	if diff := cmp.Diff(wantJava, java); diff != "" {
		t.Errorf("3323/cgroup mismatch (-want +have):\n%s", diff)
	}
}

func FuzzParsePidCgroup(f *testing.F) {
	addProcsSeeds(f, "cgroup", "0::/", "1:a,b,c:/x:y", ":::", "1:,:/", "\n\n", "2:cpu,cpuacct:/\n1:m:/")
	f.Fuzz(func(t *testing.T, b []byte) {
		cgs, _ := ParsePidCgroup(b)
		if len(cgs) > lineCount(b) {
			t.Fatalf("%d cgroups from %d lines", len(cgs), lineCount(b))
		}
		for _, c := range cgs {
			if c.HierarchyID < 0 || c.Path == "" {
				t.Fatalf("bad cgroup %+v", c)
			}
			for _, name := range c.Controllers {
				if name == "" || strings.ContainsAny(name, ",\n") {
					t.Fatalf("bad controller %q in %+v", name, c)
				}
			}
		}
	})
}

// PrimaryCgroup names a process's cgroup for the container columns: v2's
// path when it says more than "/", else name=systemd's, else the first v1
// path that is not "/".
func TestPrimaryCgroup(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"v2 only", "0::/system.slice/kubelet.service\n", "/system.slice/kubelet.service"},
		{"v2 at the root, v1 below", "0::/\n4:memory:/kubepods/pod1/abc\n", "/kubepods/pod1/abc"},
		{"hybrid: v2 wins", "1:name=systemd:/system.slice/x.service\n0::/system.slice/x.service/sub\n", "/system.slice/x.service/sub"},
		{"systemd before other v1", "4:memory:/docker/abc\n1:name=systemd:/system.slice/docker.service\n0::/\n", "/system.slice/docker.service"},
		{"first v1 that says something", "5:cpu,cpuacct:/\n4:memory:/docker/abc\n3:blkio:/docker/def\n", "/docker/abc"},
		{"everything at the root", "5:cpu,cpuacct:/\n0::/\n", "/"},
		{"nothing", "", "/"},
	} {
		cgs, err := ParsePidCgroup([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if have := PrimaryCgroup(cgs); have != tt.want {
			t.Errorf("%s: PrimaryCgroup = %q, want %q", tt.name, have, tt.want)
		}
	}
}
