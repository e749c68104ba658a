package cgroup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/cgroupfs"
	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/kubelet"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "cgroup",
		Default: true,
		Help:    "CPU, memory, pids, block I/O and pressure per cgroup (cAdvisor's container_* names), with container, pod and QoS labels from the path, and namespace, pod and container names from the kubelet (--kubelet.*)",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			depth := fs.Int("collector.cgroup.max-depth", 4, "deepest cgroup reported below the root (/kubepods/burstable/pod<uid>/<container> is 4)")
			include := fs.String("collector.cgroup.include", "", "regexp of cgroup paths (the id label) to report; all when empty")
			exclude := fs.String("collector.cgroup.exclude", "", "regexp of cgroup paths not to report")
			blkio := fs.Bool("collector.cgroup.blkio", true, "read block I/O statistics (blkio.* in v1, io.stat in v2); in v1 these files grow a line per device per operation")
			// The kubelet's flags are --kubelet.*, not --collector.cgroup.*:
			// they say where the node's kubelet is, which is not a matter of
			// this collector alone.
			kube := kubelet.AddFlags(fs)
			return func(env collect.Env) (collect.Collector, error) {
				c := &Collector{
					paths:  env.Paths,
					r:      env.Reader,
					depth:  *depth,
					blkio:  *blkio,
					root:   env.Paths.Sys("fs/cgroup"),
					dirs:   env.Reader.Source("/sys/fs/cgroup/[cgroup]", collect.Uncached()),
					probe:  env.Reader.Source("/sys/fs/cgroup", collect.Uncached()),
					disks:  env.Reader.Source("/proc/diskstats"),
					files:  map[string]*collect.Source{},
					labels: map[string]Identity{},
				}
				var err error
				if c.kube, err = newKubeletClient(kube, env); err != nil {
					return nil, err
				}
				if *include != "" {
					if c.include, err = regexp.Compile(*include); err != nil {
						return nil, fmt.Errorf("--collector.cgroup.include %q: %w", *include, err)
					}
				}
				if *exclude != "" {
					if c.exclude, err = regexp.Compile(*exclude); err != nil {
						return nil, fmt.Errorf("--collector.cgroup.exclude %q: %w", *exclude, err)
					}
				}
				if *depth < 0 {
					return nil, fmt.Errorf("--collector.cgroup.max-depth %d: want 0 or more", *depth)
				}
				return c, nil
			}
		},
	})
}

var (
	cgLabels = []string{"id", "container_id", "pod_uid", "qos_class"}
	// kubeLabels are added when the kubelet is asked for names, with
	// cAdvisor's (the kubelet's) label names; "" when it did not say.
	kubeLabels = []string{"namespace", "pod", "container"}
	devLabels  = []string{"device", "major", "minor", "operation"}

	// kubeDesc is the variant with kubeLabels of every cgroup descriptor.
	kubeDesc = map[*prometheus.Desc]*prometheus.Desc{}
)

// cgDesc returns a descriptor labelled by the cgroup, then by extra, and
// records its variant with the kubelet's names.
func cgDesc(name, help string, extra ...string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, slices.Concat(cgLabels, extra), nil)
	kubeDesc[d] = prometheus.NewDesc(name, help, slices.Concat(cgLabels, kubeLabels, extra), nil)
	return d
}

