package process

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "process",
		Default: true,
		Help:    "processes grouped as process-exporter does (namedprocess_namegroup_*, by comm without --collector.process.config) and the top processes by CPU (mihari_process_*)",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			config := fs.String("collector.process.config", "", "process-exporter configuration file (process_names: name templates and comm/exe/cmdline matchers); without it, processes are grouped by comm")
			top := fs.Int("collector.process.top", 20, "export this many processes one by one (mihari_process_*{pid,comm}), those that used the most CPU since the previous collection; 0 for none")
			children := fs.Bool("collector.process.children", true, "a process no rule matches joins the group of its nearest matched ancestor, as process-exporter's -children does")
			wchan := fs.Bool("collector.process.wchan", false, "read /proc/PID/wchan and export namedprocess_namegroup_threads_wchan (one more file per process per collection)")
			return func(env collect.Env) (collect.Collector, error) {
				namer := ByComm()
				if *config != "" {
					var err error
					if namer, err = ReadNamer(*config); err != nil {
						return nil, fmt.Errorf("--collector.process.config: %w", err)
					}
				}
				if *top < 0 {
					return nil, fmt.Errorf("--collector.process.top %d: want 0 or more", *top)
				}
				u := NewUsers(env.Reader, env.Paths)
				return &Collector{
					sampler: NewSampler(env.Reader, env.Paths, Options{
						Cmdline: namer.NeedsCmdline,
						Cgroup:  namer.NeedsCgroup,
						Wchan:   *wchan,
					}),
					tracker: NewTracker(namer, *children, u.Name),
					top:     *top,
					wchan:   *wchan,
				}, nil
			}
		},
	})
}

func groupDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("namedprocess_namegroup_"+name, help, append([]string{"groupname"}, labels...), nil)
}

// The names and labels are process-exporter's, so its dashboards work.
var (
	numProcsDesc   = groupDesc("num_procs", "Processes in the group.")
	cpuDesc        = groupDesc("cpu_seconds_total", "CPU seconds used by the group's processes, by mode (user, system).", "mode")
	readBytesDesc  = groupDesc("read_bytes_total", "Bytes the group's processes read from storage.")
	writeBytesDesc = groupDesc("write_bytes_total", "Bytes the group's processes wrote to storage.")
	majFltDesc     = groupDesc("major_page_faults_total", "Page faults of the group's processes that needed I/O.")
	minFltDesc     = groupDesc("minor_page_faults_total", "Page faults of the group's processes served without I/O.")
	ctxDesc        = groupDesc("context_switches_total", "Context switches of the group's processes (main threads), by type.", "ctxswitchtype")
	memDesc        = groupDesc("memory_bytes", "Memory of the group's processes, by type (resident, virtual, swapped).", "memtype")
	fdsDesc        = groupDesc("open_filedesc", "File descriptors the group's processes have open.")
	fdRatioDesc    = groupDesc("worst_fd_ratio", "Highest ratio of open file descriptors to the soft limit among the group's processes.")
	oldestDesc     = groupDesc("oldest_start_time_seconds", "Start time of the group's oldest process, in seconds since the epoch.")
	threadsDesc    = groupDesc("num_threads", "Threads of the group's processes.")
	statesDesc     = groupDesc("states", "The group's processes by state: Running, Sleeping, Waiting (uninterruptible), Zombie, Other.", "state")
	wchanDesc      = groupDesc("threads_wchan", "The group's processes by the kernel function they wait in.", "wchan")

	scrapeErrorsDesc   = prometheus.NewDesc("namedprocess_scrape_errors", "Collections that could not list processes at all.", nil, nil)
	procReadErrorsDesc = prometheus.NewDesc("namedprocess_scrape_procread_errors", "Processes that could not be read (they had not exited).", nil, nil)
	partialErrorsDesc  = prometheus.NewDesc("namedprocess_scrape_partial_errors", "Processes read only in part: io, fd count or limits denied.", nil, nil)
	vanishedDesc       = prometheus.NewDesc("mihari_process_vanished_total", "Processes that exited between the listing of /proc and the reading of their files.", nil, nil)
	procsDesc          = prometheus.NewDesc("mihari_processes", "Processes read in the latest collection.", nil, nil)

	topLabels      = []string{"pid", "comm"}
	topCPUDesc     = prometheus.NewDesc("mihari_process_cpu_seconds_total", "CPU seconds used by one of the processes that used the most CPU since the previous collection, by mode.", []string{"pid", "comm", "mode"}, nil)
	topRSSDesc     = prometheus.NewDesc("mihari_process_resident_memory_bytes", "Resident memory of one of the top processes by CPU.", topLabels, nil)
	topReadDesc    = prometheus.NewDesc("mihari_process_read_bytes_total", "Bytes one of the top processes by CPU read from storage.", topLabels, nil)
	topWriteDesc   = prometheus.NewDesc("mihari_process_write_bytes_total", "Bytes one of the top processes by CPU wrote to storage.", topLabels, nil)
	topThreadsDesc = prometheus.NewDesc("mihari_process_threads", "Threads of one of the top processes by CPU.", topLabels, nil)
	topFDsDesc     = prometheus.NewDesc("mihari_process_open_fds", "Open file descriptors of one of the top processes by CPU.", topLabels, nil)
)

