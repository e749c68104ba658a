package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mihari-dev/mihari/test/testenv"
)

// asNobody returns a command that runs a copy of mihari as the user
// nobody; the copy is where nobody can reach it (t.TempDir's parents are
// not).
func asNobody(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	dir, err := os.MkdirTemp("", "mihari-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "mihari")
	b, err := os.ReadFile(mihariBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// TestProcessesAsUnprivilegedUser reads the live /proc as nobody: other
// users' /proc/PID/io (and fd, limits) are denied, which must make partial
// reads, counted, and never a failed collection.
func TestProcessesAsUnprivilegedUser(t *testing.T) {
	testenv.RequireRoot(t)
	cmd := asNobody(t, "metrics", "--collector.disable-defaults", "--collector.process")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("mihari metrics as nobody: %v\n%s", err, errb.String())
	}
	mfs := parseText(t, &out)
	if v := gaugeValue(t, mfs, "node_scrape_collector_success", map[string]string{"collector": "process"}); v != 1 {
		t.Errorf("process collector success %v as nobody, want 1", v)
	}
	if v := gaugeValue(t, mfs, "namedprocess_scrape_partial_errors", nil); v < 1 {
		t.Errorf("namedprocess_scrape_partial_errors = %v, want the processes whose io nobody may not read", v)
	}
	if v := gaugeValue(t, mfs, "mihari_processes", nil); v < 2 {
		t.Errorf("mihari_processes = %v", v)
	}
	if strings.Contains(errb.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", errb.String())
	}
}
