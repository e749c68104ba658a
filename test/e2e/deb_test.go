package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/test/testenv"
)

// The paths the package installs or makes (the enablement link, the data
// directory), none of which may exist before the test: it purges the
// package at the end, which would delete an operator's data.
var debPaths = []string{
	"/usr/bin/mihari",
	"/lib/systemd/system/mihari.service",
	"/etc/default/mihari",
	"/etc/default/mihari.dpkg-dist",
	"/usr/lib/sysusers.d/mihari.conf",
	"/usr/share/doc/mihari",
	"/var/lib/mihari",
	"/etc/systemd/system/multi-user.target.wants/mihari.service",
}

// The directories where enabling a unit leaves links and state.
var debSystemdState = []string{"/etc/systemd/system", "/var/lib/systemd/deb-systemd-helper-enabled"}

// TestDebPackage builds the .deb of this machine's architecture with `make
// dist`, installs it with dpkg, checks its files, its version (git's) and
// its user, runs the agent as mihari.service does (under systemd where
// systemd is PID 1, else with the unit's user, capabilities, environment
// file and command line by hand), checks that it answers and that those
// capabilities are enough for what the agent and its children do, then
// removes and purges the package and checks that the machine is as it was.
func TestDebPackage(t *testing.T) {
	testenv.RequireRoot(t)
	// Building and installing measure nothing of the host: it runs after
	// the tests that do, alongside TestRemoteWrite's waiting.
	t.Parallel()
	for _, p := range [][2]string{{"dpkg", "dpkg"}, {"make", "make"}, {"git", "git"}, {"setpriv", "util-linux"}, {"userdel", "passwd"}} {
		testenv.RequireProgram(t, p[0], p[1])
	}
	if out, err := exec.Command("dpkg-query", "-W", "mihari").CombinedOutput(); err == nil {
		t.Fatalf("the package mihari is installed on this machine (%s): this test installs and purges it, which would delete its data; purge it first", strings.TrimSpace(string(out)))
	}
	for _, p := range debPaths {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists: this test installs and purges the package mihari, which would delete it; remove it first", p)
		}
	}
	_, err := user.Lookup("mihari")
	userExisted := err == nil
	stateBefore := debListTrees(t, debSystemdState)

	// Whatever happens, leave the machine as it was.
	t.Cleanup(func() {
		if debInstalled() {
			out, err := exec.Command("dpkg", "-P", "mihari").CombinedOutput()
			t.Logf("cleanup: dpkg -P mihari: %v\n%s", err, out)
		}
		if !userExisted {
			if _, err := user.Lookup("mihari"); err == nil {
				if out, err := exec.Command("userdel", "mihari").CombinedOutput(); err != nil {
					t.Errorf("cleanup: userdel mihari: %v\n%s", err, out)
				}
			}
			if _, err := user.LookupGroup("mihari"); err == nil {
				exec.Command("groupdel", "mihari").Run()
			}
		}
		for _, p := range debPaths { // none existed before the test
			os.RemoveAll(p)
		}
	})

	// Build it as a release is built.
	root := repoRoot(t)
	describe := func() string {
		return strings.TrimSpace(debRun(t, root, "git", "describe", "--tags", "--always", "--dirty"))
	}
	wantVersions := []string{describe()}
	wantRevision := strings.TrimSpace(debRun(t, root, "git", "rev-parse", "HEAD"))
	dist := t.TempDir()
	start := time.Now()
	makeDist := exec.Command("make", "dist", "DIST_ARCHES="+runtime.GOARCH, "DISTDIR="+dist)
	makeDist.Dir = root
	makeDist.Env = debMakeEnv()
	if out, err := makeDist.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	wantVersions = append(wantVersions, describe()) // a commit may have come meanwhile
	debs, _ := filepath.Glob(filepath.Join(dist, "mihari_*_"+runtime.GOARCH+".deb"))
	if len(debs) != 1 {
		t.Fatalf("make dist made %v, want one mihari_VERSION_%s.deb", debs, runtime.GOARCH)
	}
	deb := debs[0]
	t.Logf("make dist: %s in %v", filepath.Base(deb), time.Since(start).Round(time.Second))
	for field, want := range map[string]string{"Package": "mihari", "Architecture": runtime.GOARCH} {
		if got := strings.TrimSpace(debRun(t, "", "dpkg-deb", "-f", deb, field)); got != want {
			t.Errorf("%s: %s %q, want %q", filepath.Base(deb), field, got, want)
		}
	}

	// Install it. Where systemd runs, postinst starts the agent at once:
	// its flags go in first, so that it never takes the default port
	// (another agent may be there) and dpkg keeps them (--force-confold).
	addr := freePort(t)
	defaults := fmt.Sprintf("MIHARI_ARGS=\"--web.listen-address=%s --interval=2s\"\n", addr)
	comm, _ := os.ReadFile("/proc/1/comm")
	underSystemd := strings.TrimSpace(string(comm)) == "systemd"
	// A policy-rc.d (containers, image builds) forbids maintainer scripts to
	// start and stop services; deb-systemd-invoke obeys it.
	_, err = os.Stat("/usr/sbin/policy-rc.d")
	policy := err == nil
	if underSystemd {
		if err := os.WriteFile("/etc/default/mihari", []byte(defaults), 0o644); err != nil {
			t.Fatal(err)
		}
		debRun(t, "", "dpkg", "--force-confold", "-i", deb)
		if policy {
			t.Logf("/usr/sbin/policy-rc.d exists: postinst leaves mihari.service stopped, the test starts it")
			debRun(t, "", "systemctl", "start", "mihari.service")
		}
	} else {
		t.Logf("PID 1 is %q, not systemd: the agent is run as the unit says, by hand", strings.TrimSpace(string(comm)))
		debRun(t, "", "dpkg", "-i", deb)
	}
	if !debInstalled() {
		t.Fatal("dpkg -i succeeded but mihari is not installed")
	}

	// Its files.
	for _, f := range []struct {
		path, repo string
		mode       fs.FileMode
	}{
		{"/usr/bin/mihari", "", 0o755},
		{"/lib/systemd/system/mihari.service", "deploy/systemd/mihari.service", 0o644},
		{"/usr/lib/sysusers.d/mihari.conf", "deploy/systemd/mihari.sysusers", 0o644},
		{"/usr/share/doc/mihari/README.md", "README.md", 0o644},
		{"/usr/share/doc/mihari/install.md", "docs/install.md", 0o644},
		{"/usr/share/doc/mihari/copyright", "", 0o644},
		{"/etc/default/mihari", "deploy/systemd/mihari.default", 0o644},
	} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Errorf("installed: %v", err)
			continue
		}
		if st.Mode() != f.mode || st.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("%s: mode %v owner %d, want %v root", f.path, st.Mode(), st.Sys().(*syscall.Stat_t).Uid, f.mode)
		}
		if f.repo == "" {
			continue
		}
		if underSystemd && f.path == "/etc/default/mihari" {
			f.path += ".dpkg-dist" // the package's, next to the test's (--force-confold)
		}
		got, _ := os.ReadFile(f.path)
		want, err := os.ReadFile(filepath.Join(root, f.repo))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", f.path, f.repo)
		}
	}
	if c, _ := os.ReadFile("/usr/share/doc/mihari/copyright"); !bytes.Contains(c, []byte("\n github.com/prometheus/prometheus v")) {
		t.Errorf("the copyright file does not list the Go modules in the binary:\n%s", c)
	}
	if cf := debRun(t, "", "dpkg-query", "-W", "-f=${Conffiles}", "mihari"); !strings.Contains(cf, "/etc/default/mihari ") {
		t.Errorf("conffiles %q, want /etc/default/mihari", cf)
	}
	if l, err := os.Readlink("/etc/systemd/system/multi-user.target.wants/mihari.service"); err != nil || l != "/lib/systemd/system/mihari.service" {
		t.Errorf("mihari.service is not enabled on installation: %q %v", l, err)
	}

	// Its user: a system user whose home is the data directory.
	u, err := user.Lookup("mihari")
	if err != nil {
		t.Fatalf("the user mihari was not created: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 || uid >= 1000 || u.HomeDir != "/var/lib/mihari" {
		t.Errorf("user mihari: uid %d home %s, want a system uid and /var/lib/mihari", uid, u.HomeDir)
	}
	if _, err := os.Stat("/var/lib/mihari"); err == nil && !underSystemd {
		t.Errorf("/var/lib/mihari exists before the service ever ran (systemd's StateDirectory= makes it)")
	}

	// Its version: git's, stamped by the Makefile.
	var ver struct{ Version, Revision string }
	if err := json.Unmarshal([]byte(debRun(t, "", "/usr/bin/mihari", "version", "--json")), &ver); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(wantVersions, ver.Version) || ver.Revision != wantRevision {
		t.Errorf("mihari version: %q revision %q, want git describe's %q and HEAD %s", ver.Version, ver.Revision, wantVersions[0], wantRevision)
	}
	t.Logf("installed mihari %s (revision %s), user mihari uid %d", ver.Version, ver.Revision, uid)

	// Run the agent.
	unitText, err := os.ReadFile("/lib/systemd/system/mihari.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := parseDebUnit(t, unitText)
	if unit.user != "mihari" || len(unit.caps) == 0 {
		t.Fatalf("the unit runs as %q with capabilities %v, want the user mihari with its own", unit.user, unit.caps)
	}
	var agent *exec.Cmd
	var logs *logBuffer
	var pid int
	if underSystemd {
		pid = debWaitSystemd(t, "http://"+addr)
	} else {
		if err := os.WriteFile("/etc/default/mihari", []byte(defaults), 0o644); err != nil {
			t.Fatal(err)
		}
		agent, logs = unit.start(t, uid, gid)
		pid = agent.Process.Pid
		debWait(t, "http://"+addr+"/-/healthy", agent, logs)
	}
	body := debGet(t, "http://"+addr+"/-/healthy")
	if strings.TrimSpace(body) != "mihari is healthy." {
		t.Errorf("/-/healthy: %q", body)
	}
	// Ready after the first collection is stored: the agent writes its
	// TSDB in /var/lib/mihari as the user mihari.
	debWait(t, "http://"+addr+"/-/ready", agent, logs)
	if st, err := os.Stat("/var/lib/mihari/MIHARI"); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Errorf("the store's marker in /var/lib/mihari: %v, want a file of the user mihari", err)
	}
	if st, err := os.Stat("/var/lib/mihari"); err != nil || st.Mode().Perm() != unit.stateMode || st.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Errorf("/var/lib/mihari: %v, want mode %v owned by mihari", err, unit.stateMode)
	}

	// The agent's credentials are the unit's, and nothing more.
	status := debProcStatus(t, pid)
	wantCaps := fmt.Sprintf("%016x", unit.capMask(t))
	for _, k := range []string{"CapEff", "CapPrm", "CapAmb", "CapBnd"} {
		if status[k] != wantCaps {
			t.Errorf("agent %s %s, want %s (%v)", k, status[k], wantCaps, unit.caps)
		}
	}
	if f := strings.Fields(status["Uid"]); len(f) != 4 || f[0] != u.Uid || f[1] != u.Uid || f[2] != u.Uid || f[3] != u.Uid {
		t.Errorf("agent Uid %q, want %s", status["Uid"], u.Uid)
	}
	if unit.noNewPrivs && status["NoNewPrivs"] != "1" {
		t.Errorf("agent NoNewPrivs %q, want 1", status["NoNewPrivs"])
	}

	// The capabilities are enough for the agent's collectors and for the
	// children it starts (the same executable, so the same credentials):
	// every process's /proc files, trace files and profile of a root
	// process reading a root-only file, from a root-only directory.
	t.Run("capabilities", func(t *testing.T) {
		unit.checkCapabilities(t, uid, gid)
	})

	// Remove: prerm stops the agent under systemd (unless policy-rc.d
	// forbids it); by hand, stop it the same way.
	if underSystemd && policy {
		debRun(t, "", "systemctl", "stop", "mihari.service")
	}
	if agent != nil {
		agent.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- agent.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the agent did not stop cleanly on SIGTERM: %v\n%s", err, logs.String())
			}
		case <-time.After(unit.stopTimeout):
			t.Errorf("the agent did not stop within the unit's TimeoutStopSec %v", unit.stopTimeout)
		}
	}
	debRun(t, "", "dpkg", "-r", "mihari")
	if s := debRun(t, "", "dpkg-query", "-W", "-f=${db:Status-Abbrev}", "mihari"); strings.TrimSpace(s) != "rc" {
		t.Errorf("after dpkg -r: status %q, want rc (removed, configuration kept)", s)
	}
	if underSystemd {
		if out, _ := exec.Command("systemctl", "is-active", "mihari.service").Output(); strings.TrimSpace(string(out)) == "active" {
			t.Error("mihari.service still active after dpkg -r")
		}
	}
	for _, p := range []string{"/usr/bin/mihari", "/lib/systemd/system/mihari.service", "/usr/lib/sysusers.d/mihari.conf", "/usr/share/doc/mihari"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("after dpkg -r: %s is still there", p)
		}
	}
	// Kept on remove: the configuration and the data.
	for _, p := range []string{"/etc/default/mihari", "/var/lib/mihari/MIHARI"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after dpkg -r: %v; want it kept until purge", err)
		}
	}

	// Purge: nothing of the package is left, but its user (as Debian's
	// packages keep theirs; the cleanup deletes it).
	debRun(t, "", "dpkg", "-P", "mihari")
	if debInstalled() {
		t.Error("after dpkg -P: dpkg still knows mihari")
	}
	for _, p := range debPaths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("after dpkg -P: %s is still there", p)
		}
	}
	if m, _ := filepath.Glob("/var/lib/dpkg/info/mihari.*"); len(m) > 0 {
		t.Errorf("after dpkg -P: dpkg's files of the package remain: %v", m)
	}
	if after := debListTrees(t, debSystemdState); !slices.Equal(after, stateBefore) {
		t.Errorf("after dpkg -P: systemd's links and state differ from before the installation:\nbefore %v\nafter  %v", stateBefore, after)
	}
	if _, err := user.Lookup("mihari"); err != nil && !userExisted {
		t.Errorf("after dpkg -P: the user mihari is gone (%v); Debian packages keep their users", err)
	}
}

