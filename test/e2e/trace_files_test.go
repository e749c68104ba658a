package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/test/fusefs"
	"github.com/mihari-dev/mihari/test/testenv"
)

// filesResult is mihari trace files --json.
type filesResult struct {
	Duration float64 `json:"duration_seconds"`
	Files    []struct {
		Path    string  `json:"path"`
		Dev     string  `json:"dev"`
		Inode   uint64  `json:"inode"`
		Opens   uint64  `json:"opens"`
		Reads   uint64  `json:"reads"`
		Bytes   uint64  `json:"bytes"`
		Seconds float64 `json:"seconds"`
		MaxRead float64 `json:"max_read_seconds"`
		Procs   []struct {
			PID     int     `json:"pid"`
			Comm    string  `json:"comm"`
			Opens   uint64  `json:"opens"`
			Reads   uint64  `json:"reads"`
			Bytes   uint64  `json:"bytes"`
			Seconds float64 `json:"seconds"`
			MaxRead float64 `json:"max_read_seconds"`
		} `json:"processes"`
	} `json:"files"`
	Lost struct {
		ReadsNotTimed uint64 `json:"reads_not_timed"`
		NotCounted    uint64 `json:"not_counted"`
	} `json:"lost"`
}

// TestTraceFiles is the incident's question asked of trace files: a
// process reads, over and over, the 2,071-line blkio file from a FUSE
// mount that takes 200 ms to answer the first read of each open, and two
// fast files from a local disk. Traced by pid (as JSON) and by name (as
// text) at once, the slow file must come first, with a longest read close
// to the delay and a total close to the delay times its opens, and the
// fast files after it, far cheaper.
func TestTraceFiles(t *testing.T) {
	testenv.RequireRoot(t)
	const delay = 200 * time.Millisecond
	big, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata/cgroups/blkio.throttle.io_serviced.2071"))
	if err != nil {
		t.Fatal(err)
	}
	mnt := t.TempDir()
	slowFile := fusefs.NewFile(string(big))
	slowFile.SetDelay(delay)
	fs, err := fusefs.Mount(mnt, map[string]*fusefs.File{"blkio.throttle.io_serviced": slowFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Unmount() })
	slow := filepath.Join(mnt, "blkio.throttle.io_serviced")

	dir := t.TempDir()
	fast1, fast2 := filepath.Join(dir, "small"), filepath.Join(dir, "large")
	if err := os.WriteFile(fast1, []byte("one line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fast2, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	const name = "mihari-reader"
	w := startWorkload(t, name, "-then", "read", "-read-files", strings.Join([]string{slow, fast1, fast2}, ","))
	pid := w.Process.Pid

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type run struct {
		out []byte
		err error
	}
	trace := func(args ...string) chan run {
		ch := make(chan run, 1)
		go func() {
			cmd := exec.CommandContext(ctx, mihariBin, append([]string{"trace", "files", "-d", "3"}, args...)...)
			var stderr logBuffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Logf("mihari trace files %v: %s", args, stderr.String())
			}
			ch <- run{out, err}
		}()
		return ch
	}
	jsonRun, textRun := trace("-p", strconv.Itoa(pid), "--json"), trace("-n", name, "--top", "3")
	jr, tr := <-jsonRun, <-textRun
	if jr.err != nil || tr.err != nil {
		t.Fatalf("trace files failed: %v, %v", jr.err, tr.err)
	}

	var res filesResult
	if err := json.Unmarshal(jr.out, &res); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, jr.out)
	}
	t.Logf("--json: %s", jr.out)
	if len(res.Files) < 3 {
		t.Fatalf("want at least the 3 files the workload reads, have %d", len(res.Files))
	}
	top := res.Files[0]
	if top.Path != slow {
		t.Fatalf("costliest file is %q, want the slow %q", top.Path, slow)
	}
	// The read in progress when the trace starts or ends is not counted,
	// and the trace may start or end between an open and its read: the
	// delayed reads are the opens, give or take one.
	if top.MaxRead < delay.Seconds() || top.MaxRead > delay.Seconds()+0.1 {
		t.Errorf("longest read of the slow file %.3fs, want %v to %v", top.MaxRead, delay, delay+100*time.Millisecond)
	}
	if top.Opens < 3 {
		t.Errorf("slow file opened %d times in 3s, want at least 3", top.Opens)
	}
	lo, hi := delay.Seconds()*float64(top.Opens-1), (delay.Seconds()+0.05)*float64(top.Opens+1)
	if top.Seconds < lo || top.Seconds > hi {
		t.Errorf("slow file: %.3fs in reads over %d opens, want %.3f to %.3f", top.Seconds, top.Opens, lo, hi)
	}
	if top.Bytes == 0 || top.Reads < top.Opens {
		t.Errorf("slow file: %d reads and %d bytes for %d opens", top.Reads, top.Bytes, top.Opens)
	}
	if len(top.Procs) != 1 || top.Procs[0].PID != pid || top.Procs[0].Comm != name {
		t.Errorf("slow file read by %+v, want only %s[%d]", top.Procs, name, pid)
	}
	var st unix.Stat_t
	if err := unix.Stat(slow, &st); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)); top.Dev != want || top.Inode != st.Ino {
		t.Errorf("slow file: dev %s inode %d, want %s inode %d", top.Dev, top.Inode, want, st.Ino)
	}
	for _, f := range res.Files[1:] {
		if f.Path != fast1 && f.Path != fast2 {
			// The workload's own startup files, if the trace caught them.
			continue
		}
		if f.Seconds >= top.Seconds/10 || f.MaxRead >= delay.Seconds()/4 || f.Opens+1 < top.Opens {
			t.Errorf("fast file %s: %.3fs (longest %.3fs) over %d opens, against the slow file's %.3fs", f.Path, f.Seconds, f.MaxRead, f.Opens, top.Seconds)
		}
	}
	if res.Lost.ReadsNotTimed != 0 || res.Lost.NotCounted != 0 {
		t.Errorf("lost: %+v", res.Lost)
	}

	// The text table: the slow file on the first row, the columns filled.
	lines := strings.Split(strings.TrimSpace(string(tr.out)), "\n")
	t.Logf("text:\n%s", tr.out)
	if len(lines) < 2 || strings.Join(strings.Fields(lines[0]), " ") != "TIME MAX READS BYTES OPENS PROCESSES PATH" {
		t.Fatalf("text output:\n%s", tr.out)
	}
	if f := strings.Fields(lines[1]); f[len(f)-1] != slow || !strings.Contains(lines[1], name+"["+strconv.Itoa(pid)+"]") {
		t.Errorf("first row %q, want the slow file read by %s[%d]", lines[1], name, pid)
	}
	if len(lines) > 4 {
		t.Errorf("--top 3 printed %d rows", len(lines)-1)
	}
}
