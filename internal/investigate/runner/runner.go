// Package runner runs `mihari investigate` from `mihari serve` when an
// alert fires: one investigation at a time, rate-limited, as a child
// process with a CPU budget of its own, its report kept under the data
// directory and served by the agent's HTTP API; the alerts sent afterwards
// link to it.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	promrules "github.com/prometheus/prometheus/rules"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/investigate"
)

// Defaults of `mihari serve --investigate.*`.
const (
	DefaultDuration       = 10 * time.Second
	DefaultCPUBudget      = 10 * time.Second
	DefaultMinInterval    = 10 * time.Minute
	DefaultRetentionCount = 100
	DefaultRetentionTime  = 7 * 24 * time.Hour
	// WallMargin is how much longer than its profiling window a run may
	// take before it is killed: sampling the host, timing files and
	// writing the report come on top of the window.
	WallMargin = 2 * time.Minute
	// Nice is the child's scheduling priority: below the workloads it
	// looks at, so that an investigation on a busy host takes its CPU
	// from idle time first.
	Nice = 10
)

// DefaultAlerts are the alerts of the default rule pack about CPU, which
// an investigation explains.
var DefaultAlerts = []string{"HostCPUUsageHigh", "HostSystemCPUHigh", "ProcessGroupSystemCPUHigh"}

// Results of a trigger, the result label of mihari_investigations_total.
const (
	resultDone        = StatusDone
	resultFailed      = StatusFailed
	resultKilled      = StatusKilled
	resultDropped     = "dropped"
	resultRateLimited = "rate_limited"
)

// stderrTail is how much of a child's standard error is kept.
const stderrTail = 4 << 10

