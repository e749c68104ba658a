package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/testenv"
)

// startTopBurner runs a copy of /bin/sh, named after the test so that its comm
// is found in top's output and nowhere else, spinning on one CPU.
func startTopBurner(t *testing.T) (comm string, pid int) {
	t.Helper()
	comm = fmt.Sprintf("mhburn%d", os.Getpid()%10000000)
	path := filepath.Join(t.TempDir(), comm)
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, sh, 0o755); err != nil {
		t.Fatal(err)
	}
	return comm, startTopProcess(t, path, "-c", "while :; do :; done")
}

// startTopProcess starts a program that runs until the test ends.
func startTopProcess(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd.Process.Pid
}

// topFrame is the part of `mihari top --json` the test looks at.
type topFrame struct {
	Time            time.Time `json:"time"`
	IntervalSeconds float64   `json:"interval_seconds"`
	Host            struct {
		CPU    map[string]float64 `json:"cpu"`
		CPUs   int                `json:"cpus"`
		Load1  *float64           `json:"load1"`
		Load5  *float64           `json:"load5"`
		Load15 *float64           `json:"load15"`
		Memory struct {
			Total, Available, Used uint64
		} `json:"memory"`
		Processes int `json:"processes"`
	} `json:"host"`
	Monitoring struct {
		SelfPID      int      `json:"self_pid"`
		SelfCPU      *float64 `json:"self_cpu_percent"`
		Costliest    string   `json:"costliest_source"`
		CostliestCPU *float64 `json:"costliest_cpu_seconds_per_second"`
	} `json:"monitoring"`
	Processes []topProcess `json:"processes"`
}

type topProcess struct {
	PID       int      `json:"pid"`
	User      string   `json:"user"`
	UID       int      `json:"uid"`
	CPU       float64  `json:"cpu_percent"`
	UserCPU   float64  `json:"user_percent"`
	SysCPU    float64  `json:"system_percent"`
	RSS       uint64   `json:"rss_bytes"`
	ReadRate  *float64 `json:"read_bytes_per_second"`
	WriteRate *float64 `json:"write_bytes_per_second"`
	Threads   int      `json:"threads"`
	State     string   `json:"state"`
	Container string   `json:"container"`
	Cgroup    string   `json:"cgroup"`
	Comm      string   `json:"comm"`
}

// One frame of JSON from the live host: the rates are real (two samples
// 500 ms apart) and a process the test started is in it.
func TestTopBatchJSON(t *testing.T) {
	sleeper := startTopProcess(t, "sleep", "30")
	burner, burnerPID := startTopBurner(t)

	start := time.Now()
	out, stderr, err := runMihari(t, "top", "-b", "-n", "1", "--json", "-d", "500ms", "-N", "0")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("one frame took %v, less than the delay: its rates are not over an interval", took)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line of JSON, have:\n%s", out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	for _, k := range []string{"time", "host", "monitoring", "processes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var f topFrame
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}

	if time.Since(f.Time) > time.Minute || f.IntervalSeconds < 0.4 || f.IntervalSeconds > 30 {
		t.Errorf("time %v, interval %vs", f.Time, f.IntervalSeconds)
	}
	h := f.Host
	if h.CPUs < 1 {
		t.Errorf("cpus %d", h.CPUs)
	}
	var sum float64
	for _, mode := range []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"} {
		v, ok := h.CPU[mode]
		if !ok || v < 0 || v > 100 {
			t.Errorf("host.cpu.%s = %v (present: %v)", mode, v, ok)
		}
		sum += v
	}
	if sum < 99 || sum > 101 {
		t.Errorf("host.cpu adds up to %v%%, want 100%%", sum)
	}
	if h.Load1 == nil || h.Load5 == nil || h.Load15 == nil {
		t.Errorf("load averages missing: %s", out)
	}
	if m := h.Memory; m.Total == 0 || m.Available > m.Total || m.Used != m.Total-m.Available {
		t.Errorf("memory %+v", m)
	}
	if h.Processes != len(f.Processes) {
		t.Errorf("host.processes %d, but %d processes listed with -N 0", h.Processes, len(f.Processes))
	}

	mon := f.Monitoring
	if mon.SelfPID <= 0 || mon.SelfCPU == nil || *mon.SelfCPU < 0 || *mon.SelfCPU > float64(100*h.CPUs) {
		t.Errorf("monitoring %+v", mon)
	}
	// Reading every process costs something: the costliest source is
	// one of the per-process files.
	if !strings.HasPrefix(mon.Costliest, "/proc/") || mon.CostliestCPU == nil || *mon.CostliestCPU <= 0 {
		t.Errorf("costliest source %q, %v CPU s/s", mon.Costliest, mon.CostliestCPU)
	}

	byPID := map[int]topProcess{}
	for _, p := range f.Processes {
		byPID[p.PID] = p
		limit := float64(100 * h.CPUs)
		for name, v := range map[string]float64{"cpu": p.CPU, "user": p.UserCPU, "system": p.SysCPU} {
			if v < 0 || v > limit {
				t.Errorf("process %d %s: %s %v%%, want within [0, %v]", p.PID, p.Comm, name, v, limit)
			}
		}
		if d := p.CPU - p.UserCPU - p.SysCPU; d > 0.01 || d < -0.01 {
			t.Errorf("process %d %s: cpu %v is not user %v + system %v", p.PID, p.Comm, p.CPU, p.UserCPU, p.SysCPU)
		}
	}
	s, ok := byPID[sleeper]
	switch {
	case !ok:
		t.Errorf("the test's sleep (pid %d) is not listed", sleeper)
	case s.Comm != "sleep" || s.State != "S" || s.Threads != 1 || s.RSS == 0 || s.UID != os.Getuid() || s.User == "" ||
		s.Cgroup == "" || s.Container == "" || s.CPU != 0:
		t.Errorf("sleep: %+v", s)
	case os.Getuid() == 0 && s.User != "root":
		t.Errorf("sleep runs as %q, want root", s.User)
	case s.ReadRate == nil || s.WriteRate == nil || *s.ReadRate != 0 || *s.WriteRate != 0:
		t.Errorf("sleep's I/O: %v read/s, %v write/s, want 0 and 0", s.ReadRate, s.WriteRate)
	}
	if b, ok := byPID[burnerPID]; !ok || b.Comm != burner || b.CPU <= 0 || b.UserCPU <= 0 {
		t.Errorf("the burner (pid %d): %+v, want it listed using CPU", burnerPID, b)
	}
}

