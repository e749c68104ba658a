package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func fixture(t *testing.T, tree string) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "hosts", tree)
	return []string{
		"--path.procfs=" + filepath.Join(dir, "proc"),
		"--path.sysfs=" + filepath.Join(dir, "sys"),
		"--path.udev.data=" + filepath.Join(dir, "udev"),
		"--path.rootfs=" + t.TempDir(),
	}
}

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, IO{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--no-such-flag"}, "mihari serve: unknown flag: --no-such-flag\nRun 'mihari serve --help' for usage.\n"},
		{[]string{"bogus"}, `mihari: unknown command "bogus" for "mihari"` + "\nRun 'mihari --help' for usage.\n"},
		{[]string{"metrics", "--path.procfs=/no/such/dir"}, "mihari metrics: --path.procfs \"/no/such/dir\": no such file or directory\nRun 'mihari metrics --help' for usage.\n"},
		{[]string{"metrics", "--log.level=loud"}, "mihari metrics: --log.level \"loud\": want debug, info, warn or error\nRun 'mihari metrics --help' for usage.\n"},
		{[]string{"metrics", "--source.timeout.override=nonsense"}, "want PATTERN=DURATION"},
		{[]string{"metrics", "--collector.vmstat.fields=("}, "--collector.vmstat.fields \"(\""},
		{[]string{"metrics", "--collector.cpu", "--no-collector.cpu"}, "both --collector.cpu and --no-collector.cpu given"},
		{[]string{"metrics", "--collector.netdev.device-exclude=a", "--collector.netdev.device-include=b"}, "mutually exclusive"},
		// Mistakes in trace's options are found before any privilege is
		// needed.
		{[]string{"trace", "open", "-f", "O_BOGUS"}, "mihari trace open: open flag \"O_BOGUS\": want one of O_RDONLY, O_WRONLY, O_RDWR, O_CREAT"},
		{[]string{"trace", "open", "--buffer-size", "1000"}, "mihari trace open: buffer size 1000: want a power of two of at least 4096 bytes"},
		{[]string{"trace", "open", "--buffer-size", "lots"}, "want a size such as 16MiB"},
		{[]string{"trace", "open", "-n", "a-name-too-long-for-comm"}, "the kernel keeps 15 bytes of a command name"},
		{[]string{"trace", "open", "-d", "-1"}, "want a positive duration"},
		{[]string{"trace", "open", "--cgroup", "/no/such/cgroup"}, "cgroup /no/such/cgroup: no such cgroup; give a directory under a cgroup mount or a path as /proc/PID/cgroup shows it"},
		{[]string{"trace", "files", "--max-files", "0"}, "--max-files 0: want 1 or more"},
		{[]string{"trace", "files", "--top", "-1"}, "--top -1: want 0 (all) or more"},
		{[]string{"cost", "--timeout", "0s", "/proc/loadavg"}, "--timeout 0s: want more than 0"},
		{[]string{"cost", "--max-bytes", "0", "/proc/loadavg"}, "want a size such as 16MiB"},
	} {
		code, _, stderr := run(tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: stderr %q, want it to contain %q", tc.args, stderr, tc.want)
		}
	}
}

func TestServePortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	code, _, stderr := run(append([]string{"serve", "--web.listen-address=" + l.Addr().String(), "--log.level=error", "--storage.path=" + filepath.Join(t.TempDir(), "data")}, fixture(t, "vm")...)...)
	want := "mihari serve: cannot listen on " + l.Addr().String() + ": address already in use; is another mihari running? pick another with --web.listen-address\n"
	if code != 1 || stderr != want {
		t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}