// Options configure a Runner.
type Options struct {
	// Dir holds the investigations: <storage.path>/investigations. It
	// is created if missing.
	Dir string
	// Alerts are the alert names that start an investigation; none
	// starts one when empty.
	Alerts []string
	// Duration is the child's profiling and tracing window (--duration).
	Duration time.Duration
	// CPUBudget is the CPU time (user and system) a run may use before
	// the kernel kills it (RLIMIT_CPU, whole seconds, at least one).
	CPUBudget time.Duration
	// WallTimeout is the wall time after which a run is killed; 0 for
	// Duration plus WallMargin.
	WallTimeout time.Duration
	// MinInterval is the least time between the starts of two runs.
	MinInterval time.Duration
	// RetentionCount and RetentionTime bound the investigations kept.
	RetentionCount int
	RetentionTime  time.Duration
	// ExternalURL is where the agent is reached, for the links in alerts.
	ExternalURL *url.URL
	// AgentURL is where the child asks this agent for the recent past
	// (--agent); "" for nowhere.
	AgentURL string
	// Args are added to the child's command line: the agent's --path.*
	// flags, so that it reads the same host.
	Args []string
	// Command makes the child's command from its arguments (without the
	// program's name); nil runs this executable. Tests run a fake.
	Command    func(args []string) *exec.Cmd
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Runner starts investigations for alerts and keeps their reports.
type Runner struct {
	o    Options
	dir  dir
	on   map[string]bool
	log  *slog.Logger
	now  func() time.Time
	wall time.Duration

	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu        sync.Mutex
	running   string                  // the ID of the run in progress, if any
	output    *tailWriter             // the end of its standard error
	lastStart time.Time               // of the latest run, for MinInterval
	seen      map[uint64]*seenAlert   // firing alerts, by their labels' hash
	byLabels  map[uint64]*linkedAlert // the latest investigation of each alert

	results *prometheus.CounterVec
	active  prometheus.Gauge
	cpu     prometheus.Counter
}

// seenAlert is a firing alert already considered; a new episode of it
// (pending again, then firing) has another ActiveAt.
type seenAlert struct {
	activeAt, lastSeen time.Time
}

// linkedAlert is the investigation an alert's notifications link to.
type linkedAlert struct {
	id      string
	started time.Time
}

// forgetAfter is how long a firing alert that is no longer notified is
// remembered: the rule manager resends a firing alert every minute, so an
// alert silent this long was removed with its rule.
const forgetAfter = time.Hour

// New opens (creates) the directory, marks the runs a crashed agent left
// "running" as failed, applies the retention, and returns a Runner that
// starts investigations when Notify sees their alerts fire.
func New(o Options) (*Runner, error) {
	if o.Dir == "" {
		return nil, errors.New("investigations: no directory")
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.CPUBudget <= 0 {
		o.CPUBudget = DefaultCPUBudget
	}
	if o.RetentionCount <= 0 {
		o.RetentionCount = DefaultRetentionCount
	}
	if o.RetentionTime <= 0 {
		o.RetentionTime = DefaultRetentionTime
	}
	if o.ExternalURL == nil {
		o.ExternalURL = &url.URL{Scheme: "http", Host: "localhost"}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Command == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("investigations: finding mihari's own executable: %w", err)
		}
		o.Command = func(args []string) *exec.Cmd { return exec.Command(exe, args...) }
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the investigations directory: %w", err)
	}
	r := &Runner{
		o:        o,
		dir:      dir(o.Dir),
		on:       map[string]bool{},
		log:      o.Logger,
		now:      time.Now,
		wall:     o.WallTimeout,
		seen:     map[uint64]*seenAlert{},
		byLabels: map[uint64]*linkedAlert{},
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mihari_investigations_total",
			Help: "Investigations triggered, by what triggered them and how they ended: done (a report was written), failed, killed (CPU budget or wall-clock timeout), dropped (another was running), rate_limited (--investigate.min-interval).",
		}, []string{"trigger", "result"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mihari_investigation_running",
			Help: "1 while an investigation runs, else 0.",
		}),
		cpu: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mihari_investigation_cpu_seconds_total",
			Help: "CPU time (user and system) used by the investigations' child processes.",
		}),
	}
	if r.wall <= 0 {
		r.wall = o.Duration + WallMargin
	}
	for _, a := range o.Alerts {
		if a = strings.TrimSpace(a); a != "" {
			r.on[a] = true
		}
	}
	for _, res := range []string{resultDone, resultFailed, resultKilled, resultDropped, resultRateLimited} {
		r.results.WithLabelValues("alert", res)
	}
	if o.Registerer != nil {
		if err := o.Registerer.Register(r.results); err != nil {
			return nil, err
		}
		o.Registerer.MustRegister(r.active, r.cpu)
	}
	r.ctx, r.stop = context.WithCancel(context.Background())
	r.recover()
	r.prune()
	return r, nil
}

// recover marks the runs left "running" by an agent that stopped without
// finishing them (a crash, a kill -9) as failed, and learns which alerts
// have investigations and when the latest started.
func (r *Runner) recover() {
	metas, errs := r.dir.list()
	for _, err := range errs {
		r.log.Warn("skipping an unreadable investigation", "err", err)
	}
	now := r.now()
	for _, m := range metas {
		if m.Status == StatusRunning {
			m.Status = StatusFailed
			m.Finished = now
			m.Error = "the agent stopped while it ran (a crash or a kill); its report may be missing or partial"
			if err := r.dir.writeMeta(m); err != nil {
				r.log.Error("marking an interrupted investigation failed", "id", m.ID, "err", err)
			}
			r.log.Warn("an investigation was interrupted by the agent's stop; marked failed", "id", m.ID)
		}
		h := labels.FromMap(m.Trigger).Hash()
		if l := r.byLabels[h]; l == nil || m.Started.After(l.started) {
			r.byLabels[h] = &linkedAlert{id: m.ID, started: m.Started}
		}
		if m.Started.After(r.lastStart) {
			r.lastStart = m.Started
		}
	}
}

