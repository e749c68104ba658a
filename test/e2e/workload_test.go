package e2e

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	workloadMu    sync.Mutex
	workloadBuilt = map[string]string{}
)

// workload builds test/workload under name (which becomes the process's
// comm) once per test run, and returns its path.
func workload(t *testing.T, name string) string {
	t.Helper()
	workloadMu.Lock()
	defer workloadMu.Unlock()
	if p, ok := workloadBuilt[name]; ok {
		return p
	}
	p := filepath.Join(filepath.Dir(mihariBin), name)
	out, err := exec.Command("go", "build", "-o", p, "github.com/mihari-dev/mihari/test/workload").CombinedOutput()
	if err != nil {
		t.Fatalf("building workload: %v\n%s", err, out)
	}
	workloadBuilt[name] = p
	return p
}

// startWorkload runs a workload and waits until it has done its work (it
// prints "ready"); it is killed when the test ends.
func startWorkload(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(workload(t, name), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && sc.Text() == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("workload %s did not become ready", name)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("workload %s not ready after 2 minutes", name)
	}
	return cmd
}
