package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/test/testenv"
)

// The shapes of test/workload's -opens files.
type openSpec struct {
	Dir      string
	Threads  int
	Sentinel string
	Go       string
	Opens    []openSpecOpen
}

type openSpecOpen struct {
	Path    string
	Flags   int
	Syscall string
	DirFD   string
}

type openResult struct {
	Index, TID, FD, Errno, DirFD int
}

// openEvent is a line of mihari trace open --json.
type openEvent struct {
	Time      time.Time `json:"time"`
	PID       int       `json:"pid"`
	TID       int       `json:"tid"`
	UID       int       `json:"uid"`
	Comm      string    `json:"comm"`
	FD        int       `json:"fd"`
	Errno     int       `json:"errno"`
	Error     string    `json:"error"`
	Flags     string    `json:"flags"`
	FlagsRaw  int       `json:"flags_raw"`
	Mode      int       `json:"mode"`
	Syscall   string    `json:"syscall"`
	DirFD     int       `json:"dirfd"`
	Path      string    `json:"path"`
	FullPath  string    `json:"full_path"`
	Container *string   `json:"container"`
}

// opener is a running test/workload -opens.
type opener struct {
	cmd     *exec.Cmd
	pid     int
	tids    []int
	spec    openSpec
	outPath string
	done    chan error
}

// startOpener starts a workload that will make spec's opens once told to.
func startOpener(t *testing.T, bin string, spec openSpec, cred *syscall.Credential) *opener {
	t.Helper()
	specPath := filepath.Join(spec.Dir, "spec.json")
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	o := &opener{spec: spec, outPath: filepath.Join(spec.Dir, "results.json"), done: make(chan error, 1)}
	o.cmd = exec.Command(bin, "-opens", specPath, "-opens-out", o.outPath)
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	o.cmd.Stderr = os.Stderr
	out, err := o.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.cmd.Process.Kill(); <-o.done })
	o.pid = o.cmd.Process.Pid
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		first <- sc.Text()
		for sc.Scan() {
		}
		o.done <- o.cmd.Wait()
	}()
	line := <-first
	if !strings.HasPrefix(line, "tids ") {
		t.Fatalf("workload did not report its threads: %q", line)
	}
	for _, f := range strings.Fields(line)[1:] {
		tid, _ := strconv.Atoi(f)
		o.tids = append(o.tids, tid)
	}
	return o
}

func (o *opener) results(t *testing.T) []openResult {
	t.Helper()
	select {
	case err := <-o.done:
		o.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("workload %d: %v", o.pid, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("workload %d did not finish its opens in a minute", o.pid)
	}
	b, err := os.ReadFile(o.outPath)
	if err != nil {
		t.Fatal(err)
	}
	var rs []openResult
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(o.spec.Opens) {
		t.Fatalf("workload %d made %d opens, want %d", o.pid, len(rs), len(o.spec.Opens))
	}
	return rs
}

// tracer is a running mihari trace open.
type tracer struct {
	name     string
	cmd      *exec.Cmd
	mu       sync.Mutex
	lines    []string
	stderr   logBuffer
	seen     chan struct{} // closed once every sentinel it waits for was seen
	finished chan struct{}
}

// startTracer runs mihari trace open with args; it is ready when it has
// printed an open of each of the sentinels (by path and pid).
func startTracer(t *testing.T, name string, sentinels map[int]string, args ...string) *tracer {
	t.Helper()
	tr := &tracer{name: name, seen: make(chan struct{}), finished: make(chan struct{})}
	tr.cmd = exec.Command(mihariBin, append([]string{"trace", "open"}, args...)...)
	tr.cmd.Stderr = &tr.stderr
	out, err := tr.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.cmd.Process.Kill(); <-tr.finished })
	json := slices.Contains(args, "--json")
	go func() {
		defer close(tr.finished)
		waiting := len(sentinels)
		found := map[int]bool{}
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tr.mu.Lock()
			tr.lines = append(tr.lines, line)
			tr.mu.Unlock()
			if waiting == 0 {
				continue
			}
			pid, path := 0, ""
			if json {
				var e openEvent
				if err := unmarshal(line, &e); err == nil {
					pid, path = e.PID, e.Path
				}
			} else if f := strings.Fields(line); len(f) > 0 {
				path = f[len(f)-1]
				for _, p := range f {
					if n, err := strconv.Atoi(p); err == nil && sentinels[n] != "" {
						pid = n
						break
					}
				}
			}
			if sentinels[pid] == path && !found[pid] {
				found[pid] = true
				if waiting--; waiting == 0 {
					close(tr.seen)
				}
			}
		}
		tr.cmd.Wait()
	}()
	return tr
}