func TestMetricsText(t *testing.T) {
	code, out, stderr := run(append([]string{"metrics", "--collector.disable-defaults", "--collector.loadavg"}, fixture(t, "vm")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"# TYPE node_load1 gauge\n",
		`node_scrape_collector_success{collector="loadavg"} 1` + "\n",
		`mihari_source_reads_total{source="/proc/loadavg"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, `collector="cpu"`) {
		t.Error("cpu collector ran despite --collector.disable-defaults")
	}
}

func TestMetricsJSON(t *testing.T) {
	code, out, stderr := run(append([]string{"metrics", "--json", "--collector.disable-defaults", "--collector.cpu"}, fixture(t, "vm")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var fams []jsonFamily
	if err := json.Unmarshal([]byte(out), &fams); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	byName := map[string]jsonFamily{}
	for _, f := range fams {
		byName[f.Name] = f
	}
	cpu := byName["node_cpu_seconds_total"]
	if cpu.Type != "counter" || len(cpu.Metrics) == 0 {
		t.Fatalf("node_cpu_seconds_total: %+v", cpu)
	}
	m := cpu.Metrics[0]
	if m.Labels["cpu"] == "" || m.Labels["mode"] == "" {
		t.Errorf("labels %v, want cpu and mode", m.Labels)
	}
	if _, ok := m.Value.(float64); !ok {
		t.Errorf("value %#v is not a number", m.Value)
	}
	if gc := byName["go_gc_duration_seconds"]; gc.Type != "summary" || gc.Metrics[0].Count == nil || len(gc.Metrics[0].Quantiles) == 0 {
		t.Errorf("go_gc_duration_seconds: %+v", gc)
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run("version", "--json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || v["goVersion"] == "" {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_mihari",
		"zsh":  "#compdef mihari",
		"fish": "complete -c mihari",
	} {
		code, out, stderr := run("completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, %s, output lacks %q", shell, code, stderr, want)
		}
	}
}

// Every command teaches by example.
func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range [][]string{{}, {"serve"}, {"metrics"}, {"top"}, {"version"}, {"rules"}, {"rules", "check"}, {"rules", "test"}, {"rules", "defaults"}, {"query"}, {"trace"}, {"trace", "open"}, {"trace", "files"}, {"cost"}} {
		code, out, _ := run(append(cmd, "--help")...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("mihari %v --help: exit %d, no Examples section", cmd, code)
		}
	}
	_, out, _ := run("serve", "--help")
	for _, flag := range []string{"--collector.cpu", "--path.procfs", "--source.timeout", "--web.config.file", "--web.listen-address", "--log.format"} {
		if !strings.Contains(out, flag) {
			t.Errorf("serve --help does not mention %s", flag)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 17, 40, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                  now,
		"-15m":                 now.Add(-15 * time.Minute),
		"+1h":                  now.Add(time.Hour),
		"1795630779.211":       time.UnixMilli(1795630779211),
		"1795630779":           time.Unix(1795630779, 0),
		"2026-11-25T17:40:00Z": now,
	} {
		got, err := parseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "-1x", "2026-13-01T00:00:00Z"} {
		if _, err := parseTime(in, now); err == nil {
			t.Errorf("parseTime(%q): no error", in)
		}
	}
}

// mihari rules exits as promtool does: 0 when every file is good, 1 when
// one fails; a file that does not exist is a mistake on the command line,
// which promtool refuses too, and like every usage error in mihari exits 2.
func TestRulesExitCodes(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	td := filepath.Join(filepath.Dir(file), "..", "rules", "testdata")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"rules", "check", "defaults", filepath.Join(td, "check", "good.yml")}, 0},
		{[]string{"rules", "check", filepath.Join(td, "check", "bad_expr.yml")}, 1},
		{[]string{"rules", "check", filepath.Join(td, "check", "nosuch.yml")}, 2},
		{[]string{"rules", "test", filepath.Join(td, "unit", "pass_test.yml")}, 0},
		{[]string{"rules", "test", filepath.Join(td, "unit", "fail_test.yml")}, 1},
		{[]string{"rules", "check"}, 2},
	} {
		if code, _, stderr := run(tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d; stderr %q", tc.args[:2], code, tc.code, stderr)
		}
	}
}