var (
	cpuUsageDesc     = cgDesc("container_cpu_usage_seconds_total", "CPU seconds used by the cgroup's tasks.")
	cpuUserDesc      = cgDesc("container_cpu_user_seconds_total", "CPU seconds used by the cgroup's tasks in user mode.")
	cpuSystemDesc    = cgDesc("container_cpu_system_seconds_total", "CPU seconds used by the cgroup's tasks in the kernel.")
	cfsPeriodsDesc   = cgDesc("container_cpu_cfs_periods_total", "CFS enforcement periods elapsed with tasks runnable.")
	cfsThrottledDesc = cgDesc("container_cpu_cfs_throttled_periods_total", "CFS periods in which the cgroup was throttled.")
	cfsThrottleSecs  = cgDesc("container_cpu_cfs_throttled_seconds_total", "Seconds the cgroup's tasks were throttled.")
	cpuQuotaDesc     = cgDesc("container_spec_cpu_quota", "CFS quota in microseconds per period (only when the cgroup has one).")
	cpuPeriodDesc    = cgDesc("container_spec_cpu_period", "CFS period in microseconds (only when the cgroup has a quota).")
	memUsageDesc     = cgDesc("container_memory_usage_bytes", "Memory charged to the cgroup, page cache included.")
	memWorkingDesc   = cgDesc("container_memory_working_set_bytes", "Memory usage less inactive file cache: what the OOM killer and the kubelet look at.")
	memCacheDesc     = cgDesc("container_memory_cache", "Page cache charged to the cgroup, in bytes.")
	memRSSDesc       = cgDesc("container_memory_rss", "Anonymous memory of the cgroup, in bytes.")
	memSwapDesc      = cgDesc("container_memory_swap", "Swap used by the cgroup, in bytes.")
	memMaxDesc       = cgDesc("container_memory_max_usage_bytes", "Highest memory usage recorded for the cgroup.")
	memLimitDesc     = cgDesc("container_spec_memory_limit_bytes", "Memory limit of the cgroup (only when it has one).")
	threadsDesc      = cgDesc("container_threads", "Tasks (threads) in the cgroup, from pids.current.")
	threadsMaxDesc   = cgDesc("container_threads_max", "Most tasks the cgroup may have, from pids.max (only when limited).")
	blkioBytesDesc   = cgDesc("container_blkio_device_usage_total", "Bytes of block I/O by the cgroup, per device and operation.", devLabels...)
	blkioIOsDesc     = cgDesc("mihari_cgroup_blkio_ios_total", "Block I/O operations by the cgroup, per device and operation.", devLabels...)
	psiDescs         = map[string][2]*prometheus.Desc{
		"cpu":    {cgDesc("container_pressure_cpu_waiting_seconds_total", "Seconds in which some of the cgroup's tasks waited for a CPU."), cgDesc("container_pressure_cpu_stalled_seconds_total", "Seconds in which all of the cgroup's tasks waited for a CPU.")},
		"memory": {cgDesc("container_pressure_memory_waiting_seconds_total", "Seconds in which some of the cgroup's tasks waited for memory."), cgDesc("container_pressure_memory_stalled_seconds_total", "Seconds in which all of the cgroup's tasks waited for memory.")},
		"io":     {cgDesc("container_pressure_io_waiting_seconds_total", "Seconds in which some of the cgroup's tasks waited for I/O."), cgDesc("container_pressure_io_stalled_seconds_total", "Seconds in which all of the cgroup's tasks waited for I/O.")},
	}
	cgroupsDesc = prometheus.NewDesc("mihari_cgroups", "Cgroups read in the latest collection, by hierarchy mode.", []string{"mode"}, nil)
)

// Collector reads every cgroup of the host.
type Collector struct {
	paths            collect.Paths
	r                *collect.Reader
	depth            int
	blkio            bool
	include, exclude *regexp.Regexp
	root             string
	dirs, probe      *collect.Source
	disks            *collect.Source

	// kube names containers from the kubelet's pod list; nil when off.
	kube *kubelet.Client

	mu     sync.Mutex
	layout *Layout
	files  map[string]*collect.Source // by pattern
	labels map[string]Identity        // by cgroup path
	// asked is, by cgroup path, the generation of the kubelet's answer
	// that was the latest when the cgroup was first seen: a cgroup the
	// answer cannot name asks for a new one once, not at every collection.
	asked map[string]uint64
	gen   uint64 // of the kubelet's answer used by the latest collection
}

// Update implements collect.Collector.
func (c *Collector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.layout == nil {
		l, err := Detect(ctx, c.probe, c.root)
		if err != nil {
			return err
		}
		c.layout = &l
	}
	l := c.layout
	var ids []string
	for _, tree := range l.trees() {
		more, err := c.walk(ctx, tree)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				c.layout = nil // remounted? detect again next time
			}
			return err
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	devices := c.deviceNames(ctx)
	pods := c.pods(ctx, ids)
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
		lv := c.labelValues(id, pods)
		e := emitter{ch: ch, labels: lv, kube: c.kube != nil}
		switch l.Mode {
		case V2:
			c.readV2(ctx, e, l.Unified, id, devices)
		default:
			c.readV1(ctx, e, l, id, devices)
			if l.Mode == Hybrid {
				c.readPressure(ctx, e, l.Unified, "/sys/fs/cgroup/unified", id)
			}
		}
	}
	for id := range c.labels {
		if !seen[id] {
			delete(c.labels, id)
			delete(c.asked, id)
		}
	}
	ch <- prometheus.MustNewConstMetric(cgroupsDesc, prometheus.GaugeValue, float64(len(ids)), string(l.Mode))
	if c.kube != nil {
		c.kube.Collect(ch)
	}
	return nil
}