func unmarshal(line string, v any) error { return json.Unmarshal([]byte(line), v) }

// stop interrupts the tracer and returns its output lines and summary.
func (tr *tracer) stop(t *testing.T) (lines []string, summary string) {
	t.Helper()
	tr.cmd.Process.Signal(os.Interrupt)
	select {
	case <-tr.finished:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: trace open did not stop within 30s of SIGINT", tr.name)
	}
	if st := tr.cmd.ProcessState; st == nil || !st.Success() {
		t.Fatalf("%s: trace open failed: %v\n%s", tr.name, st, tr.stderr.String())
	}
	return tr.lines, strings.TrimSpace(tr.stderr.String())
}

func (tr *tracer) events(t *testing.T, lines []string) []openEvent {
	t.Helper()
	var evs []openEvent
	for _, l := range lines {
		var e openEvent
		if err := unmarshal(l, &e); err != nil {
			t.Fatalf("%s: a line of --json output does not parse: %v\n%s", tr.name, err, l)
		}
		evs = append(evs, e)
	}
	return evs
}

// cgroupDirs makes a cgroup v2 directory and a v1 memory one for a test,
// removed at its end.
func cgroupDirs(t *testing.T, name string) (v2, v1 string) {
	t.Helper()
	v2 = filepath.Join("/sys/fs/cgroup/unified", name)
	v1 = filepath.Join("/sys/fs/cgroup/memory", name)
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup/unified", &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		// Where the whole of /sys/fs/cgroup is cgroup v2 there is no v1.
		if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return filepath.Join("/sys/fs/cgroup", name), ""
		}
		t.Fatalf("no cgroup v2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup")
	}
	for _, d := range []string{v2, v1} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// The cgroup can be removed once its process has exited.
			for range 100 {
				if os.Remove(d) == nil || os.IsNotExist(os.Remove(d)) {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Errorf("cgroup %s not removed", d)
		})
	}
	return v2, v1
}

