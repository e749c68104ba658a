// Command scrape measures the cost of a scrape of mihari against Debian's
// prometheus-node-exporter on this host, in the same run: both serve the
// same collectors, they are scraped alternately like Prometheus would
// (gzip, text format), and each process's CPU time is read from
// /proc/PID/stat before and after. It also measures the physical floor:
// reading the same files once, with nothing else.
//
//	go run ./bench/scrape -n 2000
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var collectors = []string{"cpu", "stat", "loadavg", "meminfo", "vmstat", "diskstats", "netdev", "filesystem", "pressure", "uname", "time"}

func main() {
	n := flag.Int("n", 2000, "scrapes of each program")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	ne := flag.String("node-exporter", "/usr/bin/prometheus-node-exporter", "node_exporter binary")
	flag.Parse()
	if err := run(*n, *mihari, *ne); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, mihari, ne string) error {
	if mihari == "" {
		dir, err := os.MkdirTemp("", "mihari-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		mihari = filepath.Join(dir, "mihari")
		build := exec.Command("go", "build", "-o", mihari, "./cmd/mihari")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building mihari: %w", err)
		}
	}
	args := []string{"--collector.disable-defaults"}
	for _, c := range collectors {
		args = append(args, "--collector."+c)
	}
	// Same filters for both (Debian patches node_exporter's defaults).
	args = append(args,
		`--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`,
		"--collector.netdev.device-exclude=^$")

	neAddr, miAddr := freeAddr(), freeAddr()
	neCmd, err := start(ne, append(args, "--web.listen-address="+neAddr, "--no-collector.netdev.netlink", "--log.level=error")...)
	if err != nil {
		return err
	}
	defer stop(neCmd)
	miCmd, err := start(mihari, append([]string{"serve", "--web.listen-address=" + miAddr, "--log.level=error"}, args...)...)
	if err != nil {
		return err
	}
	defer stop(miCmd)

	progs := []*prog{
		{name: "node_exporter " + version(ne), url: "http://" + neAddr + "/metrics", pid: neCmd.Process.Pid},
		{name: "mihari", url: "http://" + miAddr + "/metrics", pid: miCmd.Process.Pid},
	}
	for _, p := range progs {
		if err := waitUp(p.url); err != nil {
			return err
		}
		for range 50 { // warm up: caches, descriptors, GC steady state
			if _, err := p.scrape(); err != nil {
				return err
			}
		}
		p.cpu0 = cpuTicks(p.pid)
	}
	for i := range n {
		// Alternate who goes first, so neither always sees a warm cache.
		order := []*prog{progs[i%2], progs[1-i%2]}
		for _, p := range order {
			d, err := p.scrape()
			if err != nil {
				return err
			}
			p.lat = append(p.lat, d)
		}
	}
	for _, p := range progs {
		p.cpu1 = cpuTicks(p.pid)
	}
	floor := physicalFloor(n)

	fmt.Printf("host: %s, %d CPUs, kernel %s; %d scrapes each, alternating, gzip text format\n\n",
		hostname(), runtime.NumCPU(), kernel(), n)
	fmt.Println("| program | CPU per scrape (user+sys) | user | sys | latency p50 | p90 | p99 | series |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, p := range progs {
		u, s := p.cpu1.user-p.cpu0.user, p.cpu1.sys-p.cpu0.sys
		per := func(t float64) string { return ms(time.Duration(t / float64(n) * float64(time.Second))) }
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %d |\n", p.name, per(u+s), per(u), per(s),
			ms(pct(p.lat, 50)), ms(pct(p.lat, 90)), ms(pct(p.lat, 99)), p.series)
	}
	fmt.Printf("| floor: read the same files once | %s | %s | %s | | | | |\n\n",
		ms(floor.user+floor.sys), ms(floor.user), ms(floor.sys))
	ne0, mi0 := progs[0], progs[1]
	neCPU := ne0.cpu1.user + ne0.cpu1.sys - ne0.cpu0.user - ne0.cpu0.sys
	miCPU := mi0.cpu1.user + mi0.cpu1.sys - mi0.cpu0.user - mi0.cpu0.sys
	readCPU, reads := sourceTotals(mi0.url)
	scrapes := float64(n + 50)
	fmt.Printf("mihari's own accounting (mihari_source_*): %.0f reads per scrape costing %s CPU (the physical floor plus timing and bounding each read)\n\n",
		reads/scrapes, ms(time.Duration(readCPU/scrapes*float64(time.Second))))
	fmt.Printf("mihari CPU / node_exporter CPU: %.2f\n", miCPU/neCPU)
	fmt.Printf("mihari CPU / physical floor: %.1f\n", miCPU/float64(n)/(floor.user+floor.sys).Seconds())
	return nil
}