// Collector exports process groups and the top processes.
type Collector struct {
	sampler *Sampler
	tracker *Tracker
	top     int
	wchan   bool

	mu                                  sync.Mutex
	scrapeErrs, readErrs, partial, gone int
}

// Update implements collect.Collector.
func (c *Collector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap, err := c.sampler.Sample(ctx)
	if err != nil {
		c.scrapeErrs++
		c.sendErrors(ch)
		return err
	}
	c.readErrs += snap.ReadErrors
	c.partial += snap.Partial
	c.gone += snap.Vanished

	for _, g := range c.tracker.Update(snap) {
		n := g.Name
		gauge := func(d *prometheus.Desc, v float64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{n}, lv...)...)
		}
		counter := func(d *prometheus.Desc, v float64, lv ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append([]string{n}, lv...)...)
		}
		gauge(numProcsDesc, float64(g.Procs))
		counter(cpuDesc, g.User.Seconds(), "user")
		counter(cpuDesc, g.System.Seconds(), "system")
		counter(readBytesDesc, float64(g.ReadBytes))
		counter(writeBytesDesc, float64(g.WriteBytes))
		counter(majFltDesc, float64(g.MajFlt))
		counter(minFltDesc, float64(g.MinFlt))
		counter(ctxDesc, float64(g.VolCtx), "voluntary")
		counter(ctxDesc, float64(g.InvCtx), "nonvoluntary")
		gauge(memDesc, float64(g.Resident), "resident")
		gauge(memDesc, float64(g.Virtual), "virtual")
		gauge(memDesc, float64(g.Swap), "swapped")
		gauge(fdsDesc, float64(g.OpenFDs))
		gauge(fdRatioDesc, g.WorstFDRatio)
		oldest := 0.0
		if !g.Oldest.IsZero() {
			oldest = float64(g.Oldest.Unix())
		}
		gauge(oldestDesc, oldest)
		gauge(threadsDesc, float64(g.Threads))
		gauge(statesDesc, float64(g.States.Running), "Running")
		gauge(statesDesc, float64(g.States.Sleeping), "Sleeping")
		gauge(statesDesc, float64(g.States.Waiting), "Waiting")
		gauge(statesDesc, float64(g.States.Zombie), "Zombie")
		gauge(statesDesc, float64(g.States.Other), "Other")
		for w, count := range g.Wchans {
			gauge(wchanDesc, float64(count), w)
		}
	}

	for _, p := range c.tracker.Top(snap, c.top) {
		pid := strconv.Itoa(p.PID)
		ch <- prometheus.MustNewConstMetric(topCPUDesc, prometheus.CounterValue, p.UTime.Seconds(), pid, p.Comm, "user")
		ch <- prometheus.MustNewConstMetric(topCPUDesc, prometheus.CounterValue, p.STime.Seconds(), pid, p.Comm, "system")
		ch <- prometheus.MustNewConstMetric(topRSSDesc, prometheus.GaugeValue, float64(p.RSS), pid, p.Comm)
		if p.IOKnown {
			ch <- prometheus.MustNewConstMetric(topReadDesc, prometheus.CounterValue, float64(p.ReadBytes), pid, p.Comm)
			ch <- prometheus.MustNewConstMetric(topWriteDesc, prometheus.CounterValue, float64(p.WriteBytes), pid, p.Comm)
		}
		ch <- prometheus.MustNewConstMetric(topThreadsDesc, prometheus.GaugeValue, float64(p.Threads), pid, p.Comm)
		if p.OpenFDs >= 0 {
			ch <- prometheus.MustNewConstMetric(topFDsDesc, prometheus.GaugeValue, float64(p.OpenFDs), pid, p.Comm)
		}
	}
	ch <- prometheus.MustNewConstMetric(procsDesc, prometheus.GaugeValue, float64(len(snap.Procs)))
	c.sendErrors(ch)
	return nil
}

func (c *Collector) sendErrors(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.CounterValue, float64(c.scrapeErrs))
	ch <- prometheus.MustNewConstMetric(procReadErrorsDesc, prometheus.CounterValue, float64(c.readErrs))
	ch <- prometheus.MustNewConstMetric(partialErrorsDesc, prometheus.CounterValue, float64(c.partial))
	ch <- prometheus.MustNewConstMetric(vanishedDesc, prometheus.CounterValue, float64(c.gone))
}