// prune applies the retention and forgets the links of what it removed.
func (r *Runner) prune() {
	removed, errs := r.dir.prune(r.now(), r.o.RetentionCount, r.o.RetentionTime, r.wall+time.Minute)
	for _, err := range errs {
		r.log.Warn("pruning investigations", "err", err)
	}
	if len(removed) == 0 {
		return
	}
	r.log.Info("pruned old investigations", "count", len(removed), "keep_count", r.o.RetentionCount, "keep_time", r.o.RetentionTime)
	gone := map[string]bool{}
	for _, id := range removed {
		gone[id] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for h, l := range r.byLabels {
		if gone[l.id] {
			delete(r.byLabels, h)
		}
	}
}

// Notify considers the alerts the rule manager sends: an alert named in
// Options.Alerts that fires for the first time (by its labels, in this
// episode: a new ActiveAt is a new episode) starts an investigation,
// unless one is running or one started less than MinInterval ago. It
// never blocks on the investigation: the ID is assigned, the run goes on
// in the background, and Annotate links to it at once.
func (r *Runner) Notify(alerts ...*promrules.Alert) {
	if len(r.on) == 0 {
		return
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for h, s := range r.seen {
		if now.Sub(s.lastSeen) > forgetAfter {
			delete(r.seen, h)
		}
	}
	for _, al := range alerts {
		if !r.on[al.Labels.Get(labels.AlertName)] {
			continue
		}
		h := al.Labels.Hash()
		if al.State != promrules.StateFiring {
			// Resolved (or back to pending after a reload): the next
			// firing is a new episode.
			delete(r.seen, h)
			continue
		}
		if s := r.seen[h]; s != nil && s.activeAt.Equal(al.ActiveAt) {
			s.lastSeen = now
			continue
		}
		r.seen[h] = &seenAlert{activeAt: al.ActiveAt, lastSeen: now}
		// An agent restarted while the alert fired sees it anew (the
		// rule manager restores ActiveAt); it was investigated if a run
		// started after it became active.
		if l := r.byLabels[h]; l != nil && !al.ActiveAt.IsZero() && !l.started.Before(al.ActiveAt) {
			continue
		}
		r.trigger(al, h, now)
	}
}

// trigger starts an investigation of al, if it may; r.mu is held.
func (r *Runner) trigger(al *promrules.Alert, h uint64, now time.Time) {
	name := al.Labels.Get(labels.AlertName)
	switch {
	case r.running != "":
		r.results.WithLabelValues("alert", resultDropped).Inc()
		r.log.Info("not investigating an alert: an investigation is running", "alert", al.Labels.String(), "running", r.running)
		return
	case !r.lastStart.IsZero() && now.Sub(r.lastStart) < r.o.MinInterval:
		r.results.WithLabelValues("alert", resultRateLimited).Inc()
		r.log.Info("not investigating an alert: the previous investigation started less than --investigate.min-interval ago",
			"alert", al.Labels.String(), "previous", r.lastStart, "min_interval", r.o.MinInterval)
		return
	}
	m := &Meta{
		ID:      newID(now, name),
		Status:  StatusRunning,
		Trigger: al.Labels.Map(),
		Alert:   TriggerAlert{Annotations: al.Annotations.Map(), ActiveAt: al.ActiveAt, FiredAt: al.FiredAt},
		Started: now,
	}
	if err := r.start(m, al); err != nil {
		r.results.WithLabelValues("alert", resultFailed).Inc()
		r.log.Error("starting an investigation", "alert", al.Labels.String(), "err", err)
		return
	}
	r.running, r.lastStart = m.ID, now
	r.byLabels[h] = &linkedAlert{id: m.ID, started: now}
	r.active.Set(1)
	r.log.Info("investigating an alert", "alert", al.Labels.String(), "id", m.ID, "url", r.URL(m.ID))
}

// start writes the alert for the child and the meta, and runs the child
// in the background.
func (r *Runner) start(m *Meta, al *promrules.Alert) error {
	payload, err := webhookPayload(al, r.o.ExternalURL.String())
	if err != nil {
		return err
	}
	if err := writeAtomic(r.dir.alertPath(m.ID), payload); err != nil {
		return fmt.Errorf("writing the alert for the child: %w", err)
	}
	if err := r.dir.writeMeta(m); err != nil {
		os.Remove(r.dir.alertPath(m.ID))
		return err
	}
	r.wg.Add(1)
	go r.run(m)
	return nil
}

// StartManual starts an investigation of the host, or of one process when
// pid is positive, as a person asked in the web UI: one at a time like the
// others, but not held back by --investigate.min-interval, which keeps
// alerts from starting one after another.
func (r *Runner) StartManual(pid int) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != "" {
		return "", fmt.Errorf("investigation %s is running: wait for it to finish", r.running)
	}
	now := r.now()
	lbls := map[string]string{labels.AlertName: "manual"}
	if pid > 0 {
		lbls["pid"] = strconv.Itoa(pid)
	}
	al := &promrules.Alert{State: promrules.StateFiring, Labels: labels.FromMap(lbls), ActiveAt: now, FiredAt: now}
	m := &Meta{ID: newID(now, "manual"), Status: StatusRunning, Trigger: lbls, Manual: true, Started: now}
	if err := r.start(m, al); err != nil {
		r.results.WithLabelValues("manual", resultFailed).Inc()
		return "", err
	}
	r.running = m.ID
	r.active.Set(1)
	r.log.Info("investigating, as asked in the web UI", "id", m.ID, "pid", pid)
	return m.ID, nil
}

// Progress is the step the investigation id is at, while it runs, as
// mihari investigate --progress printed it last.
func (r *Runner) Progress(id string) (step string, running bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != id {
		return "", false
	}
	if r.output != nil {
		out := r.output.String()
		if i := strings.LastIndex(out, "progress: "); i >= 0 {
			step, _, _ = strings.Cut(out[i+len("progress: "):], "\n")
		}
	}
	return step, true
}

// List returns the investigations kept, newest first.
func (r *Runner) List() []*Meta {
	ms, _ := r.dir.list()
	return ms
}

// Get returns an investigation's record.
func (r *Runner) Get(id string) (*Meta, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("%q is not an investigation ID", id)
	}
	return r.dir.readMeta(id)
}

