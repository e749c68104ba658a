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
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/bench/internal/peer"
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
	mihari, cleanup, err := peer.Mihari(mihari)
	if err != nil {
		return err
	}
	defer cleanup()
	args := []string{"--collector.disable-defaults"}
	for _, c := range collectors {
		args = append(args, "--collector."+c)
	}
	// Same filters for both (Debian patches node_exporter's defaults).
	args = append(args,
		`--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`,
		"--collector.netdev.device-exclude=^$")

	neAddr, miAddr := peer.FreeAddr(), peer.FreeAddr()
	neProg, err := peer.Start("node_exporter "+peer.Version(ne), "http://"+neAddr+"/metrics", ne,
		append(args, "--web.listen-address="+neAddr, "--no-collector.netdev.netlink", "--log.level=error")...)
	if err != nil {
		return err
	}
	defer neProg.Stop()
	data, err := os.MkdirTemp("", "mihari-bench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	// The agent as it runs by default, store and rules included (they work
	// every 15 s, on their own schedule).
	miProg, err := peer.Start("mihari", "http://"+miAddr+"/metrics", mihari,
		append([]string{"serve", "--web.listen-address=" + miAddr, "--log.level=error", "--storage.path=" + data}, args...)...)
	if err != nil {
		return err
	}
	defer miProg.Stop()

	progs := []*peer.Prog{neProg, miProg}
	const warmup = 50 // caches, descriptors, GC steady state
	for _, p := range progs {
		for range warmup {
			if _, err := p.Scrape(); err != nil {
				return err
			}
		}
		p.Latencies = nil
		p.CPU0 = p.CPUNow()
	}
	for i := range n {
		// Alternate who goes first, so neither always sees a warm cache.
		for _, p := range []*peer.Prog{progs[i%2], progs[1-i%2]} {
			if _, err := p.Scrape(); err != nil {
				return err
			}
		}
	}
	cpu := make([]peer.CPU, len(progs))
	for i, p := range progs {
		cpu[i] = p.CPUNow().Sub(p.CPU0)
	}
	floorUser, floorSys := physicalFloor(n)

	fmt.Printf("host: %s, %d CPUs, kernel %s; %d scrapes each, alternating, gzip text format\n\n",
		hostname(), runtime.NumCPU(), kernel(), n)
	fmt.Println("| program | CPU per scrape (user+sys) | user | sys | latency p50 | p90 | p99 | series |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	per := func(s float64) string { return peer.MS(time.Duration(s / float64(n) * float64(time.Second))) }
	for i, p := range progs {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %d |\n", p.Name, per(cpu[i].Total()), per(cpu[i].User), per(cpu[i].System),
			peer.MS(peer.Percentile(p.Latencies, 50)), peer.MS(peer.Percentile(p.Latencies, 90)), peer.MS(peer.Percentile(p.Latencies, 99)), p.Series)
	}
	fmt.Printf("| floor: read the same files once | %s | %s | %s | | | | |\n\n",
		peer.MS(floorUser+floorSys), peer.MS(floorUser), peer.MS(floorSys))
	text, err := peer.Get(miProg.URL)
	if err != nil {
		return err
	}
	scrapes := float64(n + warmup + 1)
	fmt.Printf("mihari's own accounting (mihari_source_*): %.0f reads per scrape costing %s CPU (the physical floor plus timing and bounding each read)\n\n",
		peer.Sum(text, "mihari_source_reads_total")/scrapes,
		peer.MS(time.Duration(peer.Sum(text, "mihari_source_cpu_seconds_total")/scrapes*float64(time.Second))))
	fmt.Printf("mihari CPU / node_exporter CPU: %.2f\n", cpu[1].Total()/cpu[0].Total())
	fmt.Printf("mihari CPU / physical floor: %.1f\n", cpu[1].Total()/float64(n)/(floorUser+floorSys).Seconds())
	return nil
}

// physicalFloor reads, on one locked thread, the files the collectors
// read, n times, and returns the CPU time of one round.
func physicalFloor(n int) (user, sys time.Duration) {
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
	return (u1 - u0) / time.Duration(n), (s1 - s0) / time.Duration(n)
}

func threadCPU() (time.Duration, time.Duration) {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

func hostname() string { h, _ := os.Hostname(); return h }

func kernel() string {
	var u unix.Utsname
	unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}