// debUnit is what the test takes from mihari.service to run the agent and
// its children as systemd would.
type debUnit struct {
	user, group string
	caps        []string // AmbientCapabilities=
	bounding    []string // CapabilityBoundingSet=
	noNewPrivs  bool
	memlock     string
	umask       string
	envFile     string
	envOptional bool
	execStart   string
	stateDir    string
	stateMode   fs.FileMode
	stopTimeout time.Duration

	memlockLogged bool
}

// parseDebUnit reads the [Service] section of a unit.
func parseDebUnit(t *testing.T, text []byte) *debUnit {
	t.Helper()
	u := &debUnit{umask: "0022", stateMode: 0o755, stopTimeout: 90 * time.Second}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "[Service]" {
			continue
		}
		switch k {
		case "User":
			u.user = v
		case "Group":
			u.group = v
		case "AmbientCapabilities":
			u.caps = strings.Fields(v)
		case "CapabilityBoundingSet":
			u.bounding = strings.Fields(v)
		case "NoNewPrivileges":
			u.noNewPrivs = v == "yes" || v == "true"
		case "LimitMEMLOCK":
			u.memlock = v
		case "UMask":
			u.umask = v
		case "EnvironmentFile":
			u.envOptional = strings.HasPrefix(v, "-")
			u.envFile = strings.TrimPrefix(v, "-")
		case "ExecStart":
			u.execStart = v
		case "StateDirectory":
			u.stateDir = "/var/lib/" + v
		case "StateDirectoryMode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				t.Fatalf("StateDirectoryMode=%s: %v", v, err)
			}
			u.stateMode = fs.FileMode(m)
		case "TimeoutStopSec":
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("TimeoutStopSec=%s: %v", v, err)
			}
			u.stopTimeout = d
		}
	}
	if u.group == "" {
		u.group = u.user
	}
	return u
}

