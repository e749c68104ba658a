package collect

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// selfCollector exports the agent's own process metrics with the names of
// client_golang's process collector, at a fraction of its cost: CPU from
// getrusage(2), memory from /proc/self/statm, open files from one directory
// listing — and those two reads go through the source layer, so the cost of
// watching itself is accounted like any other.
type selfCollector struct {
	statm, fds *Source
	start      float64
	pageSize   float64
}

// processStart is when this process started, near enough for
// process_start_time_seconds.
var processStart = time.Now()

func newSelfCollector(r *Reader) *selfCollector {
	return &selfCollector{
		statm:    r.Source("/proc/self/statm"),
		fds:      r.Source("/proc/self/fd"),
		start:    float64(processStart.UnixNano()) / 1e9,
		pageSize: float64(os.Getpagesize()),
	}
}

var (
	selfCPUDesc      = prometheus.NewDesc("process_cpu_seconds_total", "CPU seconds mihari has used, user and system.", nil, nil)
	selfCPUModeDesc  = prometheus.NewDesc("mihari_cpu_seconds_total", "CPU seconds mihari has used, by mode.", []string{"mode"}, nil)
	selfRSSDesc      = prometheus.NewDesc("process_resident_memory_bytes", "Resident memory of mihari in bytes.", nil, nil)
	selfVSZDesc      = prometheus.NewDesc("process_virtual_memory_bytes", "Virtual memory size of mihari in bytes.", nil, nil)
	selfVSZMaxDesc   = prometheus.NewDesc("process_virtual_memory_max_bytes", "Largest virtual memory mihari may use (RLIMIT_AS), -1 for unlimited.", nil, nil)
	selfFDsDesc      = prometheus.NewDesc("process_open_fds", "File descriptors mihari has open.", nil, nil)
	selfMaxFDsDesc   = prometheus.NewDesc("process_max_fds", "File descriptors mihari may open (RLIMIT_NOFILE).", nil, nil)
	selfStartDesc    = prometheus.NewDesc("process_start_time_seconds", "When mihari started, in seconds since the epoch.", nil, nil)
	selfCollectDescs = []*prometheus.Desc{selfCPUDesc, selfCPUModeDesc, selfRSSDesc, selfVSZDesc, selfVSZMaxDesc, selfFDsDesc, selfMaxFDsDesc, selfStartDesc}
)

func (c *selfCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range selfCollectDescs {
		ch <- d
	}
}

func (c *selfCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) == nil {
		u, s := time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds()
		ch <- prometheus.MustNewConstMetric(selfCPUDesc, prometheus.CounterValue, u+s)
		ch <- prometheus.MustNewConstMetric(selfCPUModeDesc, prometheus.CounterValue, u, "user")
		ch <- prometheus.MustNewConstMetric(selfCPUModeDesc, prometheus.CounterValue, s, "system")
	}
	ctx := context.Background()
	if b, err := c.statm.ReadFile(ctx, "/proc/self/statm"); err == nil {
		// size resident shared text lib data dt, in pages
		f := bytes.Fields(b)
		if len(f) >= 2 {
			if size, err := strconv.ParseUint(string(f[0]), 10, 64); err == nil {
				gauge(selfVSZDesc, float64(size)*c.pageSize)
			}
			if rss, err := strconv.ParseUint(string(f[1]), 10, 64); err == nil {
				gauge(selfRSSDesc, float64(rss)*c.pageSize)
			}
		}
	}
	if names, err := c.fds.ReadDir(ctx, "/proc/self/fd"); err == nil {
		// One of them is the listing's own descriptor, closed by now.
		gauge(selfFDsDesc, float64(len(names)-1))
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		gauge(selfMaxFDsDesc, float64(lim.Cur))
	}
	if unix.Getrlimit(unix.RLIMIT_AS, &lim) == nil {
		v := float64(lim.Cur)
		if lim.Cur == unix.RLIM_INFINITY {
			v = -1
		}
		gauge(selfVSZMaxDesc, v)
	}
	gauge(selfStartDesc, c.start)
}