// newID is a time-sortable ID: 20261203T101500Z-HostSystemCPUHigh-3f9a.
func newID(t time.Time, alertname string) string {
	name := []byte(alertname)
	for i, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			name[i] = '-'
		}
	}
	if len(name) > 64 {
		name = name[:64]
	}
	if len(name) == 0 {
		name = []byte("alert")
	}
	var b [2]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + string(name) + "-" + hex.EncodeToString(b[:])
}

// URL is the absolute link to an investigation's HTML page.
func (r *Runner) URL(id string) string {
	return r.o.ExternalURL.String() + "/api/v1/investigations/" + id + "?format=html"
}

// Annotate returns the link to the latest investigation of the alert with
// these labels, for its "investigation" annotation; ok is false when it has
// none.
func (r *Runner) Annotate(lset labels.Labels) (link string, ok bool) {
	r.mu.Lock()
	l := r.byLabels[lset.Hash()]
	r.mu.Unlock()
	if l == nil {
		return "", false
	}
	return r.URL(l.id), true
}

// Stop kills a run in progress (its meta says so) and waits for it.
func (r *Runner) Stop() {
	r.stop()
	r.wg.Wait()
}

// result is how a child ended.
type result struct {
	status string
	err    string
	stderr string
	cpu    float64
}

// run runs one investigation to its end and records it.
func (r *Runner) run(m *Meta) {
	defer r.wg.Done()
	res := r.execute(m)
	m.Status, m.Error, m.CPUSeconds = res.status, res.err, res.cpu
	if res.status != StatusDone {
		m.Stderr = res.stderr
	}
	if res.status == StatusDone {
		if err := r.summarize(m); err != nil {
			m.Status, m.Error, m.Stderr = StatusFailed, err.Error(), res.stderr
		}
	}
	m.Finished = r.now()
	if err := r.dir.writeMeta(m); err != nil {
		r.log.Error("recording an investigation's end", "id", m.ID, "err", err)
	}
	os.Remove(r.dir.alertPath(m.ID))
	r.cpu.Add(res.cpu)
	trigger := "alert"
	if m.Manual {
		trigger = "manual"
	}
	r.results.WithLabelValues(trigger, m.Status).Inc()
	log := r.log.Info
	if m.Status != StatusDone {
		log = r.log.Warn
	}
	log("investigation finished", "id", m.ID, "status", m.Status, "err", m.Error,
		"seconds", m.Finished.Sub(m.Started).Round(time.Millisecond).Seconds(), "cpu_seconds", res.cpu, "summary", m.Summary)

	r.mu.Lock()
	r.running, r.output = "", nil
	r.active.Set(0)
	r.mu.Unlock()
	r.prune()
}