// env is the environment systemd gives the service: its own variables and
// the environment file's.
func (u *debUnit) env(t *testing.T) []string {
	t.Helper()
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"USER=" + u.user, "LOGNAME=" + u.user, "HOME=" + u.stateDir, "SHELL=/usr/sbin/nologin",
		"STATE_DIRECTORY=" + u.stateDir,
	}
	if u.envFile == "" {
		return env
	}
	b, err := os.ReadFile(u.envFile)
	if err != nil {
		if u.envOptional && os.IsNotExist(err) {
			return env
		}
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", u.envFile, line)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env = append(env, strings.TrimSpace(k)+"="+v)
	}
	return env
}

// argv is ExecStart= with its variables expanded as systemd does: $NAME
// becomes the words of its value, ${NAME} its value as one word.
func (u *debUnit) argv(env []string) []string {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	var argv []string
	for _, w := range strings.Fields(u.execStart) {
		switch {
		case strings.HasPrefix(w, "${") && strings.HasSuffix(w, "}"):
			argv = append(argv, vars[w[2:len(w)-1]])
		case strings.HasPrefix(w, "$"):
			argv = append(argv, strings.Fields(vars[w[1:]])...)
		default:
			argv = append(argv, w)
		}
	}
	return argv
}

// command runs argv with the unit's credentials: its user and group,
// exactly its capabilities (ambient, so inherited through exec), no new
// privileges, its umask and locked-memory limit.
func (u *debUnit) command(t *testing.T, caps []string, argv ...string) *exec.Cmd {
	t.Helper()
	set := func(names []string) string {
		s := "-all"
		for _, c := range names {
			s += ",+" + strings.ToLower(strings.TrimPrefix(c, "CAP_"))
		}
		return s
	}
	bounding := u.bounding
	if caps == nil {
		bounding = nil
	}
	args := []string{"--reuid=" + u.user, "--regid=" + u.group, "--init-groups",
		"--inh-caps=" + set(caps), "--ambient-caps=" + set(caps), "--bounding-set=" + set(bounding)}
	if u.noNewPrivs {
		args = append(args, "--no-new-privs")
	}
	args = append(args, "--", "/bin/sh", "-c", `umask "$0" && exec "$@"`, u.umask)
	args = append(args, argv...)
	name := "setpriv"
	if u.memlock == "infinity" {
		if debHaveCap(t, 24) { // CAP_SYS_RESOURCE, to raise the hard limit
			args = append([]string{"--memlock=unlimited:unlimited", "--", "setpriv"}, args...)
			name = "prlimit"
		} else if !u.memlockLogged {
			u.memlockLogged = true
			t.Logf("LimitMEMLOCK=infinity not applied: this test runs without CAP_SYS_RESOURCE (a container's root); the limit stays %s", debMemlock())
		}
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	cmd.Env = u.env(t)
	return cmd
}

// start runs the agent as systemd would run the unit: the state directory
// made and given to the user first.
func (u *debUnit) start(t *testing.T, uid, gid int) (*exec.Cmd, *logBuffer) {
	t.Helper()
	if err := os.MkdirAll(u.stateDir, u.stateMode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(u.stateDir, u.stateMode)
	if err := os.Chown(u.stateDir, uid, gid); err != nil {
		t.Fatal(err)
	}
	argv := u.argv(u.env(t))
	if len(argv) < 2 || argv[0] != "/usr/bin/mihari" || argv[1] != "serve" {
		t.Fatalf("ExecStart %q, want /usr/bin/mihari serve", argv)
	}
	t.Logf("running as mihari.service would: %s", strings.Join(argv, " "))
	cmd := u.command(t, u.caps, argv...)
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("agent output:\n%s", logs.String())
		}
	})
	return cmd, logs
}

