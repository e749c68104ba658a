package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/test/fusefs"
	"github.com/mihari-dev/mihari/test/testenv"
)

// costResult is mihari cost --json.
type costResult struct {
	Files []struct {
		Path   string  `json:"path"`
		Status string  `json:"status"`
		Error  string  `json:"error"`
		Wall   float64 `json:"wall_seconds"`
		User   float64 `json:"user_seconds"`
		System float64 `json:"system_seconds"`
		Bytes  int64   `json:"bytes"`
		Lines  int64   `json:"lines"`
	} `json:"files"`
}

// runCost runs mihari cost with stdin and returns its output and exit code.
func runCost(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(mihariBin, append([]string{"cost"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb logBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestCost reads fixture files whose sizes and lines are known, a FUSE
// file that takes a second per read and one that hangs, through the
// binary: the numbers are exact, the hung file is reported after the
// timeout without holding up the run, the slow one is slowest of the
// finished, and the exit status is 0 (hung is a finding, not an error).
func TestCost(t *testing.T) {
	testenv.RequireRoot(t)
	root := repoRoot(t)
	blkio := filepath.Join(root, "testdata/cgroups/blkio.throttle.io_serviced.2071")
	stat := filepath.Join(root, "testdata/hosts/big/proc/stat")
	mnt := t.TempDir()
	hung, slow := fusefs.NewFile("never\n"), fusefs.NewFile("one\ntwo\nthree")
	hung.Hang()
	slow.SetDelay(time.Second)
	fs, err := fusefs.Mount(mnt, map[string]*fusefs.File{"hung": hung, "slow": slow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Unmount() })

	start := time.Now()
	out, stderr, code := runCost(t, "", "--json", "--timeout", "2s",
		filepath.Join(mnt, "hung"), blkio, filepath.Join(mnt, "slow"), stat)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, stderr)
	}
	var res costResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	type want struct {
		path          string
		status        string
		bytes, lines  int64
		minWall, maxW float64
	}
	// Slowest first: the hung file at the timeout, then the slow one.
	wants := []want{
		{filepath.Join(mnt, "hung"), "hung", 0, 0, 2, 2},
		{filepath.Join(mnt, "slow"), "ok", 13, 3, 1, 1.9},
		{blkio, "ok", 43340, 2071, 0, 0.5},
		{stat, "ok", 14435, 136, 0, 0.5},
	}
	if len(res.Files) != len(wants) {
		t.Fatalf("%d results, want %d", len(res.Files), len(wants))
	}
	for i, w := range wants[:2] {
		f := res.Files[i]
		if f.Path != w.path || f.Status != w.status || f.Bytes != w.bytes || f.Lines != w.lines || f.Wall < w.minWall || f.Wall > w.maxW {
			t.Errorf("result %d: %+v, want %s %s %d bytes %d lines, wall %.1f to %.1fs", i, f, w.path, w.status, w.bytes, w.lines, w.minWall, w.maxW)
		}
	}
	// The two fixtures, in whichever order their timings put them.
	for _, w := range wants[2:] {
		found := false
		for _, f := range res.Files[2:] {
			if f.Path != w.path {
				continue
			}
			found = true
			if f.Status != "ok" || f.Bytes != w.bytes || f.Lines != w.lines || f.Wall > w.maxW || f.Wall <= 0 || f.User+f.System > f.Wall+0.01 {
				t.Errorf("%s: %+v, want ok, %d bytes, %d lines", w.path, f, w.bytes, w.lines)
			}
		}
		if !found {
			t.Errorf("no result for %s", w.path)
		}
	}
	// The hung read cost the timeout, not more: the run went on.
	if took > 2*time.Second+time.Second+5*time.Second {
		t.Errorf("the run took %v with a 2s timeout and a 1s file", took)
	}

	// The text table says the same.
	out, _, code = runCost(t, "", "--timeout", "1s", filepath.Join(mnt, "hung"), blkio)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "WALL USER SYS BYTES LINES STATUS PATH" {
		t.Fatalf("exit %d, text output:\n%s", code, out)
	}
	if f := strings.Fields(lines[1]); f[0] != ">1.00s" || f[5] != "hung" || f[6] != filepath.Join(mnt, "hung") {
		t.Errorf("hung row %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[3] != "42.3KiB" || f[4] != "2071" || f[5] != "ok" || f[6] != blkio {
		t.Errorf("blkio row %q", lines[2])
	}
}

// TestCostInputs feeds cost its paths the other ways — globs, stdin and
// the JSON of trace open — and checks the exit status of real errors.
func TestCostInputs(t *testing.T) {
	root := repoRoot(t)
	proc := filepath.Join(root, "testdata/hosts/big/proc")

	// A glob, quoted so that mihari expands it.
	out, stderr, code := runCost(t, "", "--json", filepath.Join(proc, "load*"), filepath.Join(proc, "meminfo"))
	if code != 0 {
		t.Fatalf("glob: exit %d: %s", code, stderr)
	}
	var res costResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, f := range res.Files {
		got[filepath.Base(f.Path)] = f.Lines
	}
	if len(got) != 2 || got["loadavg"] != 1 || got["meminfo"] != 57 {
		t.Errorf("glob: lines by file %v, want loadavg 1, meminfo 57", got)
	}

	// Paths on stdin, one a line, with a blank line and a duplicate.
	stdin := filepath.Join(proc, "stat") + "\n\n" + filepath.Join(proc, "loadavg") + "\n" + filepath.Join(proc, "stat") + "\n"
	out, stderr, code = runCost(t, stdin, "--json")
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Files) != 2 {
		t.Errorf("stdin: exit %d, %d results (%v): %s%s", code, len(res.Files), err, out, stderr)
	}

	// --from trace open's JSON: successful opens only, full_path first;
	// a relative path without one cannot be found again and is left out.
	opens := strings.Join([]string{
		`{"pid":1,"comm":"kubelet","fd":3,"errno":0,"path":"loadavg","full_path":"` + filepath.Join(proc, "loadavg") + `"}`,
		`{"pid":1,"comm":"kubelet","fd":-1,"errno":2,"path":"` + filepath.Join(proc, "missing") + `"}`,
		`{"pid":1,"comm":"kubelet","fd":4,"errno":0,"path":"` + filepath.Join(proc, "meminfo") + `"}`,
		`{"pid":1,"comm":"kubelet","fd":5,"errno":0,"path":"relative/only"}`,
	}, "\n")
	from := filepath.Join(t.TempDir(), "opens.json")
	if err := os.WriteFile(from, []byte(opens), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = runCost(t, "", "--json", "--from", from)
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Files) != 2 {
		t.Errorf("--from: exit %d, %d results (%v): %s%s", code, len(res.Files), err, out, stderr)
	}
	if !strings.Contains(stderr, "left out 1 relative paths (trace with -F to resolve them)") {
		t.Errorf("--from: stderr %q does not say that a relative path was left out", stderr)
	}

	// Real errors: a missing file (exit 1, the others still measured), a
	// pattern that matches nothing, nothing to measure and a bad flag
	// (exit 2).
	out, stderr, code = runCost(t, "", "--json", filepath.Join(proc, "nonexistent"), filepath.Join(proc, "loadavg"), filepath.Join(proc, "nothing*"))
	if err := json.Unmarshal([]byte(out), &res); code != 1 || err != nil || len(res.Files) != 3 {
		t.Errorf("missing file: exit %d, %d results (%v): %s", code, len(res.Files), err, out)
	}
	if !strings.Contains(stderr, "2 of 3 files could not be read") {
		t.Errorf("missing file: stderr %q", stderr)
	}
	errs := map[string]string{}
	for _, f := range res.Files {
		errs[filepath.Base(f.Path)] = f.Status + " " + f.Error
	}
	if errs["nonexistent"] != "error no such file or directory" || errs["nothing*"] != "error no file matches" || errs["loadavg"] != "ok " {
		t.Errorf("missing file: statuses %q", errs)
	}
	if _, stderr, code = runCost(t, "", filepath.Join(proc, "loadavg"), "--timeout", "0s"); code != 2 || !strings.Contains(stderr, "--timeout") {
		t.Errorf("--timeout 0s: exit %d: %s", code, stderr)
	}
	if _, stderr, code = runCost(t, "", "--from", filepath.Join(proc, "loadavg")); code != 1 || !strings.Contains(stderr, "line 1") {
		t.Errorf("--from a file that is not trace open's JSON: exit %d: %s", code, stderr)
	}
}
