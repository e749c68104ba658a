package ui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"google.golang.org/protobuf/proto"

	"github.com/mihari-dev/mihari/internal/query"
	"github.com/mihari-dev/mihari/internal/store"
	"github.com/mihari-dev/mihari/internal/web/ui"
)

// The overview's budget (the target): under 50 ms of server time
// and under 200 KB transferred for a day of data at the default 15 s
// interval. The benchmarks report the time (ns/op, compression included),
// the page's HTML (html-bytes), and what a first visit transfers, gzip'd
// as a browser accepts it: the page plus the three static files it links
// (transfer-bytes).
//
//	go test -run XXX -bench Overview -benchmem ./internal/web/ui/

const benchInterval = 15 * time.Second

// benchEnd is the benchmarks' clock: the last collection of the data.
var benchEnd = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// BenchmarkOverviewDay renders the overview over a day of a 2-CPU host's
// data, for the 24h range (the target) and the 1h one.
func BenchmarkOverviewDay(b *testing.B) {
	h := benchSite(b, 24*time.Hour)
	for _, r := range []string{"24h", "1h"} {
		b.Run("range="+r, func(b *testing.B) { benchOverview(b, h, r) })
	}
}

// BenchmarkOverviewWeek renders the overview's 7d range over a week of the
// same host's data.
func BenchmarkOverviewWeek(b *testing.B) {
	h := benchSite(b, 7*24*time.Hour)
	b.Run("range=7d", func(b *testing.B) { benchOverview(b, h, "7d") })
}

func benchOverview(b *testing.B, h http.Handler, rng string) {
	// A first visit: the page, then what it links, as a browser asks for
	// them (gzip accepted).
	transfer := 0
	for _, p := range []string{"/static/style.css", "/static/app.js", "/static/chart.css"} {
		wire, _ := get(b, h, p)
		transfer += wire
	}
	target := "/?range=" + rng
	var (
		wire int
		html []byte
	)
	b.ReportAllocs()
	for b.Loop() {
		wire, html = get(b, h, target)
		if !bytes.Contains(html, []byte("data-points")) {
			b.Fatalf("GET %s: no chart has data:\n%s", target, html)
		}
	}
	if bytes.Contains(html, []byte(`class="error"`)) {
		b.Fatalf("GET %s: the page shows errors:\n%s", target, html)
	}
	b.ReportMetric(float64(len(html)), "html-bytes")
	b.ReportMetric(float64(transfer+wire), "transfer-bytes")
}

// get fetches target as a browser would, accepting gzip, and returns the
// bytes sent and the body they make.
func get(b *testing.B, h http.Handler, target string) (wire int, body []byte) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	wire, body = rec.Body.Len(), rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	}
	return wire, body
}

// benchSite stores span of collections ending at benchEnd as the agent
// does (store.Append every 15 s, job="mihari" and instance="bench" on every
// series, staleness markers for processes that leave the top), lets the
// TSDB compact as it would have by then (blocks for all but the head's last
// hours), and returns the pages over it with the agent's engine.
func benchSite(b testing.TB, span time.Duration) http.Handler {
	return newSite(b, span, nil)
}

