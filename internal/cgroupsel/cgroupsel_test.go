package cgroupsel

import (
	"fmt"

	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mihari-dev/mihari/internal/procfs"
	"github.com/mihari-dev/mihari/test/testenv"
)

func TestV1Controllers(t *testing.T) {
	tests := []struct{ options, want string }{
		// As /proc/self/mounts shows them.
		{"rw,nosuid,nodev,noexec,relatime,cpu,cpuacct", "cpu,cpuacct"},
		{"rw,nosuid,nodev,noexec,relatime,name=systemd", "name=systemd"},
		{"rw,nosuid,nodev,noexec,relatime,xattr,name=systemd", "name=systemd"},
		{"rw,nosuid,nodev,noexec,relatime,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd", "name=systemd"},
		{"rw,relatime,memory", "memory"},
		{"rw,nosuid,nodev,noexec,relatime,net_cls,net_prio", "net_cls,net_prio"},
		{"rw,nosuid,nodev,noexec,relatime,cpuset,clone_children", "cpuset"},
		{"rw,relatime,cpu,name=mine", "cpu,name=mine"},
		{"rw,relatime,perf_event", "perf_event"},
		{"rw,relatime,hugetlb,misc,rdma,pids,freezer,devices,blkio", "hugetlb,misc,rdma,pids,freezer,devices,blkio"},
		// Not controllers: options, and names that only begin like one.
		{"rw,relatime", ""},
		{"", ""},
		{"rw,memoryx,cpu_x,xname=y", ""},
	}
	for _, tt := range tests {
		if have := v1Controllers(tt.options); have != tt.want {
			t.Errorf("v1Controllers(%q) = %q, want %q", tt.options, have, tt.want)
		}
	}
}

func TestUnder(t *testing.T) {
	tests := []struct {
		dir, p string
		want   string
		wantOK bool
	}{
		{"/sys/fs/cgroup", "/sys/fs/cgroup", "/", true},
		{"/sys/fs/cgroup", "/sys/fs/cgroup/system.slice", "/system.slice", true},
		{"/sys/fs/cgroup", "/sys/fs/cgroup/system.slice/ssh.service", "/system.slice/ssh.service", true},
		{"/sys/fs/cgroup/", "/sys/fs/cgroup/a", "/a", true},
		{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memoryx", "", false},
		{"/sys/fs/cgroup/memory", "/sys/fs/cgroup", "", false},
		{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu/a", "", false},
		{"/", "/", "/", true},
		{"/", "/a/b", "/a/b", true},
	}
	for _, tt := range tests {
		have, ok := under(tt.dir, tt.p)
		if ok != tt.wantOK || (ok && have != tt.want) {
			t.Errorf("under(%q, %q) = %q, %v; want %q, %v", tt.dir, tt.p, have, ok, tt.want, tt.wantOK)
		}
	}
}

func TestInCgroup(t *testing.T) {
	tests := []struct {
		path, p string
		want    bool
	}{
		{"/a", "/a", true},
		{"/a/b", "/a", true},
		{"/a/b/c", "/a", true},
		{"/ab", "/a", false},
		{"/a", "/a/b", false},
		{"/b/a", "/a", false},
		{"/", "/", true},
		{"/anything/below", "/", true},
		{"/", "/a", false},
		{"/system.slice/ssh.service", "/system.slice", true},
		{"/system.slice-x/ssh.service", "/system.slice", false},
	}
	for _, tt := range tests {
		if have := inCgroup(tt.path, tt.p); have != tt.want {
			t.Errorf("inCgroup(%q, %q) = %v, want %v", tt.path, tt.p, have, tt.want)
		}
	}
}

// findCgroupMount finds the mounted v2 hierarchy (v2 true) or the v1 one with
// these controllers, skipping the test when this host has none.
func findCgroupMount(t *testing.T, v2 bool, controllers string) string {
	t.Helper()
	ms, err := cgroupMounts()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.v2 == v2 && (v2 || m.controllers == controllers) {
			return m.dir
		}
	}
	testenv.Skip(t, fmt.Sprintf("no cgroup hierarchy v2=%v %q is mounted here", v2, controllers))
	return ""
}

// mkdirCgroup makes a cgroup in the hierarchy at root and removes it when
// the test ends; it returns its directory and its path in the hierarchy.
func mkdirCgroup(t *testing.T, root string, rel ...string) (dir, path string) {
	t.Helper()
	path = "/" + filepath.Join(rel...)
	dir = filepath.Join(root, path)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Error(err)
		}
	})
	return dir, path
}

func TestCgroupMounts(t *testing.T) {
	ms, err := cgroupMounts()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.v2 && i != 0 {
			t.Errorf("v2 hierarchy %s at %d, want it first", m.dir, i)
		}
		if m.v2 != (m.controllers == "") {
			t.Errorf("%s: v2 %v with controllers %q", m.dir, m.v2, m.controllers)
		}
		if st, err := os.Stat(m.dir); err != nil || !st.IsDir() {
			t.Errorf("%s: not a directory: %v", m.dir, err)
		}
	}
}

func TestResolveRoot(t *testing.T) {
	root := findCgroupMount(t, true, "")
	want := Target{V2: true, Dir: root, Path: "/"}
	for _, arg := range []string{"/", root, root + "/", root + "/."} {
		have, err := Resolve(arg)
		if err != nil || have != want {
			t.Errorf("Resolve(%q) = %+v, %v; want %+v", arg, have, err, want)
		}
	}
}