// walk lists the cgroups of a hierarchy, "/" first, down to the maximum
// depth, filtered by the include and exclude expressions.
func (c *Collector) walk(ctx context.Context, root string) ([]string, error) {
	var ids []string
	var visit func(id string, depth int) error
	visit = func(id string, depth int) error {
		if c.wanted(id) {
			ids = append(ids, id)
		}
		if depth >= c.depth {
			return nil
		}
		subs, err := c.dirs.Subdirs(ctx, filepath.Join(root, id))
		if err != nil {
			if depth == 0 {
				return err
			}
			return nil // removed while walking
		}
		for _, s := range subs {
			child := id + "/" + s
			if id == "/" {
				child = "/" + s
			}
			if err := visit(child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return ids, visit("/", 0)
}

func (c *Collector) wanted(id string) bool {
	return (c.include == nil || c.include.MatchString(id)) && (c.exclude == nil || !c.exclude.MatchString(id))
}

func (c *Collector) identity(id string) Identity {
	ident, ok := c.labels[id]
	if !ok {
		ident = Identify(id)
		c.labels[id] = ident
	}
	return ident
}

// labelValues are the values of cgLabels, and of kubeLabels when the
// kubelet is asked.
func (c *Collector) labelValues(id string, pods *kubelet.Pods) []string {
	ident := c.identity(id)
	lv := []string{id, ident.ContainerID, ident.PodUID, ident.QoS}
	if c.kube == nil {
		return lv
	}
	ns, pod, container := kubeNames(pods, ident)
	return append(lv, ns, pod, container)
}

// source returns the source for one kind of cgroup file, named by a
// pattern such as /sys/fs/cgroup/blkio/[cgroup]/blkio.throttle.io_serviced.
func (c *Collector) source(base, file string) *collect.Source {
	pattern := base + "/[cgroup]/" + file
	s := c.files[pattern]
	if s == nil {
		s = c.r.Source(pattern)
		c.files[pattern] = s
	}
	return s
}

// read reads one file of cgroup id in the hierarchy at dir (reported as
// base).
func (c *Collector) read(ctx context.Context, dir, base, id, file string) ([]byte, bool) {
	b, err := c.source(base, file).ReadFile(ctx, filepath.Join(dir, id, file))
	return b, err == nil
}

// value reads a one-number file.
func (c *Collector) value(ctx context.Context, dir, base, id, file string) (uint64, bool, bool) {
	src := c.source(base, file)
	b, err := src.ReadFile(ctx, filepath.Join(dir, id, file))
	if err != nil {
		return 0, false, false
	}
	v, unlimited, err := cgroupfs.ParseValue(b)
	if err != nil {
		src.CountError()
		return 0, false, false
	}
	return v, unlimited, true
}

// keyValues reads a "key value" file into a map.
func (c *Collector) keyValues(ctx context.Context, dir, base, id, file string) map[string]uint64 {
	src := c.source(base, file)
	kvs, err := collect.ReadParseLines(ctx, src, filepath.Join(dir, id, file), cgroupfs.ParseKeyValues)
	if err != nil {
		return nil
	}
	m := make(map[string]uint64, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// v1Unlimited is what memory.limit_in_bytes says for no limit: the
// largest page-aligned int64.
const v1Unlimited = math.MaxInt64 &^ 4095

func (c *Collector) readV1(ctx context.Context, e emitter, l *Layout, id string, devices map[[2]uint32]string) {
	if d := l.V1["cpuacct"]; d != "" {
		const base = "/sys/fs/cgroup/cpuacct"
		if v, _, ok := c.value(ctx, d, base, id, "cpuacct.usage"); ok {
			e.counter(cpuUsageDesc, float64(v)/1e9)
		}
		if st := c.keyValues(ctx, d, base, id, "cpuacct.stat"); st != nil {
			e.counter(cpuUserDesc, float64(st["user"])/procfs.UserHZ)
			e.counter(cpuSystemDesc, float64(st["system"])/procfs.UserHZ)
		}
	}
	if d := l.V1["cpu"]; d != "" {
		const base = "/sys/fs/cgroup/cpu"
		if st := c.keyValues(ctx, d, base, id, "cpu.stat"); st != nil {
			e.counter(cfsPeriodsDesc, float64(st["nr_periods"]))
			e.counter(cfsThrottledDesc, float64(st["nr_throttled"]))
			e.counter(cfsThrottleSecs, float64(st["throttled_time"])/1e9)
		}
		if b, ok := c.read(ctx, d, base, id, "cpu.cfs_quota_us"); ok {
			if q, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && q > 0 {
				e.gauge(cpuQuotaDesc, float64(q))
				if p, _, ok := c.value(ctx, d, base, id, "cpu.cfs_period_us"); ok {
					e.gauge(cpuPeriodDesc, float64(p))
				}
			}
		}
	}
	if d := l.V1["memory"]; d != "" {
		const base = "/sys/fs/cgroup/memory"
		usage, _, ok := c.value(ctx, d, base, id, "memory.usage_in_bytes")
		if ok {
			e.gauge(memUsageDesc, float64(usage))
		}
		if st := c.keyValues(ctx, d, base, id, "memory.stat"); st != nil {
			// total_* include descendants, as usage does.
			if ok {
				e.gauge(memWorkingDesc, float64(usage-min(usage, st["total_inactive_file"])))
			}
			e.gauge(memCacheDesc, float64(st["total_cache"]))
			e.gauge(memRSSDesc, float64(st["total_rss"]))
			e.gauge(memSwapDesc, float64(st["total_swap"]))
		}
		if v, _, ok := c.value(ctx, d, base, id, "memory.max_usage_in_bytes"); ok {
			e.gauge(memMaxDesc, float64(v))
		}
		if v, _, ok := c.value(ctx, d, base, id, "memory.limit_in_bytes"); ok && v < v1Unlimited {
			e.gauge(memLimitDesc, float64(v))
		}
	}
	if d := l.V1["pids"]; d != "" {
		c.readPids(ctx, e, d, "/sys/fs/cgroup/pids", id)
	}
	if d := l.V1["blkio"]; d != "" && c.blkio && l.Blkio != "" {
		const base = "/sys/fs/cgroup/blkio"
		c.readBlkio(ctx, e, d, base, id, l.Blkio+"io_service_bytes", blkioBytesDesc, devices)
		c.readBlkio(ctx, e, d, base, id, l.Blkio+"io_serviced", blkioIOsDesc, devices)
	}
}

func (c *Collector) readPids(ctx context.Context, e emitter, dir, base, id string) {
	if v, _, ok := c.value(ctx, dir, base, id, "pids.current"); ok {
		e.gauge(threadsDesc, float64(v))
	}
	if v, unlimited, ok := c.value(ctx, dir, base, id, "pids.max"); ok && !unlimited {
		e.gauge(threadsMaxDesc, float64(v))
	}
}

// readBlkio reads a v1 blkio statistics file: a line per device and
// operation. This is the file family that, with thousands of lines on a
// hypervisor, made the incident mihari is built for; its cost is the
// source's (mihari_source_*{source=".../blkio.throttle.io_serviced"}), and
// the source layer reads it less often when it exceeds its budget.
func (c *Collector) readBlkio(ctx context.Context, e emitter, dir, base, id, file string, d *prometheus.Desc, devices map[[2]uint32]string) {
	src := c.source(base, file)
	b, err := src.ReadFile(ctx, filepath.Join(dir, id, file))
	if err != nil {
		return
	}
	entries, _, err := cgroupfs.ParseBlkio(b)
	if err != nil {
		src.CountError()
	}
	for _, en := range entries {
		e.device(d, float64(en.Value), devices[[2]uint32{en.Major, en.Minor}], en.Major, en.Minor, en.Op)
	}
}

func (c *Collector) readV2(ctx context.Context, e emitter, dir, id string, devices map[[2]uint32]string) {
	const base = "/sys/fs/cgroup"
	if st := c.keyValues(ctx, dir, base, id, "cpu.stat"); st != nil {
		e.counter(cpuUsageDesc, float64(st["usage_usec"])/1e6)
		e.counter(cpuUserDesc, float64(st["user_usec"])/1e6)
		e.counter(cpuSystemDesc, float64(st["system_usec"])/1e6)
		if _, ok := st["nr_periods"]; ok {
			e.counter(cfsPeriodsDesc, float64(st["nr_periods"]))
			e.counter(cfsThrottledDesc, float64(st["nr_throttled"]))
			e.counter(cfsThrottleSecs, float64(st["throttled_usec"])/1e6)
		}
	}
	if b, ok := c.read(ctx, dir, base, id, "cpu.max"); ok {
		if quota, period, err := cgroupfs.ParseCPUMax(b); err == nil && quota > 0 {
			e.gauge(cpuQuotaDesc, float64(quota))
			e.gauge(cpuPeriodDesc, float64(period))
		}
	}
	usage, _, ok := c.value(ctx, dir, base, id, "memory.current")
	if ok {
		e.gauge(memUsageDesc, float64(usage))
	}
	if st := c.keyValues(ctx, dir, base, id, "memory.stat"); st != nil {
		if ok {
			e.gauge(memWorkingDesc, float64(usage-min(usage, st["inactive_file"])))
		}
		e.gauge(memCacheDesc, float64(st["file"]))
		e.gauge(memRSSDesc, float64(st["anon"]))
	}
	if v, _, ok := c.value(ctx, dir, base, id, "memory.swap.current"); ok {
		e.gauge(memSwapDesc, float64(v))
	}
	if v, _, ok := c.value(ctx, dir, base, id, "memory.peak"); ok {
		e.gauge(memMaxDesc, float64(v))
	}
	if v, unlimited, ok := c.value(ctx, dir, base, id, "memory.max"); ok && !unlimited {
		e.gauge(memLimitDesc, float64(v))
	}
	c.readPids(ctx, e, dir, base, id)
	if c.blkio {
		src := c.source(base, "io.stat")
		if stats, err := collect.ReadParseLines(ctx, src, filepath.Join(dir, id, "io.stat"), cgroupfs.ParseIOStat); err == nil {
			for _, s := range stats {
				name := devices[[2]uint32{s.Major, s.Minor}]
				e.device(blkioBytesDesc, float64(s.RBytes), name, s.Major, s.Minor, "Read")
				e.device(blkioBytesDesc, float64(s.WBytes), name, s.Major, s.Minor, "Write")
				e.device(blkioBytesDesc, float64(s.DBytes), name, s.Major, s.Minor, "Discard")
				e.device(blkioIOsDesc, float64(s.RIOs), name, s.Major, s.Minor, "Read")
				e.device(blkioIOsDesc, float64(s.WIOs), name, s.Major, s.Minor, "Write")
				e.device(blkioIOsDesc, float64(s.DIOs), name, s.Major, s.Minor, "Discard")
			}
		}
	}
	c.readPressure(ctx, e, dir, base, id)
}

// readPressure reads a v2 cgroup's PSI files.
func (c *Collector) readPressure(ctx context.Context, e emitter, dir, base, id string) {
	for _, res := range []string{"cpu", "memory", "io"} {
		src := c.source(base, res+".pressure")
		psi, err := collect.ReadParse(ctx, src, filepath.Join(dir, id, res+".pressure"), procfs.ParsePressure)
		if err != nil {
			continue
		}
		d := psiDescs[res]
		if psi.Some != nil {
			e.counter(d[0], float64(psi.Some.Total)/1e6)
		}
		if psi.Full != nil {
			e.counter(d[1], float64(psi.Full.Total)/1e6)
		}
	}
}

// deviceNames maps major:minor to the kernel's device names, from
// /proc/diskstats.
func (c *Collector) deviceNames(ctx context.Context) map[[2]uint32]string {
	disks, err := collect.ReadParseLines(ctx, c.disks, c.paths.Proc("diskstats"), procfs.ParseDiskstats)
	if err != nil {
		return nil
	}
	m := make(map[[2]uint32]string, len(disks))
	for _, d := range disks {
		m[[2]uint32{d.Major, d.Minor}] = d.Device
	}
	return m
}

// emitter sends one cgroup's metrics.
type emitter struct {
	ch     chan<- prometheus.Metric
	labels []string
	kube   bool // labels has kubeLabels' values too
}

func (e emitter) desc(d *prometheus.Desc) *prometheus.Desc {
	if e.kube {
		return kubeDesc[d]
	}
	return d
}

func (e emitter) counter(d *prometheus.Desc, v float64) {
	e.ch <- prometheus.MustNewConstMetric(e.desc(d), prometheus.CounterValue, v, e.labels...)
}

func (e emitter) gauge(d *prometheus.Desc, v float64) {
	e.ch <- prometheus.MustNewConstMetric(e.desc(d), prometheus.GaugeValue, v, e.labels...)
}

func (e emitter) device(d *prometheus.Desc, v float64, name string, major, minor uint32, op string) {
	lv := append(append(make([]string, 0, len(e.labels)+4), e.labels...),
		name, strconv.FormatUint(uint64(major), 10), strconv.FormatUint(uint64(minor), 10), op)
	e.ch <- prometheus.MustNewConstMetric(e.desc(d), prometheus.CounterValue, v, lv...)
}