// sourceTotals sums mihari_source_cpu_seconds_total and
// mihari_source_reads_total over all sources.
func sourceTotals(url string) (cpu, reads float64) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "mihari_source_cpu_seconds_total{"):
			cpu += v
		case strings.HasPrefix(line, "mihari_source_reads_total{"):
			reads += v
		}
	}
	return cpu, reads
}

type ticks struct{ user, sys float64 } // seconds

type prog struct {
	name, url  string
	pid        int
	cpu0, cpu1 ticks
	lat        []time.Duration
	series     int
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}

// scrape fetches url as Prometheus does and counts the series.
func (p *prog) scrape() (time.Duration, error) {
	req, _ := http.NewRequest(http.MethodGet, p.url, nil)
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
		return 0, fmt.Errorf("%s: %s", p.url, resp.Status)
	}
	if p.series == 0 {
		var r io.Reader = bytes.NewReader(body)
		if resp.Header.Get("Content-Encoding") == "gzip" {
			if r, err = gzip.NewReader(r); err != nil {
				return 0, err
			}
		}
		text, _ := io.ReadAll(r)
		for line := range strings.SplitSeq(string(text), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				p.series++
			}
		}
	}
	return d, nil
}

// physicalFloor reads, on one locked thread, the files the collectors
// read, n times, and returns the CPU time of one round.
func physicalFloor(n int) struct{ user, sys time.Duration } {
	files := []string{"/proc/stat", "/proc/loadavg", "/proc/meminfo", "/proc/vmstat", "/proc/diskstats",
		"/proc/net/dev", "/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory", "/proc/1/mounts",
		"/sys/devices/system/cpu/isolated"}
	for _, g := range []string{"/sys/devices/system/cpu/cpu[0-9]*/topology/physical_package_id",
		"/sys/devices/system/cpu/cpu[0-9]*/topology/core_id",
		"/sys/devices/system/clocksource/clocksource[0-9]*/*_clocksource",
		"/run/udev/data/b*"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	var mounts []string
	if b, err := os.ReadFile("/proc/1/mounts"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(f[1], "/proc") && !strings.HasPrefix(f[1], "/sys") && !strings.HasPrefix(f[1], "/dev") {
				mounts = append(mounts, f[1])
			}
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]byte, 1<<20)
	u0, s0 := threadCPU()
	for range n {
		for _, f := range files {
			fd, err := unix.Open(f, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			for {
				k, err := unix.Read(fd, buf)
				if k <= 0 || err != nil {
					break
				}
			}
			unix.Close(fd)
		}
		var st unix.Statfs_t
		for _, m := range mounts {
			unix.Statfs(m, &st)
		}
	}
	u1, s1 := threadCPU()
	return struct{ user, sys time.Duration }{(u1 - u0) / time.Duration(n), (s1 - s0) / time.Duration(n)}
}

func threadCPU() (time.Duration, time.Duration) {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// cpuTicks reads a process's user and system time (all threads, living
// and exited) from /proc/PID/stat.
func cpuTicks(pid int) ticks {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ticks{}
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return ticks{u / 100, s / 100}
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func start(bin string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	return cmd, nil
}

func stop(cmd *exec.Cmd) { cmd.Process.Kill(); cmd.Wait() }

func waitUp(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up", url)
}

func version(bin string) string {
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	if f := strings.Fields(string(out)); len(f) > 2 {
		return f[2]
	}
	return ""
}

func hostname() string { h, _ := os.Hostname(); return h }

func kernel() string {
	var u unix.Utsname
	unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}