func moveToCgroup(t *testing.T, dir string, pid int) {
	t.Helper()
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const nobody = 65534

// TestTraceOpen runs two workloads — 1,000 opens from four threads of a
// root process, absolute and relative, existing, missing and created, by
// openat, openat2 and (where the architecture has them) open and creat;
// and 60 opens of a process running as nobody in a cgroup of its own —
// under a trace open per filter at once, and checks that each open
// appears exactly once, with the right pid, tid, fd, errno and flags, in
// each trace that should show it, and in no other.
func TestTraceOpen(t *testing.T) {
	testenv.RequireRoot(t)
	base, err := os.MkdirTemp("", "mihari-trace-open-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dirA, dirB := filepath.Join(base, "a"), filepath.Join(base, "b")
	for _, d := range []string{base, dirA, dirB, filepath.Join(dirA, "exist"), filepath.Join(dirA, "new"), filepath.Join(dirB, "new")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777)
	}
	legacy := runtime.GOARCH == "amd64"

	specA := openSpec{Dir: dirA, Threads: 4, Sentinel: filepath.Join(dirA, "nodir/sentinel"), Go: filepath.Join(dirA, "go")}
	for i := range 1000 {
		o := openSpecOpen{Syscall: "openat"}
		switch i % 6 {
		case 0: // absolute, existing
			o.Path, o.Flags = filepath.Join(dirA, "exist", fmt.Sprintf("f%04d", i)), unix.O_RDONLY|unix.O_CLOEXEC
		case 1: // relative, existing
			o.Path, o.Flags = fmt.Sprintf("exist/f%04d", i), unix.O_RDONLY
		case 2: // absolute, missing
			o.Path, o.Flags = filepath.Join(dirA, "missing", fmt.Sprintf("m%04d", i)), unix.O_RDONLY
		case 3: // relative, missing
			o.Path, o.Flags = fmt.Sprintf("missing/m%04d", i), unix.O_RDWR
		case 4: // relative, created
			o.Path, o.Flags = fmt.Sprintf("new/c%04d", i), unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC
		case 5: // absolute, exclusive create of an existing file: EEXIST
			o.Path, o.Flags = filepath.Join(dirA, "exist", fmt.Sprintf("f%04d", i)), unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL
		}
		// Some relative opens against a dirfd rather than the working
		// directory, which -F must resolve too.
		if i%6 == 1 && i%5 == 0 {
			o.DirFD = filepath.Join(dirA, filepath.Dir(o.Path))
			o.Path = filepath.Base(o.Path)
		}
		switch {
		case i%7 == 0:
			o.Syscall = "openat2"
		case legacy && i%11 == 0 && o.DirFD == "":
			o.Syscall = "open"
		case legacy && i%6 == 4 && i%13 == 0:
			o.Syscall, o.Flags = "creat", unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC
		}
		if i%6 == 0 || i%6 == 1 || i%6 == 5 {
			if err := os.WriteFile(filepath.Join(dirA, "exist", fmt.Sprintf("f%04d", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		specA.Opens = append(specA.Opens, o)
	}

	// B runs as nobody: it may not open root-only files (EACCES).
	specB := openSpec{Dir: dirB, Threads: 2, Sentinel: filepath.Join(dirB, "nodir/sentinel"), Go: filepath.Join(dirB, "go")}
	for i := range 60 {
		o := openSpecOpen{Syscall: "openat", Path: filepath.Join(dirB, "new", fmt.Sprintf("b%02d", i)), Flags: unix.O_CREAT | unix.O_RDWR}
		switch i % 3 {
		case 1:
			secret := filepath.Join(dirB, fmt.Sprintf("secret%02d", i))
			if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			o.Path, o.Flags = secret, unix.O_RDONLY
		case 2:
			o.Path, o.Flags = fmt.Sprintf("gone%02d", i), unix.O_RDONLY
		}
		specB.Opens = append(specB.Opens, o)
	}
	// The workloads under names of their own (the comm -n matches); B's
	// binary where nobody may run it.
	nameA, nameB := "mihari-opensA", "mihari-opensB"
	binB := filepath.Join(base, nameB)
	b, err := os.ReadFile(workload(t, nameB))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(binB, b, 0o755); err != nil {
		t.Fatal(err)
	}
	// The cgroups first, so that they are removed after the workloads end.
	cgV2, cgV1 := cgroupDirs(t, fmt.Sprintf("mihari-test-%d", os.Getpid()))
	a := startOpener(t, workload(t, nameA), specA, nil)
	bw := startOpener(t, binB, specB, &syscall.Credential{Uid: nobody, Gid: nobody})
	moveToCgroup(t, cgV2, bw.pid)
	moveToCgroup(t, cgV1, bw.pid)

	sentA := map[int]string{a.pid: specA.Sentinel}
	sentB := map[int]string{bw.pid: specB.Sentinel}
	both := map[int]string{a.pid: specA.Sentinel, bw.pid: specB.Sentinel}
	tidA := a.tids[1]
	tracers := map[string]*tracer{
		"all":    startTracer(t, "all", both, "--json"),
		"pid":    startTracer(t, "pid", sentA, "--json", "-p", strconv.Itoa(a.pid)),
		"tid":    startTracer(t, "tid", sentA, "--json", "-t", strconv.Itoa(tidA)),
		"uid":    startTracer(t, "uid", sentB, "--json", "-u", strconv.Itoa(nobody)),
		"name":   startTracer(t, "name", sentB, "--json", "-n", "opensB"),
		"failed": startTracer(t, "failed", both, "--json", "-x"),
		"flag":   startTracer(t, "flag", both, "--json", "-f", "O_CREAT", "-f", "O_RDWR"),
		"full":   startTracer(t, "full", sentA, "--json", "-F", "-p", strconv.Itoa(a.pid)),
		"cgv2":   startTracer(t, "cgv2", sentB, "--json", "--cgroup", cgV2),
		"text":   startTracer(t, "text", sentB, "-p", strconv.Itoa(bw.pid), "-T", "-U", "-e", "--container"),
	}
	if cgV1 != "" {
		tracers["cgv1"] = startTracer(t, "cgv1", sentB, "--json", "--cgroup", cgV1)
	}
	for name, tr := range tracers {
		select {
		case <-tr.seen:
		case <-tr.finished:
			t.Fatalf("%s: trace open ended early: %s", name, tr.stderr.String())
		case <-time.After(time.Minute):
			t.Fatalf("%s: trace open showed no sentinel open in a minute: %s", name, tr.stderr.String())
		}
	}
	for _, g := range []string{specA.Go, specB.Go} {
		if err := os.WriteFile(g, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resA, resB := a.results(t), bw.results(t)

	type want struct {
		pid int
		openSpecOpen
		openResult
	}
	var wants []want
	for i, r := range resA {
		wants = append(wants, want{a.pid, specA.Opens[i], r})
	}
	for i, r := range resB {
		wants = append(wants, want{bw.pid, specB.Opens[i], r})
	}
	// The expected results themselves, so that a broken workload cannot
	// make the check vacuous.
	counts := map[unix.Errno]int{}
	for _, w := range wants {
		counts[unix.Errno(w.Errno)]++
	}
	if counts[0] == 0 || counts[unix.ENOENT] == 0 || counts[unix.EEXIST] == 0 || counts[unix.EACCES] == 0 {
		t.Fatalf("workload results lack a kind of open: %v", counts)
	}

	selects := map[string]func(w want) bool{
		"all":    func(want) bool { return true },
		"pid":    func(w want) bool { return w.pid == a.pid },
		"tid":    func(w want) bool { return w.TID == tidA },
		"uid":    func(w want) bool { return w.pid == bw.pid },
		"name":   func(w want) bool { return w.pid == bw.pid },
		"failed": func(w want) bool { return w.FD < 0 },
		"flag": func(w want) bool {
			return w.Flags&(unix.O_CREAT|unix.O_ACCMODE) != 0 && (w.Flags&unix.O_CREAT != 0 || w.Flags&unix.O_ACCMODE == unix.O_RDWR)
		},
		"full": func(w want) bool { return w.pid == a.pid },
		"cgv2": func(w want) bool { return w.pid == bw.pid },
		"cgv1": func(w want) bool { return w.pid == bw.pid },
	}
	// The workloads' own opens, less the sentinels and the results files
	// they write at the end.
	ours := func(e openEvent) bool {
		return (e.PID == a.pid || e.PID == bw.pid) && !slices.Contains([]string{specA.Sentinel, specB.Sentinel, a.outPath, bw.outPath}, e.Path)
	}
	for name, tr := range tracers {
		lines, summary := tr.stop(t)
		if !strings.Contains(summary, " 0 lost") {
			t.Errorf("%s: the summary does not say that nothing was lost: %q", name, summary)
		}
		if name == "text" {
			checkTextTrace(t, lines, bw.pid, resB, specB)
			continue
		}
		evs := tr.events(t, lines)
		// Every event passes the filter, whoever made it.
		for _, e := range evs {
			bad := ""
			switch name {
			case "pid", "full":
				bad = cond(e.PID != a.pid, "another process")
			case "tid":
				bad = cond(e.TID != tidA, "another thread")
			case "uid":
				bad = cond(e.UID != nobody, "another user")
			case "name":
				bad = cond(!strings.Contains(e.Comm, "opensB"), "another command")
			case "failed":
				bad = cond(e.FD >= 0 || e.Errno == 0, "a successful open")
			case "flag":
				bad = cond(e.FlagsRaw&unix.O_CREAT == 0 && e.FlagsRaw&unix.O_ACCMODE != unix.O_RDWR, "neither O_CREAT nor O_RDWR")
			case "cgv2", "cgv1":
				bad = cond(e.PID != bw.pid, "a process outside the cgroup")
			}
			if bad != "" {
				t.Errorf("%s: trace shows %s: %+v", name, bad, e)
			}
		}
		// Each expected open exactly once, as the workload saw it.
		got := map[string][]openEvent{}
		for _, e := range evs {
			if ours(e) {
				got[strconv.Itoa(e.PID)+" "+e.Path] = append(got[strconv.Itoa(e.PID)+" "+e.Path], e)
			}
		}
		n := 0
		for _, w := range wants {
			if !selects[name](w) {
				continue
			}
			n++
			key := strconv.Itoa(w.pid) + " " + w.Path
			es := got[key]
			delete(got, key)
			if len(es) != 1 {
				t.Errorf("%s: open %d of %d (%s %s) appears %d times, want once", name, w.Index, w.pid, w.Syscall, w.Path, len(es))
				continue
			}
			e := es[0]
			if e.TID != w.TID || e.FD != w.FD || e.Errno != w.Errno || e.FlagsRaw != w.Flags || e.Syscall != w.Syscall || e.DirFD != w.openResult.DirFD {
				t.Errorf("%s: open of %s: have tid %d fd %d errno %d flags %#o %s dirfd %d, want tid %d fd %d errno %d flags %#o %s dirfd %d",
					name, w.Path, e.TID, e.FD, e.Errno, e.FlagsRaw, e.Syscall, e.DirFD, w.TID, w.FD, w.Errno, w.Flags, w.Syscall, w.openResult.DirFD)
			}
			if (e.Errno == 0) != (e.Error == "") || (e.Errno != 0 && e.Error != unix.ErrnoName(unix.Errno(e.Errno))) {
				t.Errorf("%s: open of %s: error %q for errno %d", name, w.Path, e.Error, e.Errno)
			}
			if e.Time.IsZero() || time.Since(e.Time) > time.Hour || e.UID != map[int]int{a.pid: 0, bw.pid: nobody}[w.pid] {
				t.Errorf("%s: open of %s: time %v uid %d", name, w.Path, e.Time, e.UID)
			}
			if name == "full" {
				wantFull := w.Path
				switch {
				case w.openSpecOpen.DirFD != "":
					wantFull = filepath.Join(w.openSpecOpen.DirFD, w.Path)
				case !filepath.IsAbs(wantFull):
					wantFull = filepath.Join(dirA, w.Path)
				}
				if e.FullPath != wantFull {
					t.Errorf("full: -F gives %q for %q, want %q", e.FullPath, w.Path, wantFull)
				}
			}
		}
		for key, es := range got {
			if name != "tid" || es[0].TID == tidA {
				t.Errorf("%s: trace shows %d opens that were not made: %s", name, len(es), key)
			}
		}
		if n == 0 {
			t.Errorf("%s: no open was expected: the test is broken", name)
		}
		t.Logf("%s: %d events, %d of the workloads' opens checked; %s", name, len(evs), n, summary)
	}
}

func cond(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

// checkTextTrace checks the opensnoop-style columns of B's opens:
// TIME(s) UID PID COMM CONTAINER FD ERR FLAGS PATH.
func checkTextTrace(t *testing.T, lines []string, pid int, res []openResult, spec openSpec) {
	t.Helper()
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "TIME(s) UID PID COMM CONTAINER FD ERR FLAGS PATH" {
		t.Fatalf("text: header %q", lines)
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 9 {
			t.Errorf("text: want 9 columns, have %q", l)
			continue
		}
		rows[f[8]] = f
	}
	for i, r := range res {
		f, ok := rows[spec.Opens[i].Path]
		if !ok {
			t.Errorf("text: no line for %s", spec.Opens[i].Path)
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			t.Errorf("text: TIME(s) %q", f[0])
		}
		wantFlags := strings.Join(strings.Fields(strings.NewReplacer("|", " ").Replace(flagNames(spec.Opens[i].Flags))), "|")
		if f[1] != strconv.Itoa(nobody) || f[2] != strconv.Itoa(pid) || !strings.Contains(f[3], "opensB") ||
			f[5] != strconv.Itoa(r.FD) || f[6] != strconv.Itoa(r.Errno) || f[7] != wantFlags {
			t.Errorf("text: line %q, want uid %d pid %d fd %d err %d flags %s", strings.Join(f, " "), nobody, pid, r.FD, r.Errno, wantFlags)
		}
		if f[4] == "" || f[4] == "?" {
			t.Errorf("text: CONTAINER %q for a running process", f[4])
		}
	}
}

// flagNames names the few flag sets the test uses, as trace open does.
func flagNames(f int) string {
	s := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR"}[f&unix.O_ACCMODE]
	if f&unix.O_CREAT != 0 {
		s += "|O_CREAT"
	}
	return s
}

// TestTraceUnprivileged runs trace open and trace files as nobody: each
// says in one line what is missing and how to get it, and fails; cost,
// which needs no privilege, works, and says which file it may not read.
func TestTraceUnprivileged(t *testing.T) {
	testenv.RequireRoot(t)
	want := "tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8): run it with sudo"
	for _, sub := range []string{"open", "files"} {
		cmd := asNobody(t, "trace", sub, "-d", "1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("trace %s as nobody: %v, want exit 1", sub, err)
		}
		if have := string(out); have != "mihari trace "+sub+": "+want+"\n" {
			t.Errorf("trace %s as nobody says %q, want one line: %q", sub, have, want)
		}
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := asNobody(t, "cost", "/proc/self/status", secret)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "permission denied") ||
		!strings.Contains(string(out), "/proc/self/status") || !strings.Contains(string(out), "1 of 2 files could not be read") {
		t.Errorf("cost as nobody: %v\n%s", err, out)
	}
}

// TestTraceMountsTracefs starts from a machine without tracefs, as a fresh
// one is: trace open must mount it where the kernel expects it and trace.
func TestTraceMountsTracefs(t *testing.T) {
	testenv.RequireRoot(t)
	mounted := func() []string {
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		var dirs []string
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) > 8 && slices.Contains(f, "-") && f[slices.Index(f, "-")+1] == "tracefs" {
				dirs = append(dirs, f[4])
			}
		}
		return dirs
	}
	// Innermost first: one may be mounted on another.
	dirs := mounted()
	slices.Reverse(dirs)
	for _, d := range dirs {
		if err := unix.Unmount(d, 0); err != nil {
			t.Fatalf("unmounting tracefs at %s to start without it: %v", d, err)
		}
	}
	if m := mounted(); len(m) != 0 {
		t.Fatalf("tracefs still mounted at %v", m)
	}
	out, stderr, err := runMihari(t, "trace", "open", "-d", "1", "-p", strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatalf("trace open without tracefs: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(stderr, "events seen in") {
		t.Errorf("no summary line: %q", stderr)
	}
	if m := mounted(); !slices.Contains(m, "/sys/kernel/tracing") {
		t.Errorf("tracefs mounted at %v after trace open, want /sys/kernel/tracing", m)
	}
}
