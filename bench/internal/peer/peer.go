// Package peer runs programs side by side for benchmarks: start them, scrape
// them the way Prometheus does, and read their CPU time.
package peer

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Prog is a program under test.
type Prog struct {
	Name, URL string
	Cmd       *exec.Cmd
	CPU0      CPU
	Latencies []time.Duration
	Series    int
}

// CPU is a process's user and system time in seconds.
type CPU struct{ User, System float64 }

// Total is user plus system.
func (c CPU) Total() float64 { return c.User + c.System }

// Sub returns c minus o.
func (c CPU) Sub(o CPU) CPU { return CPU{c.User - o.User, c.System - o.System} }

// Start runs bin with args, serving metrics at url.
func Start(name, url, bin string, args ...string) (*Prog, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &Prog{Name: name, URL: url, Cmd: cmd}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("%s did not come up at %s", name, url)
}

// Stop kills the program.
func (p *Prog) Stop() { p.Cmd.Process.Kill(); p.Cmd.Wait() }

// CPUNow reads the program's CPU time (all threads, living and exited)
// from /proc/PID/stat.
func (p *Prog) CPUNow() CPU { return ProcessCPU(p.Cmd.Process.Pid) }

// ProcessCPU reads a process's CPU time from /proc/PID/stat.
func ProcessCPU(pid int) CPU {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return CPU{u / 100, s / 100}
}

var client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DisableCompression: true}}

// Scrape fetches the metrics as Prometheus does (text format, gzip) and
// records the latency; the first scrape also counts the series.
func (p *Prog) Scrape() (time.Duration, error) {
	req, _ := http.NewRequest(http.MethodGet, p.URL, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", p.URL, resp.Status)
	}
	p.Latencies = append(p.Latencies, d)
	if p.Series == 0 {
		text, err := Text(resp.Header, body)
		if err != nil {
			return 0, err
		}
		for line := range strings.SplitSeq(text, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				p.Series++
			}
		}
	}
	return d, nil
}

// Text returns a response body as text, gunzipped if it was compressed.
func Text(h http.Header, body []byte) (string, error) {
	var r io.Reader = bytes.NewReader(body)
	if h.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return "", err
		}
		r = gz
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// Get fetches url's metrics as text.
func Get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// Sum adds the values of every series of family in metrics text.
func Sum(text, family string) float64 {
	var total float64
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(line, family+"{") && !strings.HasPrefix(line, family+" ") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			total += v
		}
	}
	return total
}

// Percentile returns the p-th percentile of d.
func Percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// Median is the median of v: the middle value, or the mean of the two
// middle ones; 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// MedianOf is the median of f over xs.
func MedianOf[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return Median(v)
}

// MS formats a duration in milliseconds.
func MS(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// FreeAddr returns a loopback address nobody listens on.
func FreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Mihari returns bin, or when it is empty builds ./cmd/mihari into a
// temporary directory; call the returned function to remove it.
func Mihari(bin string) (string, func(), error) {
	if bin != "" {
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "mihari-bench-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "mihari")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mihari")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building mihari: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// Version returns what bin --version says its version is.
func Version(bin string) string {
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	if f := strings.Fields(string(out)); len(f) > 2 {
		return f[2]
	}
	return ""
}