// capMask is the unit's capabilities as /proc/PID/status shows them.
func (u *debUnit) capMask(t *testing.T) uint64 {
	t.Helper()
	numbers := map[string]uint{
		"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_NET_BIND_SERVICE": 10, "CAP_IPC_LOCK": 14,
		"CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_SYSLOG": 34,
		"CAP_PERFMON": 38, "CAP_BPF": 39,
	}
	var m uint64
	for _, c := range u.caps {
		n, ok := numbers[c]
		if !ok {
			t.Fatalf("capability %s: add its number to the test", c)
		}
		m |= 1 << n
	}
	if !slices.Equal(u.caps, u.bounding) {
		t.Errorf("AmbientCapabilities=%v but CapabilityBoundingSet=%v: want the same", u.caps, u.bounding)
	}
	return m
}

// checkCapabilities runs, with the unit's credentials, what the agent
// reads and what its children do.
func (u *debUnit) checkCapabilities(t *testing.T, uid, gid int) {
	// Root processes from a root-only directory: one reads a root-only
	// file (kernel time), one spins (user time).
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, bytes.Repeat([]byte("mihari\n"), 8<<20/7), 0o600); err != nil {
		t.Fatal(err)
	}
	reader := startWorkload(t, "mihari-debread", "-then", "read", "-read-files", strings.Repeat(secret+",", 9)+secret)
	spinner := startWorkload(t, "mihari-debspin", "-then", "spin")
	pid := strconv.Itoa(reader.Process.Pid)
	run := func(caps []string, args ...string) (string, error) {
		cmd := u.command(t, caps, append([]string{"/usr/bin/mihari"}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
		}
		return out.String(), err
	}

	// The process collector reads every process's io, fd and limits: as
	// many must fail as for root (here: those root may not read either).
	partial := func(caps []string, asRoot bool) float64 {
		args := []string{"metrics", "--collector.disable-defaults", "--collector.process"}
		var out string
		var err error
		if asRoot {
			var b []byte
			b, err = exec.Command("/usr/bin/mihari", args...).Output()
			out = string(b)
		} else {
			out, err = run(caps, args...)
		}
		if err != nil {
			t.Fatalf("mihari metrics: %v", err)
		}
		return gaugeValue(t, parseText(t, strings.NewReader(out)), "namedprocess_scrape_partial_errors", nil)
	}
	root1 := partial(nil, true)
	withCaps := partial(u.caps, false)
	without := partial(nil, false)
	root2 := partial(nil, true)
	if withCaps > max(root1, root2) {
		t.Errorf("process collector with the unit's capabilities: %v processes read in part, root %v and %v", withCaps, root1, root2)
	}
	if without <= max(root1, root2) {
		t.Errorf("process collector as the user mihari without capabilities: %v processes read in part, no more than root's %v: the comparison proves nothing here", without, max(root1, root2))
	}
	t.Logf("processes read in part: root %v/%v, the unit's credentials %v, the user without capabilities %v", root1, root2, withCaps, without)

	// trace files, as the process page runs it but by name: in a PID
	// namespace (systemd in a container) -p would be given the namespace's
	// PID, and BPF sees the host's.
	out, err := run(u.caps, "trace", "files", "-n", "mihari-debread", "-d", "2s", "--json", "--top", "20")
	if err != nil {
		t.Fatalf("mihari trace files with the unit's capabilities: %v", err)
	}
	var files filesResult
	if err := json.Unmarshal([]byte(out), &files); err != nil {
		t.Fatalf("trace files --json: %v\n%s", err, out)
	}
	traced := false
	for _, f := range files.Files {
		traced = traced || f.Path == secret && f.Reads > 0
	}
	if !traced {
		t.Errorf("trace files with the unit's capabilities did not see the workload read %s:\n%s", secret, out)
	}

	// profile, into a directory of the user's, as investigations write
	// into the data directory.
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	os.Chown(dir, uid, gid)
	out, err = run(u.caps, "profile", "-p", pid+","+strconv.Itoa(spinner.Process.Pid), "-d", "2s", "--json", "-o", filepath.Join(dir, "p.pb.gz"))
	if err != nil {
		t.Fatalf("mihari profile with the unit's capabilities: %v", err)
	}
	var prof profileJSON
	if err := json.Unmarshal([]byte(out), &prof); err != nil {
		t.Fatalf("profile --json: %v\n%s", err, out)
	}
	named := map[bool]bool{}
	for _, f := range prof.Top {
		// An unnamed frame is 0xADDR or FILE+0xOFFSET ([kernel]+0x...).
		named[f.Kernel] = named[f.Kernel] || !strings.HasPrefix(f.Name, "0x") && !strings.Contains(f.Name, "+0x")
	}
	if prof.Samples == 0 || len(prof.Warnings) > 0 || !named[true] || !named[false] {
		t.Errorf("profile with the unit's capabilities: %d samples, warnings %q, kernel frames named %v, user frames named %v; want samples, no warning, both named:\n%s",
			prof.Samples, prof.Warnings, named[true], named[false], out)
	}
	t.Logf("with the unit's capabilities: trace files saw %d files, profile took %d samples (%.0f%% kernel)", len(files.Files), prof.Samples, 100*prof.Kernel)
}

