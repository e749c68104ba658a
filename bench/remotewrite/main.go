// Command remotewrite measures what remote write costs mihari, against
// Debian's Prometheus in agent mode scraping a mihari and forwarding the
// same series, side by side in one run. Processes, all on this host, all
// with mihari's default collectors at the same interval:
//
//	A   mihari serve --remote-write.url=SINK/a
//	A2  mihari serve --storage.agent --remote-write.url=SINK/a2 (-agent-mode)
//	B   mihari serve, scraped by C
//	C   prometheus --enable-feature=agent, scraping B, remote_write to SINK/c
//	D   mihari serve
//	D′  mihari serve again: two identical processes, the noise floor
//
// The sink is an HTTP handler in this program that decodes every request
// (snappy, prompb.WriteRequest) and counts requests, bytes, series and
// samples per sender. What remote write costs mihari is A − D (D being
// the mean of D and D′); what it costs with Prometheus is C, the agent,
// and C + (B − D), the agent and the exporter serving its scrapes. CPU is
// user+system time from /proc/PID/stat over the measured window, after a
// warm-up; samples and bytes are the sink's counts over the same window,
// checked against each sender's prometheus_remote_storage_* counters.
// Context switches per second (all threads, /proc/PID/task/*/status) show
// how often each process wakes up.
//
// With -profile (the default) every mihari serves Go's profiler and is
// profiled over the window, so that the small cost of profiling is the
// same in all of them and cancels out of A − D; Prometheus is profiled
// only after the window (-profile-prometheus), as profiling it in the
// window would add to its cost.
//
//	go run ./bench/remotewrite -duration 5m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang/snappy"
	"github.com/google/pprof/profile"
	"github.com/prometheus/prometheus/prompb"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/bench/internal/peer"
)

func main() {
	o := options{}
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "the measured window, after the warm-up")
	flag.DurationVar(&o.warmup, "warmup", 30*time.Second, "how long everything runs before the window opens")
	flag.DurationVar(&o.interval, "interval", 5*time.Second, "collection interval of every mihari, scrape interval of Prometheus")
	flag.BoolVar(&o.agentMode, "agent-mode", true, "also run A2, mihari with --storage.agent")
	flag.BoolVar(&o.promDefaults, "prometheus-defaults", false, "let Prometheus use its own queue and metadata defaults instead of mihari's settings")
	flag.BoolVar(&o.profile, "profile", true, "profile every mihari over the window and print where its CPU goes")
	flag.DurationVar(&o.profileProm, "profile-prometheus", time.Minute, "after the window, profile Prometheus this long and print where its CPU goes; 0 for not")
	flag.StringVar(&o.profiles, "profiles", "", "directory to save the CPU profiles in (KEY.pb.gz), for go tool pprof")
	flag.StringVar(&o.mihari, "mihari", "", "mihari binary (default: build ./cmd/mihari)")
	flag.StringVar(&o.prom, "prometheus", "/usr/bin/prometheus", "Prometheus binary (2.32 or later, for agent mode)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	duration, warmup, interval time.Duration
	profileProm                time.Duration
	agentMode, promDefaults    bool
	profile                    bool
	mihari, prom, profiles     string
}

// proc is one process of the run.
type proc struct {
	key, runs string
	*peer.Prog
	addr    string
	sink    string // the sink path it sends to, "" if none
	mihari  bool
	metrics string // where its prometheus_remote_storage_* are

	cpu0, cpu1 peer.CPU
	sw0, sw1   int64 // context switches, all threads
	snd0, snd1 senderCounts
	// prof is its CPU profile, profCPU its CPU (s) over the profile's
	// profSecs.
	prof              *profile.Profile
	profCPU, profSecs float64
}

// senderCounts are a sender's own remote-storage counters.
type senderCounts struct{ samples, bytes, failed, retried, dropped float64 }

func readSender(url string) (senderCounts, error) {
	text, err := peer.Get(url)
	if err != nil {
		return senderCounts{}, err
	}
	return senderCounts{
		samples: peer.Sum(text, "prometheus_remote_storage_samples_total"),
		bytes:   peer.Sum(text, "prometheus_remote_storage_bytes_total"),
		failed:  peer.Sum(text, "prometheus_remote_storage_samples_failed_total"),
		retried: peer.Sum(text, "prometheus_remote_storage_samples_retried_total"),
		dropped: peer.Sum(text, "prometheus_remote_storage_samples_dropped_total"),
	}, nil
}