func TestResolveNone(t *testing.T) {
	if have, err := Resolve(""); err != nil || have != (Target{}) {
		t.Errorf(`Resolve("") = %+v, %v; want no target`, have, err)
	}
}

func TestResolveV2(t *testing.T) {
	testenv.RequireRoot(t)
	root := findCgroupMount(t, true, "")
	name := "mihari-unit-" + strconv.Itoa(os.Getpid())
	dir, path := mkdirCgroup(t, root, name)
	subDir, subPath := mkdirCgroup(t, root, name, "sub")
	tests := []struct {
		args []string
		want Target
	}{{
		args: []string{dir, dir + "/", path, name, path + "/", "//" + name},
		want: Target{V2: true, Dir: dir, Path: path},
	}, {
		args: []string{subDir, subPath, name + "/sub", dir + "/./sub", subDir + "/../sub"},
		want: Target{V2: true, Dir: subDir, Path: subPath},
	}}
	for _, tt := range tests {
		for _, arg := range tt.args {
			have, err := Resolve(arg)
			if err != nil || have != tt.want {
				t.Errorf("Resolve(%q) = %+v, %v; want %+v", arg, have, err, tt.want)
			}
		}
	}
}

func TestResolveV1(t *testing.T) {
	testenv.RequireRoot(t)
	root := findCgroupMount(t, false, "memory")
	name := "mihari-unit-" + strconv.Itoa(os.Getpid())
	dir, path := mkdirCgroup(t, root, name)
	want := Target{Dir: dir, Controllers: "memory", Path: path}
	// By its cgroup path, it is found in the memory hierarchy only: the
	// v2 one has no such cgroup.
	for _, arg := range []string{dir, path, name} {
		have, err := Resolve(arg)
		if err != nil || have != want {
			t.Errorf("Resolve(%q) = %+v, %v; want %+v", arg, have, err, want)
		}
	}
}

// A cgroup path in both kinds of hierarchy is the v2 one.
func TestResolvePrefersV2(t *testing.T) {
	testenv.RequireRoot(t)
	v2 := findCgroupMount(t, true, "")
	v1 := findCgroupMount(t, false, "memory")
	name := "mihari-unit-" + strconv.Itoa(os.Getpid())
	dir, path := mkdirCgroup(t, v2, name)
	v1Dir, _ := mkdirCgroup(t, v1, name)
	if have, err := Resolve(path); err != nil || !have.V2 || have.Dir != dir {
		t.Errorf("Resolve(%q) = %+v, %v; want the v2 cgroup %s", path, have, err, dir)
	}
	// Given as a directory, it is the one named.
	want := Target{Dir: v1Dir, Controllers: "memory", Path: path}
	if have, err := Resolve(v1Dir); err != nil || have != want {
		t.Errorf("Resolve(%q) = %+v, %v; want %+v", v1Dir, have, err, want)
	}
}

func TestResolveMissing(t *testing.T) {
	root := findCgroupMount(t, true, "")
	for _, arg := range []string{
		"/mihari-no-such-cgroup",
		"mihari-no-such-cgroup/x",
		root + "/mihari-no-such-cgroup",
		root + "/cgroup.procs", // a file, not a cgroup
	} {
		_, err := Resolve(arg)
		want := "cgroup " + arg + ": no such cgroup; give a directory under a cgroup mount or a path as /proc/PID/cgroup shows it"
		if err == nil || err.Error() != want {
			t.Errorf("Resolve(%q): error %v, want %q", arg, err, want)
		}
	}
}

// A Matcher places this process by its own /proc/PID/cgroup, in each of
// its hierarchies, v1 and v2.
func TestMatcherSelf(t *testing.T) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	cgs, err := procfs.ParsePidCgroup(b)
	if err != nil {
		t.Fatal(err)
	}
	self := uint32(os.Getpid())
	tested := 0
	for _, c := range cgs {
		controllers := strings.Join(c.Controllers, ",")
		v2 := controllers == "" && c.HierarchyID == 0
		tests := []struct {
			t    Target
			want bool
		}{
			{Target{V2: v2, Controllers: controllers, Path: c.Path}, true},
			{Target{V2: v2, Controllers: controllers, Path: "/"}, true},
			{Target{V2: v2, Controllers: controllers, Path: strings.TrimSuffix(c.Path, "/") + "/below"}, false},
		}
		if v2 {
			// The same path in a v1 hierarchy is another cgroup.
			tests = append(tests, struct {
				t    Target
				want bool
			}{Target{Controllers: "memory,x", Path: c.Path}, false})
		} else {
			tests = append(tests, struct {
				t    Target
				want bool
			}{Target{Controllers: controllers + ",x", Path: "/"}, false})
		}
		for _, tt := range tests {
			f := NewMatcher(tt.t)
			// Twice: the second answer comes from the cache.
			for range 2 {
				if have := f.Match(self); have != tt.want {
					t.Errorf("filter %+v: match(self) = %v, want %v", tt.t, have, tt.want)
				}
			}
		}
		tested++
	}
	if tested == 0 {
		t.Fatal("this process is in no cgroup hierarchy")
	}
	// A process that has exited cannot be placed.
	if NewMatcher(Target{Controllers: "memory", Path: "/"}).Match(1 << 30) {
		t.Error("match(a pid that does not exist) = true")
	}
}