// debRun runs a command that must succeed and returns its stdout.
func debRun(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// debMakeEnv is the environment for `make dist` with nothing that would
// change what the Makefile takes from git: no VERSION of the caller's, no
// flags of an outer make (make test runs this test).
func debMakeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "VERSION", "REVISION", "BRANCH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GOOS", "GOARCH":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// debInstalled tells whether dpkg knows the package mihari (installed, or
// removed with its configuration kept).
func debInstalled() bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "mihari").Output()
	return err == nil && strings.TrimSpace(string(out)) != "un" && strings.TrimSpace(string(out)) != ""
}

// debListTrees lists the files and links under dirs (missing ones are empty).
func debListTrees(t *testing.T, dirs []string) []string {
	t.Helper()
	var all []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil {
				all = append(all, p)
			}
			return nil
		})
	}
	return all
}

// debWait waits until url answers 200, or the agent has exited.
func debWait(t *testing.T, url string, agent *exec.Cmd, logs *logBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if agent != nil && agent.ProcessState != nil {
			t.Fatalf("the agent exited: %v\n%s", agent.ProcessState, logs.String())
		}
		if time.Now().After(deadline) {
			out := ""
			if logs != nil {
				out = logs.String()
			}
			t.Fatalf("%s did not answer 200 within a minute: %v\n%s", url, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// debWaitSystemd waits for mihari.service, which postinst started, and
// returns its main PID.
func debWaitSystemd(t *testing.T, base string) int {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("journalctl", "-u", "mihari.service", "--no-pager", "-n", "50").CombinedOutput()
			t.Logf("journal of mihari.service:\n%s", out)
		}
	})
	debWait(t, base+"/-/healthy", nil, nil)
	out := debRun(t, "", "systemctl", "show", "-p", "MainPID", "--value", "mihari.service")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || pid == 0 {
		t.Fatalf("mihari.service main PID %q", out)
	}
	return pid
}

func debGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return b.String()
}

// debProcStatus is /proc/PID/status by field.
func debProcStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(line, ":")
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// debHaveCap tells whether this test has capability n in effect.
func debHaveCap(t *testing.T, n uint) bool {
	eff, err := strconv.ParseUint(debProcStatus(t, os.Getpid())["CapEff"], 16, 64)
	return err == nil && eff&(1<<n) != 0
}

func debMemlock() string {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &r); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%d:%d bytes", r.Cur, r.Max)
}