// newSite is benchSite with options of the pages' changed by with.
func newSite(b testing.TB, span time.Duration, with func(*ui.Options)) http.Handler {
	b.Helper()
	start := time.Now()
	ctx := context.Background()
	st, err := store.Open(store.Options{
		Path:      b.TempDir(),
		Retention: 15 * 24 * time.Hour, // the default of --storage.retention.time
		Labels:    labels.FromStrings("instance", "bench", "job", "mihari"),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	host := newBenchHost()
	samples := 0
	for t := benchEnd.Add(-span + benchInterval); !t.After(benchEnd); t = t.Add(benchInterval) {
		n, err := st.Append(ctx, host.collect(t), t)
		if err != nil {
			b.Fatal(err)
		}
		samples += n
	}
	db := st.DB()
	// The TSDB compacts in the background as the head grows; finish what
	// it has left, so that the benchmark finds the layout of a running
	// agent and no compaction runs while it is timed.
	if err := db.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	var layout []string
	for _, bl := range db.Blocks() {
		m := bl.Meta()
		layout = append(layout, fmt.Sprintf("%v", time.Duration(m.MaxTime-m.MinTime)*time.Millisecond))
	}
	hd := db.Head()
	b.Logf("%v of data: %d samples, %d processes seen; %d blocks %v, head %v with %d series; built in %v",
		span, samples, host.pids, len(layout), layout,
		time.Duration(hd.MaxTime()-hd.MinTime())*time.Millisecond, hd.NumSeries(), time.Since(start).Round(time.Millisecond))

	o := ui.Options{
		// As the agent builds it, with the defaults of `mihari serve`.
		Engine:    query.NewEngine(query.EngineOptions{Timeout: 2 * time.Minute, MaxSamples: 50_000_000, LookbackDelta: 5 * time.Minute}),
		Queryable: db,
		Interval:  benchInterval,
		Now:       func() time.Time { return benchEnd },
	}
	if with != nil {
		with(&o)
	}
	pages, err := ui.New(o)
	if err != nil {
		b.Fatal(err)
	}
	return pages
}

// benchHost makes up the collections of a 2-CPU host with a daily rhythm
// and bursts of load: node_* as node_exporter exports them, the top 20
// processes by CPU (some of them short-lived, so that they come and go),
// mihari's own process_* and its 40 sources' mihari_source_*.
type benchHost struct {
	rng      *rand.Rand
	families []*dto.MetricFamily
	procs    *dto.MetricFamily

	cpu                   [2][len(benchModes)]*float64
	load                  [3]*float64
	memTotal, memAvail    *float64
	diskRead, diskWrite   [2]*float64
	netRx, netTx          [3]*float64
	psiCPU, psiMem, psiIO *float64
	selfCPU, selfRSS      *float64
	sources               []benchSource

	long  []*benchProc
	short [6]*benchProc // slots of short-lived processes
	// nextPID is the next short-lived process's PID; pids counts the
	// processes seen.
	nextPID, pids int
	burst         int     // collections left of a burst of load
	burstLevel    float64 // its share of each CPU
	idleUntil     [6]time.Time
}

var benchModes = [...]string{"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"}

// benchShare is how the busy time of a CPU splits among the modes.
var benchShare = map[string]float64{"user": 0.62, "system": 0.22, "iowait": 0.06, "softirq": 0.04, "irq": 0.03, "nice": 0.02, "steal": 0.01}

type benchSource struct {
	user, system, reads, seconds *float64
	perRead                      float64 // seconds
	readsEach                    int     // reads a collection
}

type benchProc struct {
	pid          int
	comm         string
	cores, sys   float64 // typical use; share of it in the kernel
	user, system *float64
	metrics      []*dto.Metric
	until        time.Time // zero for a long-lived one
}

func newBenchHost() *benchHost {
	h := &benchHost{rng: rand.New(rand.NewPCG(1, 2)), nextPID: 31000}
	const uptime = 5 * 24 * 3600.0 // seconds the host has been up
	fam := func(name string, typ dto.MetricType) *dto.MetricFamily {
		mf := &dto.MetricFamily{Name: proto.String(name), Type: typ.Enum()}
		h.families = append(h.families, mf)
		return mf
	}
	counter := func(mf *dto.MetricFamily, v float64, kv ...string) *float64 {
		m, p := benchMetric(mf.GetType(), v, kv...)
		mf.Metric = append(mf.Metric, m)
		return p
	}

	cpu := fam("node_cpu_seconds_total", dto.MetricType_COUNTER)
	for c := range h.cpu {
		for i, mode := range benchModes {
			share := benchShare[mode] * 0.15
			if mode == "idle" {
				share = 0.85
			}
			h.cpu[c][i] = counter(cpu, uptime*share, "cpu", strconv.Itoa(c), "mode", mode)
		}
	}
	for i, n := range []string{"node_load1", "node_load15", "node_load5"} {
		h.load[i] = counter(fam(n, dto.MetricType_GAUGE), 0.3)
	}
	h.memAvail = counter(fam("node_memory_MemAvailable_bytes", dto.MetricType_GAUGE), 5e9)
	h.memTotal = counter(fam("node_memory_MemTotal_bytes", dto.MetricType_GAUGE), 8_228_839_424)
	read, written := fam("node_disk_read_bytes_total", dto.MetricType_COUNTER), fam("node_disk_written_bytes_total", dto.MetricType_COUNTER)
	for i, dev := range []string{"nvme0n1", "sda"} {
		h.diskRead[i] = counter(read, uptime*2e5, "device", dev)
		h.diskWrite[i] = counter(written, uptime*4e5, "device", dev)
	}
	rx, tx := fam("node_network_receive_bytes_total", dto.MetricType_COUNTER), fam("node_network_transmit_bytes_total", dto.MetricType_COUNTER)
	for i, dev := range []string{"eth0", "lo", "wg0"} {
		h.netRx[i] = counter(rx, uptime*5e4, "device", dev)
		h.netTx[i] = counter(tx, uptime*2e4, "device", dev)
	}
	h.psiCPU = counter(fam("node_pressure_cpu_waiting_seconds_total", dto.MetricType_COUNTER), uptime*0.01)
	h.psiIO = counter(fam("node_pressure_io_stalled_seconds_total", dto.MetricType_COUNTER), uptime*0.005)
	h.psiMem = counter(fam("node_pressure_memory_stalled_seconds_total", dto.MetricType_COUNTER), uptime*0.0005)
	h.selfCPU = counter(fam("process_cpu_seconds_total", dto.MetricType_COUNTER), 600)
	h.selfRSS = counter(fam("process_resident_memory_bytes", dto.MetricType_GAUGE), 38e6)

	srcCPU := fam("mihari_source_cpu_seconds_total", dto.MetricType_COUNTER)
	srcSecs := fam("mihari_source_read_seconds_total", dto.MetricType_COUNTER)
	srcReads := fam("mihari_source_reads_total", dto.MetricType_COUNTER)
	for _, name := range benchSources {
		s := benchSource{perRead: 20e-6 * math.Exp(h.rng.NormFloat64()), readsEach: 1}
		switch {
		case strings.Contains(name, "[pid]"):
			s.readsEach = 180 + h.rng.IntN(40) // every process's file
		case strings.Contains(name, "*"):
			s.readsEach = 2 + h.rng.IntN(8) // a file a device, a CPU, a cgroup
		}
		s.user = counter(srcCPU, 0, "mode", "user", "source", name)
		s.system = counter(srcCPU, 0, "mode", "system", "source", name)
		s.seconds = counter(srcSecs, 0, "source", name)
		s.reads = counter(srcReads, 0, "source", name)
		h.sources = append(h.sources, s)
	}

	h.procs = fam("mihari_process_cpu_seconds_total", dto.MetricType_COUNTER)
	for i, p := range []struct {
		comm       string
		cores, sys float64
	}{
		{"systemd", 0.002, 0.6}, {"dockerd", 0.01, 0.4}, {"containerd", 0.008, 0.45}, {"postgres", 0.06, 0.3},
		{"postgres", 0.03, 0.3}, {"postgres", 0.01, 0.35}, {"nginx", 0.02, 0.5}, {"nginx", 0.02, 0.5},
		{"java", 0.25, 0.1}, {"mihari", 0.006, 0.6}, {"node", 0.05, 0.15}, {"redis-server", 0.015, 0.4},
		{"sshd", 0.001, 0.7}, {"journald", 0.004, 0.7},
	} {
		pr := h.proc(300+97*i, p.comm, p.cores, p.sys, time.Time{})
		*pr.user, *pr.system = uptime*p.cores*(1-p.sys), uptime*p.cores*p.sys
		h.long = append(h.long, pr)
	}
	return h
}

// benchSources are the source patterns mihari reads.
var benchSources = []string{
	"/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/vmstat", "/proc/diskstats", "/proc/net/dev",
	"/proc/net/snmp", "/proc/net/netstat", "/proc/net/sockstat", "/proc/net/sockstat6", "/proc/pressure/cpu",
	"/proc/pressure/memory", "/proc/pressure/io", "/proc/sys/fs/file-nr", "/proc/sys/kernel/random/entropy_avail",
	"/proc/interrupts", "/proc/softirqs", "/proc/schedstat", "/proc/uptime", "/proc/mounts", "/proc/self/mountinfo",
	"/proc/[pid]/stat", "/proc/[pid]/status", "/proc/[pid]/io", "/proc/[pid]/fd", "/proc/[pid]/limits",
	"/proc/[pid]/cgroup", "/proc/[pid]/cmdline", "/sys/class/net/*/carrier", "/sys/class/net/*/speed",
	"/sys/class/hwmon/*/temp*_input", "/sys/class/thermal/*/temp", "/sys/block/*/queue/rotational",
	"/sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq", "/sys/fs/cgroup/*/cpu.stat",
	"/sys/fs/cgroup/*/memory.current", "/sys/fs/cgroup/*/io.stat", "/sys/class/power_supply/*/uevent",
	"statfs(/)", "statfs(/var)",
}

// proc starts exporting a process: its user and system CPU counters.
func (h *benchHost) proc(pid int, comm string, cores, sys float64, until time.Time) *benchProc {
	p := &benchProc{pid: pid, comm: comm, cores: cores, sys: sys, until: until}
	var m *dto.Metric
	m, p.user = benchMetric(dto.MetricType_COUNTER, 0, "comm", comm, "mode", "user", "pid", strconv.Itoa(pid))
	p.metrics = append(p.metrics, m)
	m, p.system = benchMetric(dto.MetricType_COUNTER, 0, "comm", comm, "mode", "system", "pid", strconv.Itoa(pid))
	p.metrics = append(p.metrics, m)
	h.pids++
	return p
}

// benchMetric is a metric of labels kv (sorted by name, as the client
// library makes them) and its value, to be changed in place.
func benchMetric(typ dto.MetricType, v float64, kv ...string) (*dto.Metric, *float64) {
	m := &dto.Metric{}
	for i := 0; i < len(kv); i += 2 {
		m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	p := proto.Float64(v)
	if typ == dto.MetricType_GAUGE {
		m.Gauge = &dto.Gauge{Value: p}
	} else {
		m.Counter = &dto.Counter{Value: p}
	}
	return m, p
}

// collect advances the host by one interval to t and returns what the
// collectors export then.
func (h *benchHost) collect(t time.Time) []*dto.MetricFamily {
	const dt = float64(benchInterval / time.Second)
	r := h.rng
	jitter := func(sd float64) float64 { return math.Max(0, 1+sd*r.NormFloat64()) }
	// Busy in the afternoon, quiet at night, with bursts of a few minutes.
	hour := float64(t.Sub(t.Truncate(24*time.Hour))) / float64(time.Hour)
	day := 0.5 - 0.5*math.Cos(2*math.Pi*(hour-3)/24)
	if h.burst > 0 {
		h.burst--
	} else if r.IntN(500) == 0 {
		h.burst, h.burstLevel = 8+r.IntN(80), 0.3+0.6*r.Float64()
	}
	burst := 0.0
	if h.burst > 0 {
		burst = h.burstLevel
	}

	total := 0.0
	for c := range h.cpu {
		busy := min(max(0.04+0.25*day+burst+0.03*r.NormFloat64(), 0.01), 0.99)
		total += busy
		for i, mode := range benchModes {
			share := 1 - busy
			if mode != "idle" {
				share = busy * benchShare[mode] * jitter(0.2)
			}
			*h.cpu[c][i] += dt * share
		}
	}
	runnable := total * (1 + 0.3*jitter(0.5))
	for i, tau := range []float64{60, 900, 300} { // load1, load15, load5
		e := math.Exp(-dt / tau)
		*h.load[i] = *h.load[i]*e + runnable*(1-e)
	}
	*h.memAvail = min(max(*h.memAvail+2e7*r.NormFloat64()-4e7*(day-0.5)*0.05, 1.5e9), 7e9)
	for i := range h.diskRead {
		*h.diskRead[i] += dt * (1e4 + 2e5*day + 3e6*burst) * jitter(0.8) / float64(i+1)
		*h.diskWrite[i] += dt * (5e4 + 4e5*day) * jitter(0.6) / float64(i+1)
	}
	for i, scale := range []float64{1, 0.3, 0.05} { // eth0, lo, wg0
		*h.netRx[i] += dt * scale * (2e4 + 1.5e6*day) * jitter(0.7)
		*h.netTx[i] += dt * scale * (1e4 + 4e5*day) * jitter(0.7)
	}
	*h.psiCPU += dt * 0.2 * total * total / 4 * jitter(0.5)
	*h.psiMem += dt * 0.0005 * jitter(1)
	*h.psiIO += dt * (0.002 + 0.05*burst) * jitter(0.5)

	self := 0.0
	for i := range h.sources {
		s := &h.sources[i]
		n := float64(s.readsEach)
		secs := n * s.perRead * jitter(0.3)
		*s.reads += n
		*s.seconds += secs
		*s.user += 0.2 * secs
		*s.system += 0.6 * secs
		self += 0.8 * secs
	}
	*h.selfCPU += self + dt*0.002*jitter(0.3)
	*h.selfRSS = 38e6 + 4e6*r.Float64()

	// The top processes: the long-lived ones, and the slots of
	// short-lived ones (builds, backups, cron jobs), each followed by a
	// few minutes of nothing.
	h.procs.Metric = h.procs.Metric[:0]
	add := func(p *benchProc) {
		use := dt * p.cores * (0.5 + day + 3*burst) * jitter(0.4)
		*p.user += use * (1 - p.sys)
		*p.system += use * p.sys
		h.procs.Metric = append(h.procs.Metric, p.metrics...)
	}
	for _, p := range h.long {
		add(p)
	}
	for i, p := range h.short {
		if p != nil && !t.Before(p.until) {
			h.short[i] = nil
			h.idleUntil[i] = t.Add(time.Duration(r.IntN(600)) * time.Second)
			continue
		}
		if p == nil && !t.Before(h.idleUntil[i]) {
			comm := benchShortComms[r.IntN(len(benchShortComms))]
			h.nextPID += 1 + r.IntN(300)
			life := time.Duration(60+r.IntN(40*60)) * time.Second
			p = h.proc(h.nextPID, comm, 0.05+0.6*r.Float64(), 0.1+0.4*r.Float64(), t.Add(life))
			h.short[i] = p
		}
		if p != nil {
			add(p)
		}
	}
	return h.families
}

var benchShortComms = []string{"cc1", "gzip", "rsync", "apt-check", "python3", "sh", "find", "git", "go", "backup.sh", "tar", "updatedb"}
