package host

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "stat",
		Default: true,
		Help:    "kernel activity from /proc/stat: context switches, interrupts, forks, running and blocked processes, boot time",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			softirq := fs.Bool("collector.stat.softirq", false, "export node_softirqs_total per softirq vector")
			return func(env collect.Env) (collect.Collector, error) {
				return &statCollector{paths: env.Paths, src: env.Reader.Source("/proc/stat"), softirq: *softirq}, nil
			}
		},
	})
}

var (
	statIntrDesc    = typedDesc{prometheus.NewDesc("node_intr_total", "Interrupts serviced since boot.", nil, nil), prometheus.CounterValue}
	statCtxtDesc    = typedDesc{prometheus.NewDesc("node_context_switches_total", "Context switches since boot.", nil, nil), prometheus.CounterValue}
	statForksDesc   = typedDesc{prometheus.NewDesc("node_forks_total", "Processes and threads created since boot.", nil, nil), prometheus.CounterValue}
	statBtimeDesc   = typedDesc{prometheus.NewDesc("node_boot_time_seconds", "When the host booted, in seconds since the epoch.", nil, nil), prometheus.GaugeValue}
	statRunningDesc = typedDesc{prometheus.NewDesc("node_procs_running", "Threads currently runnable.", nil, nil), prometheus.GaugeValue}
	statBlockedDesc = typedDesc{prometheus.NewDesc("node_procs_blocked", "Threads currently blocked waiting for I/O.", nil, nil), prometheus.GaugeValue}
	statSoftIRQDesc = typedDesc{prometheus.NewDesc("node_softirqs_total", "Softirqs handled since boot, per vector.", []string{"vector"}, nil), prometheus.CounterValue}
)

// softIRQVectors are the names node_exporter gives the softirq columns.
var softIRQVectors = []string{"hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer", "rcu"}

type statCollector struct {
	paths   collect.Paths
	src     *collect.Source
	softirq bool
}

func (c *statCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	st, err := collect.ReadParse(ctx, c.src, c.paths.Proc("stat"), procfs.ParseStat)
	if err != nil {
		return err
	}
	ch <- statIntrDesc.metric(float64(st.IntrTotal))
	ch <- statCtxtDesc.metric(float64(st.ContextSwitches))
	ch <- statForksDesc.metric(float64(st.Forks))
	ch <- statBtimeDesc.metric(float64(st.BootTime))
	ch <- statRunningDesc.metric(float64(st.ProcsRunning))
	ch <- statBlockedDesc.metric(float64(st.ProcsBlocked))
	if c.softirq {
		for i, name := range softIRQVectors {
			var v uint64
			if i < len(st.SoftIRQ) {
				v = st.SoftIRQ[i]
			}
			ch <- statSoftIRQDesc.metric(float64(v), name)
		}
	}
	return nil
}