// summarize copies the report's conclusion into the meta.
func (r *Runner) summarize(m *Meta) error {
	b, err := os.ReadFile(r.dir.reportPath(m.ID))
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("mihari investigate exited successfully but wrote no report")
	}
	if err != nil {
		return err
	}
	var rep investigate.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("the report is not valid JSON: %w", err)
	}
	m.Summary, m.Confidence = rep.Conclusion.Summary, rep.Conclusion.Confidence
	m.Cause = &rep.Conclusion.Cause
	return nil
}

// args is the child's command line, after the program's name.
func (r *Runner) args(id string) []string {
	args := []string{"investigate",
		"--format", "json",
		"-o", r.dir.reportPath(id),
		"--id", id,
		"--from-alert", r.dir.alertPath(id),
		"--agent", r.o.AgentURL,
		"--duration", r.o.Duration.String(),
		"--progress",
	}
	return append(args, r.o.Args...)
}

// budgetSeconds is the CPU budget as RLIMIT_CPU takes it: whole seconds,
// rounded up, at least one.
func (r *Runner) budgetSeconds() uint64 {
	return uint64(max(1, math.Ceil(r.o.CPUBudget.Seconds())))
}

// execute runs the child: at nice 10, with RLIMIT_CPU at the budget, killed
// after the wall timeout or when the runner stops.
func (r *Runner) execute(m *Meta) result {
	cmd := r.o.Command(r.args(m.ID))
	tail := &tailWriter{max: stderrTail}
	cmd.Stdout, cmd.Stderr = nil, tail
	r.mu.Lock()
	r.output = tail
	r.mu.Unlock()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The child dies with the agent, rather than run on unbudgeted by
	// anyone's timeout: the kernel sends the signal when the thread that
	// started it ends, and that thread waits for the child (startNiced).
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	// Its own process group, so that a terminal's ^C to the agent is not
	// also the child's: the agent stops it itself.
	cmd.SysProcAttr.Setpgid = true

	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			r.startNiced(cmd, started, done)
			return
		}
		// The main thread outlives a goroutine locked to it (Go parks it
		// for good), and its nice is what ps shows of the agent: fork from
		// another thread, which this lock keeps off the main one.
		defer runtime.UnlockOSThread()
		end := make(chan struct{})
		go func() {
			defer close(end)
			r.startNiced(cmd, started, done)
		}()
		<-end
	}()
	if err := <-started; err != nil {
		return result{status: StatusFailed, err: "starting mihari investigate: " + err.Error(), stderr: tail.String()}
	}

	var killedFor string
	timer := time.NewTimer(r.wall)
	defer timer.Stop()
	var werr error
	select {
	case werr = <-done:
	case <-timer.C:
		killedFor = fmt.Sprintf("killed after the wall-clock timeout of %v (--investigate.duration plus %v)", r.wall, WallMargin)
		cmd.Process.Kill()
		werr = <-done
	case <-r.ctx.Done():
		killedFor = "killed: the agent stopped"
		cmd.Process.Kill()
		werr = <-done
	}
	res := result{stderr: tail.String()}
	st := cmd.ProcessState
	if st == nil {
		return result{status: StatusFailed, err: "waiting for mihari investigate: " + fmt.Sprint(werr), stderr: res.stderr}
	}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	ws, _ := st.Sys().(syscall.WaitStatus)
	switch {
	case killedFor != "":
		res.status, res.err = StatusKilled, killedFor
	case ws.Signaled() && (ws.Signal() == syscall.SIGKILL || ws.Signal() == syscall.SIGXCPU) && res.cpu >= 0.9*float64(r.budgetSeconds()):
		res.status = StatusKilled
		res.err = fmt.Sprintf("killed by the kernel after its CPU budget of %ds (--investigate.cpu-budget) was used", r.budgetSeconds())
	case ws.Signaled():
		res.status, res.err = StatusFailed, "mihari investigate was killed by signal "+ws.Signal().String()
	case st.ExitCode() != 0:
		res.status, res.err = StatusFailed, fmt.Sprintf("mihari investigate exited with status %d%s", st.ExitCode(), lastLine(res.stderr))
	default:
		res.status = StatusDone
	}
	return res
}