func (c senderCounts) sub(o senderCounts) senderCounts {
	return senderCounts{c.samples - o.samples, c.bytes - o.bytes, c.failed - o.failed, c.retried - o.retried, c.dropped - o.dropped}
}

// queueConfig is mihari's remote-write queue (Prometheus v0.316's
// defaults, and no metadata: mihari sends none), given to Prometheus 2.42
// too unless -prometheus-defaults, so that both batch alike.
const queueConfig = `    queue_config:
      capacity: 10000
      max_shards: 50
      min_shards: 1
      max_samples_per_send: 2000
      batch_send_deadline: 5s
      min_backoff: 30ms
      max_backoff: 5s
    metadata_config:
      send: false
`

func run(ctx context.Context, o options) error {
	bin, cleanup, err := peer.Mihari(o.mihari)
	if err != nil {
		return err
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "mihari-bench-remotewrite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	sk := newSink()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sk, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	sinkURL := "http://" + l.Addr().String()

	host, err := os.Hostname()
	if err != nil {
		return err
	}
	iv := o.interval.String()
	var started []*proc // stopped on the way out, whatever happens
	defer func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].Stop()
		}
	}()
	startMihari := func(key, runs, sink string, extra ...string) (*proc, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		addr := peer.FreeAddr()
		args := []string{"serve", "--web.listen-address=" + addr, "--storage.path=" + filepath.Join(dir, key),
			"--interval=" + iv, "--instance=" + host, "--log.level=error",
			// No investigation may start in one process and not the others.
			"--investigate.on-alert="}
		if o.profile {
			args = append(args, "--web.enable-pprof")
		}
		if sink != "" {
			args = append(args, "--remote-write.url="+sinkURL+"/"+sink)
		}
		args = append(args, extra...)
		p, err := peer.Start("mihari "+key, "http://"+addr+"/-/ready", bin, args...)
		if err != nil {
			return nil, err
		}
		pr := &proc{key: key, runs: runs, Prog: p, addr: addr, sink: sink, mihari: true}
		if sink != "" {
			// The embedded remote storage's metrics, live (/metrics has
			// them too, refreshed once an interval, but serving it
			// collects).
			pr.metrics = "http://" + addr + "/metrics/internal"
		}
		started = append(started, pr)
		return pr, nil
	}

	a, err := startMihari("A", "mihari serve --remote-write.url=SINK/a", "a")
	if err != nil {
		return err
	}
	var a2 *proc
	if o.agentMode {
		if a2, err = startMihari("A2", "mihari serve --storage.agent --remote-write.url=SINK/a2", "a2", "--storage.agent"); err != nil {
			return err
		}
	}
	b, err := startMihari("B", "mihari serve, scraped by C every "+iv, "")
	if err != nil {
		return err
	}
	d, err := startMihari("D", "mihari serve", "")
	if err != nil {
		return err
	}
	d2, err := startMihari("D′", "mihari serve (a second D: the noise floor)", "")
	if err != nil {
		return err
	}

	// Prometheus scrapes B and labels what it sends as mihari labels what it
	// stores (job="mihari", instance=the host name), so that both send the
	// same series with the same labels.
	queue := queueConfig
	if o.promDefaults {
		queue = ""
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
scrape_configs:
  - job_name: mihari
    static_configs:
      - targets: [%[2]q]
    relabel_configs:
      - target_label: instance
        replacement: %[3]q
remote_write:
  - url: %[4]q
%[5]s`, iv, b.addr, host, sinkURL+"/c", queue), 0o644); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cAddr := peer.FreeAddr()
	promVersion := peer.Version(o.prom)
	cp, err := peer.Start("prometheus "+promVersion+" (agent)", "http://"+cAddr+"/-/ready", o.prom,
		"--enable-feature=agent", "--config.file="+cfg, "--storage.agent.path="+filepath.Join(dir, "C"),
		"--storage.agent.wal-compression", "--web.listen-address="+cAddr, "--log.level=error")
	if err != nil {
		return err
	}
	c := &proc{key: "C", runs: "prometheus --enable-feature=agent, scraping B, remote_write to SINK/c", Prog: cp,
		addr: cAddr, sink: "c", metrics: "http://" + cAddr + "/metrics"}
	started = append(started, c)

	procs := []*proc{a, b, c, d, d2} // in the table's order
	if a2 != nil {
		procs = []*proc{a, a2, b, c, d, d2}
	}

	if err := sleep(ctx, o.warmup); err != nil {
		return err
	}
	// The profiles run a second longer than the window on each side, so
	// that starting and encoding them fall outside it.
	var profWG sync.WaitGroup
	profErr := make([]error, len(procs))
	if o.profile {
		secs := int((o.duration+time.Second-1)/time.Second) + 2
		for i, p := range procs {
			if !p.mihari {
				continue
			}
			profWG.Go(func() {
				p.prof, profErr[i] = fetchProfile(ctx, "http://"+p.addr+"/debug/pprof/profile", secs)
			})
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	// Senders' counters first: reading them costs the senders CPU, which
	// is kept out of the window.
	for _, p := range procs {
		if p.metrics != "" {
			if p.snd0, err = readSender(p.metrics); err != nil {
				return err
			}
		}
	}
	self0 := peer.ProcessCPU(os.Getpid())
	start := time.Now()
	for _, p := range procs {
		p.cpu0, p.sw0 = p.CPUNow(), switches(p.Cmd.Process.Pid)
	}
	sink0 := sk.snapshot()

	if err := sleep(ctx, o.duration); err != nil {
		return err
	}

	for _, p := range procs {
		p.cpu1, p.sw1 = p.CPUNow(), switches(p.Cmd.Process.Pid)
	}
	sink1 := sk.snapshot()
	elapsed := time.Since(start)
	self1 := peer.ProcessCPU(os.Getpid())
	for _, p := range procs {
		if p.metrics != "" {
			if p.snd1, err = readSender(p.metrics); err != nil {
				return err
			}
		}
	}
	profWG.Wait()
	for i, err := range profErr {
		if err != nil {
			return fmt.Errorf("profiling %s: %w", procs[i].Name, err)
		}
		if p := procs[i]; p.prof != nil {
			p.profCPU, p.profSecs = p.cpu1.Sub(p.cpu0).Total(), elapsed.Seconds()
		}
	}
	// Prometheus is profiled after the window, not in it.
	if o.profileProm > 0 {
		secs := int((o.profileProm + time.Second - 1) / time.Second)
		c0, t0 := c.CPUNow(), time.Now()
		if c.prof, err = fetchProfile(ctx, "http://"+c.addr+"/debug/pprof/profile", secs); err != nil {
			return fmt.Errorf("profiling Prometheus: %w", err)
		}
		c.profCPU, c.profSecs = c.CPUNow().Sub(c0).Total(), time.Since(t0).Seconds()
	}
	if err := ctx.Err(); err != nil {
		return errors.New("interrupted")
	}
	if o.profiles != "" {
		if err := saveProfiles(o.profiles, procs); err != nil {
			return err
		}
	}

	r := report{o: o, procs: procs, sk: sk, a: a, a2: a2, b: b, c: c, d: d, d2: d2, elapsed: elapsed,
		sink0: sink0, sink1: sink1, self: self1.Sub(self0).Total(),
		promVersion: promVersion, bin: bin}
	r.print()
	return nil
}

// saveProfiles writes each profile to dir/KEY.pb.gz.
func saveProfiles(dir string, procs []*proc) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range procs {
		if p.prof == nil {
			continue
		}
		f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(p.key, "′", "2")+".pb.gz"))
		if err != nil {
			return err
		}
		err = p.prof.Write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// switches is how many times a process's threads have been switched out,
// voluntarily (to wait: each is a wake-up later) or not: the sum over
// /proc/PID/task/*/status of the living threads.
func switches(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += x
			}
		}
	}
	return n
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return errors.New("interrupted")
	case <-t.C:
		return nil
	}
}

func fetchProfile(ctx context.Context, url string, secs int) (*profile.Profile, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs+60)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s?seconds=%d", url, secs), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return profile.Parse(resp.Body)
}

// sink counts what each sender sends, by path.
type sink struct {
	seed maphash.Seed
	mu   sync.Mutex
	by   map[string]*tally
}

// tally is what one sender has sent so far.
type tally struct {
	requests, body, raw, series, samples, histograms, exemplars, metadata, errors int64
	distinct                                                                      map[uint64]string // series: metric name
}

func newSink() *sink { return &sink{seed: maphash.MakeSeed(), by: map[string]*tally{}} }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	body, err := io.ReadAll(r.Body)
	var raw []byte
	if err == nil {
		raw, err = snappy.Decode(nil, body)
	}
	var req prompb.WriteRequest
	if err == nil {
		err = req.Unmarshal(raw)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.by[key]
	if t == nil {
		t = &tally{distinct: map[uint64]string{}}
		s.by[key] = t
	}
	if err != nil {
		t.errors++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t.requests++
	t.body += int64(len(body))
	t.raw += int64(len(raw))
	t.metadata += int64(len(req.Metadata))
	for _, ts := range req.Timeseries {
		t.series++
		t.samples += int64(len(ts.Samples))
		t.histograms += int64(len(ts.Histograms))
		t.exemplars += int64(len(ts.Exemplars))
		h.Reset()
		name := ""
		for _, l := range ts.Labels {
			if l.Name == "__name__" {
				name = l.Value
			}
			h.WriteString(l.Name)
			h.WriteByte(0xff)
			h.WriteString(l.Value)
			h.WriteByte(0xff)
		}
		t.distinct[h.Sum64()] = name
	}
	w.WriteHeader(http.StatusNoContent)
}

// counts is a tally at one moment.
type counts struct {
	requests, body, raw, series, samples, histograms, exemplars, metadata, errors int64
	distinct                                                                      int
}

func (c counts) sub(o counts) counts {
	return counts{c.requests - o.requests, c.body - o.body, c.raw - o.raw, c.series - o.series, c.samples - o.samples,
		c.histograms - o.histograms, c.exemplars - o.exemplars, c.metadata - o.metadata, c.errors - o.errors, c.distinct}
}

// names counts a sender's distinct series, over the whole run, by metric
// name.
func (s *sink) names(key string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	if t := s.by[key]; t != nil {
		for _, n := range t.distinct {
			out[n]++
		}
	}
	return out
}

func (s *sink) snapshot() map[string]counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]counts{}
	for k, t := range s.by {
		out[k] = counts{t.requests, t.body, t.raw, t.series, t.samples, t.histograms, t.exemplars, t.metadata, t.errors, len(t.distinct)}
	}
	return out
}

type report struct {
	o                  options
	procs              []*proc
	a, a2, b, c, d, d2 *proc
	elapsed            time.Duration
	sink0, sink1       map[string]counts
	self               float64
	sk                 *sink
	promVersion, bin   string
}

// perMin is CPU seconds per minute of the window.
func (r *report) perMin(s float64) float64 { return s / r.elapsed.Minutes() }

func (r *report) cpu(p *proc) peer.CPU { return p.cpu1.Sub(p.cpu0) }

func (r *report) sent(p *proc) counts { return r.sink1[p.sink].sub(r.sink0[p.sink]) }

// seriesDiff says which metrics one sender sent more or fewer series of
// than another.
func (r *report) seriesDiff(x, y string) string {
	nx, ny := r.sk.names(x), r.sk.names(y)
	type d struct {
		name string
		n    int
	}
	var ds []d
	tx, ty := 0, 0
	for n, c := range nx {
		tx += c
		if c != ny[n] {
			ds = append(ds, d{n, c - ny[n]})
		}
	}
	for n, c := range ny {
		ty += c
		if _, ok := nx[n]; !ok {
			ds = append(ds, d{n, -c})
		}
	}
	sort.Slice(ds, func(i, j int) bool {
		ai, aj := abs(float64(ds[i].n)), abs(float64(ds[j].n))
		return ai > aj || ai == aj && ds[i].name < ds[j].name
	})
	out := fmt.Sprintf("%d − %d = %+d", tx, ty, tx-ty)
	for i, e := range ds {
		if i == 10 {
			out += fmt.Sprintf(", and %d more metrics", len(ds)-i)
			break
		}
		sep := ": "
		if i > 0 {
			sep = ", "
		}
		out += fmt.Sprintf("%s%s %+d", sep, e.name, e.n)
	}
	return out
}

func (r *report) print() {
	o := r.o
	fmt.Printf("command: go run ./bench/remotewrite %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("machine: %s\n", machine())
	fmt.Printf("versions: mihari %s, %s; Prometheus %s (%s)\n", mihariVersion(r.bin, o.mihari == ""), runtime.Version(), r.promVersion, goVersionOf(o.prom))
	queue := "the same queue settings for both senders, mihari's (capacity 10000, max_samples_per_send 2000, batch_send_deadline 5s, 1 to 50 shards, no metadata)"
	if o.promDefaults {
		queue = "each sender with its own defaults (-prometheus-defaults)"
	}
	pprof := ""
	if o.profile {
		pprof = " and --web.enable-pprof"
	}
	fmt.Printf("setup: every mihari runs `mihari serve --interval=%s` with the default collectors (host, process, cgroup) and rule pack, "+
		"--investigate.on-alert=%s; Prometheus relabels instance to the host name, so both send the same series with the same labels; %s; "+
		"the sink is a handler in this bench decoding every request (snappy, prompb.WriteRequest)\n", o.interval, pprof, queue)
	fmt.Printf("measured over %s after %s of warm-up; CPU is user+system from /proc/PID/stat, context switches (voluntary ones are wake-ups) from /proc/PID/task/*/status\n\n",
		r.elapsed.Round(time.Second), o.warmup)

	secs := r.elapsed.Seconds()
	fmt.Println("| process | runs | CPU s/min | % of a CPU | user s/min | sys s/min | context switches/s | samples sent/s | series (distinct, whole run) | requests/min | wire bytes/sample | uncompressed bytes/sample |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range r.procs {
		c := r.cpu(p)
		sent := "| - | - | - | - | -"
		if p.sink != "" {
			s := r.sent(p)
			sent = fmt.Sprintf("| %.1f | %d | %.1f | %s | %s", float64(s.samples)/secs, s.distinct, float64(s.requests)/r.elapsed.Minutes(),
				ratio(float64(s.body), float64(s.samples)), ratio(float64(s.raw), float64(s.samples)))
		}
		fmt.Printf("| %s | %s | %.3f | %.2f%% | %.3f | %.3f | %.1f %s |\n", p.key, p.runs, r.perMin(c.Total()), c.Total()/secs*100,
			r.perMin(c.User), r.perMin(c.System), float64(p.sw1-p.sw0)/secs, sent)
	}
	fmt.Printf("\nthe sink (this bench) used %.3f CPU s/min decoding and counting all three\n", r.perMin(r.self))
	fmt.Printf("series sent (distinct, over the whole run), A − C by metric name: %s\n\n", r.seriesDiff("a", "c"))

	fmt.Println("cross-check over the window: the sink's counts against each sender's own (prometheus_remote_storage_*; mihari's from /metrics/internal)")
	fmt.Println()
	fmt.Println("| sender | samples at the sink | samples_total | wire bytes at the sink | bytes_total | failed | retried | dropped | requests rejected | metadata entries |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range r.procs {
		if p.sink == "" {
			continue
		}
		s, c := r.sent(p), p.snd1.sub(p.snd0)
		fmt.Printf("| %s | %d | %.0f | %d | %.0f | %.0f | %.0f | %.0f | %d | %d |\n", p.key, s.samples, c.samples, s.body, c.bytes,
			c.failed, c.retried, c.dropped, s.errors, s.metadata)
	}

	dMean := (r.cpu(r.d).Total() + r.cpu(r.d2).Total()) / 2
	noise := abs(r.cpu(r.d).Total() - r.cpu(r.d2).Total())
	rw := r.cpu(r.a).Total() - dMean
	agent := r.cpu(r.c).Total()
	serving := r.cpu(r.b).Total() - dMean
	pipeline := agent + serving
	aSent, cSent := r.sent(r.a), r.sent(r.c)
	perSample := func(cpu float64, s counts) string {
		if s.samples == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f µs", cpu/float64(s.samples)*1e6)
	}
	fmt.Println()
	fmt.Println("| cost of sending this host's samples | CPU s/min | per sample sent |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| mihari's remote write: A − mean(D, D′) | %.3f | %s |\n", r.perMin(rw), perSample(rw, aSent))
	fmt.Printf("| noise floor: D − D′, two identical processes | ±%.3f | |\n", r.perMin(noise))
	fmt.Printf("| Prometheus agent: C (scrape, parse, WAL, send) | %.3f | %s |\n", r.perMin(agent), perSample(agent, cSent))
	fmt.Printf("| B serving C's scrapes: B − mean(D, D′) | %.3f | |\n", r.perMin(serving))
	fmt.Printf("| Prometheus pipeline: C + (B − mean(D, D′)) | %.3f | %s |\n", r.perMin(pipeline), perSample(pipeline, cSent))
	if r.a2 != nil {
		a2 := r.cpu(r.a2).Total()
		fmt.Printf("| mihari --storage.agent, all of it: A2 (collect, WAL, send) | %.3f | %s |\n", r.perMin(a2), perSample(a2, r.sent(r.a2)))
	}
	fmt.Println()
	band := func(x, lo, hi, of float64) string {
		return fmt.Sprintf("%.2f (%.2f to %.2f with the noise floor)", x/of, lo/of, hi/of)
	}
	verdict := "not met"
	if rw+noise <= 0.5*agent {
		verdict = "met"
	} else if rw <= 0.5*agent {
		verdict = "met, within the noise"
	}
	fmt.Printf("mihari's remote write / Prometheus agent: %s; target <= 0.50: %s\n", band(rw, rw-noise, rw+noise, agent), verdict)
	fmt.Printf("mihari's remote write / Prometheus pipeline: %s\n", band(rw, rw-noise, rw+noise, pipeline))
	if aSent.samples > 0 && cSent.samples > 0 {
		as, cs := float64(aSent.samples), float64(cSent.samples)
		fmt.Printf("per sample sent, mihari's remote write / Prometheus agent: %.2f\n", (rw/as)/(agent/cs))
		fmt.Printf("wire bytes per sample, mihari / Prometheus: %.3f / %.3f = %.2f (uncompressed %.1f / %.1f)\n",
			float64(aSent.body)/as, float64(cSent.body)/cs, (float64(aSent.body)/as)/(float64(cSent.body)/cs),
			float64(aSent.raw)/as, float64(cSent.raw)/cs)
	}
	if r.a2 != nil {
		a2 := r.cpu(r.a2).Total()
		fmt.Printf("mihari --storage.agent (all of it, collecting included) / Prometheus pipeline: %.2f\n", a2/pipeline)
		if a2s := r.sent(r.a2); a2s.samples > 0 {
			fmt.Printf("wire bytes per sample, mihari --storage.agent: %.3f\n", float64(a2s.body)/float64(a2s.samples))
		}
	}
	if o.profile {
		r.printProfiles()
	}
}

// buckets are where a process's CPU goes: a sample is counted in the
// first bucket any frame of its stack matches.
var buckets = []struct {
	name     string
	patterns []string
}{
	{"remote write: WAL watcher, queue, encoding, snappy", []string{"prometheus/storage/remote.", "wlog.(*Watcher)", "wal.(*Watcher)"}},
	{"HTTP client connections (mihari: remote write's; Prometheus: scrapes' and remote write's)", []string{"net/http.(*persistConn)", "net/http.(*Transport)"}},
	{"scrape: HTTP request, parse, relabel, append to the WAL (Prometheus)", []string{"prometheus/scrape."}},
	{"collect (mihari)", []string{"mihari/internal/collect"}},
	{"store: append, WAL, head, compaction", []string{"prometheus/tsdb", "mihari/internal/store"}},
	{"rules, queries", []string{"prometheus/rules.", "prometheus/promql."}},
	{"HTTP serving (B: C's scrapes; all: /metrics, pprof)", []string{"net/http.(*conn).serve"}},
	{"GC", []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
}

func bucketOf(s *profile.Sample) int {
	for i, b := range buckets {
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function == nil {
					continue
				}
				for _, pat := range b.patterns {
					if strings.Contains(ln.Function.Name, pat) {
						return i
					}
				}
			}
		}
	}
	return len(buckets) // other: the scheduler, timers, syscalls of no part above
}

// cpuValue is the index of the cpu/nanoseconds values of a Go CPU profile.
func cpuValue(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			return i
		}
	}
	return len(p.SampleType) - 1
}

func (r *report) printProfiles() {
	var profiled []*proc
	for _, p := range r.procs {
		if p.prof != nil {
			profiled = append(profiled, p)
		}
	}
	if len(profiled) == 0 {
		return
	}
	fmt.Println()
	fmt.Print("where the CPU goes, from Go CPU profiles (CPU ms per second; a sample is 10 ms of CPU): every mihari over the window")
	if r.c.prof != nil {
		fmt.Printf("; C over %s after it, not during (profiling it would add to its cost)", r.o.profileProm)
	}
	fmt.Println()
	fmt.Println()
	head, sep := "| part |", "|---|"
	for _, p := range profiled {
		head += " " + p.key + " |"
		sep += "---|"
	}
	fmt.Println(head)
	fmt.Println(sep)
	type agg struct {
		by      []float64
		total   float64
		samples int64
		secs    float64
	}
	aggs := make([]agg, len(profiled))
	for i, p := range profiled {
		a := agg{by: make([]float64, len(buckets)+1), secs: float64(p.prof.DurationNanos) / 1e9}
		vi := cpuValue(p.prof)
		for _, s := range p.prof.Sample {
			ns := float64(s.Value[vi])
			a.by[bucketOf(s)] += ns
			a.total += ns
			a.samples += s.Value[0]
		}
		aggs[i] = a
	}
	msPerSec := func(a agg, ns float64) string { return fmt.Sprintf("%.2f", ns/1e6/a.secs) }
	for bi := range len(buckets) + 1 {
		name := "other (scheduler, timers, runtime)"
		if bi < len(buckets) {
			name = buckets[bi].name
		}
		row := "| " + name + " |"
		for _, a := range aggs {
			row += " " + msPerSec(a, a.by[bi]) + " |"
		}
		fmt.Println(row)
	}
	row, row2, row3 := "| total in the profile |", "| CPU from /proc/PID/stat over the same time |", "| samples |"
	for i, a := range aggs {
		row += " " + msPerSec(a, a.total) + " |"
		row2 += fmt.Sprintf(" %.2f |", profiled[i].profCPU/profiled[i].profSecs*1e3)
		row3 += fmt.Sprintf(" %d |", a.samples)
	}
	fmt.Println(row)
	fmt.Println(row2)
	fmt.Println(row3)

	for _, p := range []*proc{r.a, r.c} {
		if p.prof != nil {
			topInRemoteWrite(p)
		}
	}
}

// topInRemoteWrite prints the functions under which p's remote write
// (the first bucket) spends its time, by their cumulative share.
func topInRemoteWrite(p *proc) {
	cum := map[string]float64{}
	var total float64
	vi := cpuValue(p.prof)
	for _, s := range p.prof.Sample {
		if bucketOf(s) != 0 {
			continue
		}
		ns := float64(s.Value[vi])
		total += ns
		seen := map[string]bool{}
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function == nil || seen[ln.Function.Name] {
					continue
				}
				seen[ln.Function.Name] = true
				cum[ln.Function.Name] += ns
			}
		}
	}
	if total == 0 {
		return
	}
	type fn struct {
		name string
		ns   float64
	}
	var fns []fn
	for n, ns := range cum {
		if strings.HasPrefix(n, "runtime.") || strings.HasPrefix(n, "internal/") {
			continue
		}
		fns = append(fns, fn{n, ns})
	}
	sort.Slice(fns, func(i, j int) bool {
		return fns[i].ns > fns[j].ns || fns[i].ns == fns[j].ns && fns[i].name < fns[j].name
	})
	fmt.Printf("\n%s's remote write (%.0f ms of CPU in the profile), by function, cumulative share:\n", p.key, total/1e6)
	for _, f := range fns[:min(12, len(fns))] {
		fmt.Printf("  %5.1f%%  %s\n", f.ns/total*100, f.name)
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a/b)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// machine names the host: its name, kernel, CPUs and distribution.
func machine() string {
	var u unix.Utsname
	unix.Uname(&u)
	s := fmt.Sprintf("%s, %s %s %s, %d CPUs", unix.ByteSliceToString(u.Nodename[:]), unix.ByteSliceToString(u.Sysname[:]),
		unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:]), runtime.NumCPU())
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				s += " (" + strings.TrimSpace(v) + ")"
				break
			}
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				s += ", " + strings.Trim(v, `"`)
			}
		}
	}
	return s
}

// mihariVersion is what mihari version says, and the commit it was built
// from when the bench built it.
func mihariVersion(bin string, built bool) string {
	out, _ := exec.Command(bin, "version").Output()
	v := "?"
	if f := strings.Fields(string(out)); len(f) > 2 {
		v = strings.TrimSuffix(f[2], ",")
	}
	if built {
		if rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
			v += " (the working tree at " + strings.TrimSpace(string(rev)) + ")"
		}
	}
	return v
}

// goVersionOf is the Go version a binary was built with.
func goVersionOf(bin string) string {
	out, err := exec.Command("go", "version", bin).Output()
	if err != nil {
		return "Go ?"
	}
	f := strings.Fields(string(out))
	return "built with " + f[len(f)-1]
}