// Batch text: every frame with its header and the limit of rows.
func TestTopBatchText(t *testing.T) {
	out, stderr, err := runMihari(t, "top", "-b", "-n", "2", "-d", "200ms", "-N", "3", "--sort", "mem")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	frames := strings.Split(strings.TrimSuffix(out, "\n"), "\n\nmihari top ")
	if len(frames) != 2 {
		t.Fatalf("want 2 frames, have %d:\n%s", len(frames), out)
	}
	for _, fr := range frames {
		lines := strings.Split(fr, "\n")
		if len(lines) != 4+1+1+3 {
			t.Errorf("want 4 lines of header, a blank, the titles and 3 rows, have:\n%s", fr)
			continue
		}
		if !strings.Contains(lines[0], "sort: mem") || !strings.HasPrefix(lines[1], "cpu: ") ||
			!strings.HasPrefix(lines[2], "load: ") || !strings.HasPrefix(lines[3], "monitoring: mihari ") ||
			!strings.HasPrefix(strings.TrimSpace(lines[5]), "PID USER") {
			t.Errorf("frame:\n%s", fr)
		}
	}
}

func TestTopUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"top"}, 1, "mihari top: stdout is not a terminal; use -b for plain text or --json\n"},
		{[]string{"top", "-b", "--sort", "rss"}, 2, "mihari top: --sort \"rss\": want cpu, sys, mem, io, pid\nRun 'mihari top --help' for usage.\n"},
		{[]string{"top", "-b", "-d", "10ms"}, 2, "mihari top: --delay 10ms: want 100ms or more\nRun 'mihari top --help' for usage.\n"},
		{[]string{"top", "-b", "--path.procfs", "/no/such/dir"}, 2, "mihari top: --path.procfs \"/no/such/dir\": no such file or directory\nRun 'mihari top --help' for usage.\n"},
	} {
		_, stderr, err := runMihari(t, tc.args...)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code || stderr != tc.want {
			t.Errorf("%v: %v, stderr %q; want exit %d and %q", tc.args, err, stderr, tc.code, tc.want)
		}
	}
	out, _, err := runMihari(t, "top", "--help")
	if err != nil || !strings.Contains(out, "Examples:") || !strings.Contains(out, `"costliest_source"`) || !strings.Contains(out, "--path.procfs") {
		t.Errorf("top --help: %v\n%s", err, out)
	}
}

// topTmux is mihari top on a 160x40 terminal of a private tmux server.
type topTmux struct {
	t    *testing.T
	tmux string
	// sock is the server's socket, in the test's temporary directory.
	sock string
}