// startNiced starts cmd at nice 10 with its CPU budget, tells started,
// then waits for it and tells done. It ends its goroutine's thread.
//
// Nice is per thread on Linux and a child inherits the nice of the thread
// that forks it. So this goroutine keeps its thread, lowers that thread's
// priority, forks from it and waits on it; returning without unlocking
// ends the thread, so the lowered priority does not leak into the agent's
// other goroutines. (Lowering is allowed without privilege; raising it
// back would not be.) The thread waiting for the child is also what makes
// Pdeathsig work: it is sent when the forking thread ends.
func (r *Runner) startNiced(cmd *exec.Cmd, started, done chan<- error) {
	runtime.LockOSThread()
	tid := unix.Gettid()
	// The raw system call returns 20 - nice.
	if prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil && 20-prio < Nice {
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, Nice); err != nil {
			r.log.Warn("lowering the investigation's priority", "err", err)
		}
	}
	if err := cmd.Start(); err != nil {
		started <- err
		return
	}
	// RLIMIT_CPU is set right after the start, while the child already
	// runs. The race is harmless: the limit is checked against all the
	// CPU the process has used since it started, so what it used before
	// the call counts against the budget too, and the pid cannot be
	// another process's, since the child is not reaped before Wait below.
	// Cur equals Max: at the limit the kernel sends SIGKILL (Go ignores
	// the SIGXCPU a lower soft limit would send first).
	secs := r.budgetSeconds()
	if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_CPU, &unix.Rlimit{Cur: secs, Max: secs}, nil); err != nil && !errors.Is(err, unix.ESRCH) {
		cmd.Process.Kill()
		cmd.Wait()
		started <- fmt.Errorf("setting the CPU budget (RLIMIT_CPU): %w", err)
		return
	}
	started <- nil
	done <- cmd.Wait()
}

// lastLine is ": " and the last non-empty line of s, or "".
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return ": " + s
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// webhookPayload is the alert as Alertmanager posts it to a webhook
// receiver, which `mihari investigate --from-alert` reads.
func webhookPayload(al *promrules.Alert, externalURL string) ([]byte, error) {
	type alert struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
		EndsAt      time.Time         `json:"endsAt"`
	}
	lbls, ann := al.Labels.Map(), al.Annotations.Map()
	return json.MarshalIndent(struct {
		Receiver          string            `json:"receiver"`
		Status            string            `json:"status"`
		Alerts            []alert           `json:"alerts"`
		GroupLabels       map[string]string `json:"groupLabels"`
		CommonLabels      map[string]string `json:"commonLabels"`
		CommonAnnotations map[string]string `json:"commonAnnotations"`
		ExternalURL       string            `json:"externalURL"`
		Version           string            `json:"version"`
		GroupKey          string            `json:"groupKey"`
	}{
		Receiver:          "mihari",
		Status:            "firing",
		Alerts:            []alert{{Status: "firing", Labels: lbls, Annotations: ann, StartsAt: al.FiredAt.UTC()}},
		GroupLabels:       map[string]string{},
		CommonLabels:      lbls,
		CommonAnnotations: ann,
		ExternalURL:       externalURL,
		Version:           "4",
		GroupKey:          "{}:{}",
	}, "", "  ")
}
