// Package e2e runs the real mihari binary: against fixture trees (golden
// files), next to the real programs it must be compatible with, and against
// files that hang in the kernel.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// mihariBin is the binary under test, built once by TestMain.
var mihariBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "mihari-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mihariBin = filepath.Join(dir, "mihari")
	// Built as make dist builds it (static, -trimpath), so that the
	// package test's make dist finds every package compiled in the cache.
	build := exec.Command("go", "build", "-trimpath", "-o", mihariBin, "github.com/mihari-dev/mihari/cmd/mihari")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mihari:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the module's root directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// hostFlags points mihari (or node_exporter) at a fixture tree.
func hostFlags(tree, rootfs string) []string {
	return []string{
		"--path.procfs=" + filepath.Join(tree, "proc"),
		"--path.sysfs=" + filepath.Join(tree, "sys"),
		"--path.udev.data=" + filepath.Join(tree, "udev"),
		"--path.rootfs=" + rootfs,
	}
}

// runMihari runs the binary to completion and returns its stdout.
func runMihari(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mihariBin, withStorage(t, mihariBin, args)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// freePort returns a loopback address nobody listens on.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// logBuffer collects a program's output while it runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts a long-running program and waits until url answers.
func startServer(t testing.TB, url string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := startServerLogs(t, url, name, args...)
	return cmd
}

// withStorage gives `mihari serve` a data directory of the test's unless it
// has one: as root the default is /var/lib/mihari, which tests must not
// touch (nor share: an agent holds its directory's lock).
func withStorage(t testing.TB, name string, args []string) []string {
	if name != mihariBin || len(args) == 0 || args[0] != "serve" {
		return args
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--storage.path") {
			return args
		}
	}
	return append(append([]string{}, args...), "--storage.path="+filepath.Join(t.TempDir(), "data"))
}

// startServerLogs is startServer that also returns the program's output.
func startServerLogs(t testing.TB, url string, name string, args ...string) (*exec.Cmd, *logBuffer) {
	t.Helper()
	cmd := exec.Command(name, withStorage(t, name, args)...)
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return cmd, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer at %s: %v\n%s", name, url, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape fetches and parses a metrics endpoint.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return parseText(t, resp.Body)
}

func parseText(t testing.TB, r interface{ Read([]byte) (int, error) }) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// series flattens families into "name{labels}" -> value.
func series(mfs map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[seriesKey(name, m)] = value(m)
		}
	}
	return out
}

func seriesKey(name string, m *dto.Metric) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, lp := range m.GetLabel() {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", lp.GetName(), lp.GetValue())
	}
	b.WriteByte('}')
	return b.String()
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}