func (s *topTmux) run(args ...string) (string, error) {
	cmd := exec.Command(s.tmux, append([]string{"-S", s.sock}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), err
}

func (s *topTmux) keys(keys ...string) {
	s.t.Helper()
	if _, err := s.run(append([]string{"send-keys", "-t", "top"}, keys...)...); err != nil {
		s.t.Fatal(err)
	}
}

// waitFor polls the screen until ok accepts it, and returns it.
func (s *topTmux) waitFor(what string, timeout time.Duration, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var screen string
	for {
		var err error
		screen, err = s.run("capture-pane", "-p", "-t", "top")
		if err == nil && ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within %v (%v); the screen:\n%s", what, timeout, err, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// topScreenRows splits the process table of a screen into fields.
func topScreenRows(screen string) [][]string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "PID USER") {
			var rows [][]string
			for _, r := range lines[i+1:] {
				f := strings.Fields(r)
				if len(f) < 12 || f[0] == "q" {
					break
				}
				rows = append(rows, f)
			}
			return rows
		}
	}
	return nil
}

// parseTopBytes reads top's byte counts: 512, 4.0K, 12M.
func parseTopBytes(s string) float64 {
	mult := 1.0
	if i := strings.IndexAny(s, "KMGTPE"); i > 0 {
		mult = float64(uint64(1) << (10 * (strings.IndexByte("KMGTPE", s[i]) + 1)))
		s = s[:i]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return v * mult
}

// The live view under tmux: the header, a CPU burner on top, sorting by
// memory, filtering by name, and quitting.
func TestTopInteractive(t *testing.T) {
	tmux := testenv.RequireProgram(t, "tmux", "tmux")
	burner, _ := startTopBurner(t)

	dir := t.TempDir()
	conf := filepath.Join(dir, "tmux.conf")
	// The pane stays after mihari exits, so that its exit can be seen;
	// no status line, so that mihari has the whole 160x40.
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &topTmux{t: t, tmux: tmux, sock: filepath.Join(dir, "tmux.sock")}
	cmd := exec.Command(tmux, "-S", s.sock, "-f", conf, "new-session", "-d", "-s", "top", "-x", "160", "-y", "40",
		fmt.Sprintf("'%s' top -d 500ms", mihariBin))
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { s.run("kill-server") })

	// The burner may need a frame or two to get ahead of whatever else
	// the machine runs.
	screen := s.waitFor("header and the burner at the top using more than 50% CPU", time.Minute, func(screen string) bool {
		rows := topScreenRows(screen)
		if len(rows) == 0 || rows[0][len(rows[0])-1] != burner {
			return false
		}
		cpu, err := strconv.ParseFloat(rows[0][2], 64)
		return err == nil && cpu > 50
	})
	for _, want := range []string{"% user  ", "% system  ", "% iowait  ", "% steal  ", "\nload: ", "\nmonitoring: mihari ", "% CPU; costliest read /proc/", " ms/s (", "sort: cpu"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	if !strings.Contains(screen, "q quit  c cpu  s sys  m mem  i io  p pid  / filter") {
		t.Errorf("no footer with the keys:\n%s", screen)
	}

	s.keys("m")
	s.waitFor("rows sorted by RSS", 20*time.Second, func(screen string) bool {
		rows := topScreenRows(screen)
		if !strings.Contains(screen, "sort: mem") || len(rows) < 2 {
			return false
		}
		for i := 1; i < len(rows); i++ {
			if parseTopBytes(rows[i][5]) > parseTopBytes(rows[i-1][5]) {
				return false
			}
		}
		return true
	})

	s.keys("/")
	s.keys("-l", burner)
	s.keys("Enter")
	s.waitFor("only the burner after filtering by its name", 20*time.Second, func(screen string) bool {
		rows := topScreenRows(screen)
		return strings.Contains(screen, "filter: "+burner) && len(rows) == 1 && rows[0][len(rows[0])-1] == burner
	})

	s.keys("q")
	s.waitFor("exit after q", 20*time.Second, func(string) bool {
		status, err := s.exitStatus()
		if err != nil {
			t.Fatal(err)
		}
		return status == 0
	})
}

// exitStatus is the status mihari exited with, or -1 while it runs.
func (s *topTmux) exitStatus() (int, error) {
	out, err := s.run("display-message", "-p", "-t", "top", "#{pane_dead} #{pane_pid} #{pane_dead_status}")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(out)
	switch {
	case len(f) < 2 || f[0] != "1":
		return -1, nil
	case len(f) == 3:
		return strconv.Atoi(f[2])
	}
	// tmux sometimes leaves an exited pane's process unreaped, a zombie
	// whose status the kernel still shows: the last field of its stat.
	b, err := os.ReadFile("/proc/" + f[1] + "/stat")
	if err != nil {
		return -1, nil // reaped since: tmux has its status now
	}
	stat := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if stat[0] != "Z" {
		return -1, nil
	}
	ws, err := strconv.Atoi(stat[len(stat)-1])
	if err != nil {
		return 0, fmt.Errorf("exit code in /proc/%s/stat: %w", f[1], err)
	}
	if ws&0x7f != 0 {
		return 0, fmt.Errorf("mihari top was killed by signal %d", ws&0x7f)
	}
	return ws >> 8, nil
}
