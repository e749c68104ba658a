package host

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
	"github.com/mihari-dev/mihari/internal/sysfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "cpu",
		Default: true,
		Help:    "CPU time per CPU and mode from /proc/stat (node_cpu_seconds_total), thermal throttling, isolated CPUs",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			guest := fs.Bool("collector.cpu.guest", true, "export node_cpu_guest_seconds_total (time spent running guests, also counted in user and nice)")
			return func(env collect.Env) (collect.Collector, error) { return newCPUCollector(env, *guest), nil }
		},
	})
}

var (
	cpuSecondsDesc = prometheus.NewDesc("node_cpu_seconds_total",
		"Seconds each CPU spent in each mode, from /proc/stat.", []string{"cpu", "mode"}, nil)
	cpuGuestDesc = prometheus.NewDesc("node_cpu_guest_seconds_total",
		"Seconds each CPU spent running guests (virtual machines), already included in user and nice.", []string{"cpu", "mode"}, nil)
	cpuCoreThrottleDesc = prometheus.NewDesc("node_cpu_core_throttles_total",
		"Times a CPU core was throttled for temperature.", []string{"package", "core"}, nil)
	cpuPackageThrottleDesc = prometheus.NewDesc("node_cpu_package_throttles_total",
		"Times a CPU package was throttled for temperature.", []string{"package"}, nil)
	cpuIsolatedDesc = prometheus.NewDesc("node_cpu_isolated",
		"1 for each CPU isolated from the scheduler (isolcpus), from /sys/devices/system/cpu/isolated.", []string{"cpu"}, nil)
)

// idleJumpBack is how far back (in seconds) a CPU's idle counter may jump
// before it is taken for a hot-plugged CPU and its counters are reset.
const idleJumpBack = 3.0

// cpuTopology is where one CPU sits, read once per set of CPUs: it does not
// change while the CPU is online.
type cpuTopology struct {
	name            string // cpuN
	pkg, core       uint64
	throttleCounted bool // has thermal_throttle files
}

type cpuCollector struct {
	paths collect.Paths
	log   *slog.Logger
	guest bool

	stat, cpuDir, isolatedSrc, topoSrc, throttleSrc *collect.Source

	mu       sync.Mutex
	last     map[int]procfs.CPUTime // monotonic view of each CPU's counters
	isolated []int
	isoRead  bool
	topoKey  string
	topo     []cpuTopology
}

func newCPUCollector(env collect.Env, guest bool) *cpuCollector {
	r := env.Reader
	return &cpuCollector{
		paths:       env.Paths,
		log:         env.Logger,
		guest:       guest,
		stat:        r.Source("/proc/stat"),
		cpuDir:      r.Source("/sys/devices/system/cpu"),
		isolatedSrc: r.Source("/sys/devices/system/cpu/isolated"),
		topoSrc:     r.Source("/sys/devices/system/cpu/[cpu]/topology/*"),
		throttleSrc: r.Source("/sys/devices/system/cpu/[cpu]/thermal_throttle/*"),
		last:        map[int]procfs.CPUTime{},
	}
}

func (c *cpuCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	st, err := collect.ReadParse(ctx, c.stat, c.paths.Proc("stat"), procfs.ParseStat)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cpu := range st.CPUs {
		t := c.monotonic(cpu)
		id := strconv.Itoa(cpu.ID)
		for _, m := range []struct {
			mode  string
			ticks uint64
		}{
			{"user", t.User}, {"nice", t.Nice}, {"system", t.System}, {"idle", t.Idle},
			{"iowait", t.Iowait}, {"irq", t.IRQ}, {"softirq", t.SoftIRQ}, {"steal", t.Steal},
		} {
			ch <- prometheus.MustNewConstMetric(cpuSecondsDesc, prometheus.CounterValue, seconds(m.ticks), id, m.mode)
		}
		if c.guest {
			ch <- prometheus.MustNewConstMetric(cpuGuestDesc, prometheus.CounterValue, seconds(t.Guest), id, "user")
			ch <- prometheus.MustNewConstMetric(cpuGuestDesc, prometheus.CounterValue, seconds(t.GuestNice), id, "nice")
		}
	}
	c.updateIsolated(ctx, ch)
	return c.updateThrottle(ctx, ch)
}

func seconds(ticks uint64) float64 { return float64(ticks) / procfs.UserHZ }

// monotonic keeps each counter from going backwards (some kernels and
// hypervisors report a dip now and then), and starts afresh when idle
// jumps back by more than idleJumpBack seconds, which means the CPU was
// unplugged and plugged again.
func (c *cpuCollector) monotonic(cpu procfs.CPU) procfs.CPUTime {
	old, ok := c.last[cpu.ID]
	n := cpu.CPUTime
	if !ok || seconds(old.Idle)-seconds(n.Idle) >= idleJumpBack {
		c.last[cpu.ID] = n
		return n
	}
	keep := func(o, v uint64) uint64 { return max(o, v) }
	t := procfs.CPUTime{
		User: keep(old.User, n.User), Nice: keep(old.Nice, n.Nice), System: keep(old.System, n.System),
		Idle: keep(old.Idle, n.Idle), Iowait: keep(old.Iowait, n.Iowait), IRQ: keep(old.IRQ, n.IRQ),
		SoftIRQ: keep(old.SoftIRQ, n.SoftIRQ), Steal: keep(old.Steal, n.Steal),
		Guest: keep(old.Guest, n.Guest), GuestNice: keep(old.GuestNice, n.GuestNice),
	}
	c.last[cpu.ID] = t
	return t
}

// updateIsolated reports isolated CPUs; the list is set at boot, so it is
// read once.
func (c *cpuCollector) updateIsolated(ctx context.Context, ch chan<- prometheus.Metric) {
	if !c.isoRead {
		b, err := c.isolatedSrc.ReadFile(ctx, c.paths.Sys("devices/system/cpu/isolated"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.isoRead = true
		case err != nil:
			c.log.Debug("reading isolated CPUs", "err", err)
		default:
			c.isoRead = true
			if c.isolated, err = sysfs.ParseCPUList(b); err != nil {
				c.isolatedSrc.CountError()
				c.log.Warn("parsing isolated CPUs", "err", err)
			}
		}
	}
	for _, id := range c.isolated {
		ch <- prometheus.MustNewConstMetric(cpuIsolatedDesc, prometheus.GaugeValue, 1, strconv.Itoa(id))
	}
}

// updateThrottle reports thermal throttling per core and per package.
func (c *cpuCollector) updateThrottle(ctx context.Context, ch chan<- prometheus.Metric) error {
	names, err := c.cpuDir.ReadDir(ctx, c.paths.Sys("devices/system/cpu"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var cpus []string
	for _, n := range names {
		if len(n) > 3 && strings.HasPrefix(n, "cpu") && isDigits(n[3:]) {
			cpus = append(cpus, n)
		}
	}
	if key := strings.Join(cpus, ","); key != c.topoKey {
		c.topo = c.readTopology(ctx, cpus)
		c.topoKey = key
	}

	type coreKey struct{ pkg, core uint64 }
	pkgs := map[uint64]uint64{}
	cores := map[coreKey]uint64{}
	for _, t := range c.topo {
		if !t.throttleCounted {
			continue
		}
		k := coreKey{t.pkg, t.core}
		if _, seen := cores[k]; !seen {
			if v, err := c.readUint(ctx, c.throttleSrc, t.name, "thermal_throttle/core_throttle_count"); err == nil {
				cores[k] = v
			}
		}
		if _, seen := pkgs[t.pkg]; !seen {
			if v, err := c.readUint(ctx, c.throttleSrc, t.name, "thermal_throttle/package_throttle_count"); err == nil {
				pkgs[t.pkg] = v
			}
		}
	}
	for pkg, v := range pkgs {
		ch <- prometheus.MustNewConstMetric(cpuPackageThrottleDesc, prometheus.CounterValue, float64(v), strconv.FormatUint(pkg, 10))
	}
	for k, v := range cores {
		ch <- prometheus.MustNewConstMetric(cpuCoreThrottleDesc, prometheus.CounterValue, float64(v),
			strconv.FormatUint(k.pkg, 10), strconv.FormatUint(k.core, 10))
	}
	return nil
}

func (c *cpuCollector) readTopology(ctx context.Context, cpus []string) []cpuTopology {
	var out []cpuTopology
	for _, name := range cpus {
		pkg, err := c.readUint(ctx, c.topoSrc, name, "topology/physical_package_id")
		if err != nil {
			c.log.Debug("CPU without physical_package_id", "cpu", name, "err", err)
			continue
		}
		core, err := c.readUint(ctx, c.topoSrc, name, "topology/core_id")
		if err != nil {
			c.log.Debug("CPU without core_id", "cpu", name, "err", err)
			continue
		}
		_, err = c.throttleSrc.ReadFile(ctx, c.paths.Sys("devices/system/cpu", name, "thermal_throttle/core_throttle_count"))
		_, err2 := c.throttleSrc.ReadFile(ctx, c.paths.Sys("devices/system/cpu", name, "thermal_throttle/package_throttle_count"))
		out = append(out, cpuTopology{name: name, pkg: pkg, core: core, throttleCounted: err == nil || err2 == nil})
	}
	return out
}

func (c *cpuCollector) readUint(ctx context.Context, src *collect.Source, cpu, file string) (uint64, error) {
	return collect.ReadParse(ctx, src, c.paths.Sys("devices/system/cpu", cpu, file), sysfs.ParseUint)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
