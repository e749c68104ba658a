package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/cost"
	mprofile "github.com/mihari-dev/mihari/internal/profile"
	"github.com/mihari-dev/mihari/internal/top"
	"github.com/mihari-dev/mihari/internal/trace"
)

// HostSampler reads the host's CPU and processes: the first call starts,
// each later one returns the rates since the call before (top.Collector).
type HostSampler interface {
	Next(ctx context.Context) (*top.Frame, error)
}

// Options configure an investigation.
type Options struct {
	Target Target
	Alert  *Alert
	ID     string
	// Window is how long the main suspect is profiled and traced.
	Window time.Duration
	// SampleWindow is how long the host and its processes are watched
	// to find the suspects.
	SampleWindow time.Duration
	// Host reads the host; required.
	Host HostSampler
	// Agent is the base URL of a running mihari, asked for the recent
	// past; "" to ask none.
	Agent string
	// ProfileFile, if set, receives the main suspect's pprof profile.
	ProfileFile string
	// CostFiles is how many of the costliest files are read again and
	// timed; CostTimeout bounds each read.
	CostFiles   int
	CostTimeout time.Duration
	// Progress, if set, is told what the investigation is doing.
	Progress func(msg string)
}

// Defaults.
const (
	DefaultWindow       = 10 * time.Second
	DefaultSampleWindow = 2 * time.Second
	DefaultCostFiles    = 3
	DefaultCostTimeout  = 10 * time.Second
)

// Thresholds of what is abnormal, as fractions of all CPUs (host) or of
// one CPU (processes).
const (
	busyHigh      = 0.75 // host CPU busy
	systemHigh    = 0.30 // host CPU in the kernel
	iowaitHigh    = 0.20
	stealHigh     = 0.10
	suspectCores  = 0.5  // a process this busy is a suspect on any host
	minCores      = 0.05 // below this a process is not worth naming
	kernelHeavy   = 0.5  // a process with this share in the kernel: trace its files
	causeShare    = 0.5  // a file with this share of the reads is the cause
	partShare     = 0.25 // ... the largest part
	readPathShare = 0.3  // samples in the read path for files to explain kernel time
)

// Run investigates; it always returns a report, with what could not be
// done recorded in its steps.
func Run(ctx context.Context, o Options) *Report {
	o.defaults()
	inv := &investigation{o: o, r: &Report{
		Version:       SchemaVersion,
		ID:            o.ID,
		Started:       time.Now().UTC(),
		Target:        o.Target,
		Alert:         o.Alert,
		WindowSeconds: o.Window.Seconds(),
		Suspects:      []Suspect{},
		Steps:         []Step{},
	}}
	inv.r.Hostname, _ = os.Hostname()
	cpu0, wall0 := selfCPU(), time.Now()
	inv.run(ctx)
	inv.r.Finished = time.Now().UTC()
	inv.r.Self.WallSeconds = time.Since(wall0).Seconds()
	inv.r.Self.CPUSeconds = (selfCPU() - cpu0).Seconds()
	inv.r.Self.CPUSecondsOutsideWindow = max(0, inv.r.Self.CPUSeconds-inv.windowCPU.Seconds())
	if inv.r.Conclusion.Evidence == nil {
		inv.r.Conclusion.Evidence = []string{}
	}
	if inv.r.Host.Abnormal == nil {
		inv.r.Host.Abnormal = []string{}
	}
	return inv.r
}

func (o *Options) defaults() {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.SampleWindow <= 0 {
		o.SampleWindow = DefaultSampleWindow
	}
	if o.CostFiles == 0 {
		o.CostFiles = DefaultCostFiles
	}
	if o.CostTimeout <= 0 {
		o.CostTimeout = DefaultCostTimeout
	}
	if o.Target.Mode == "" {
		o.Target.Mode = "auto"
	}
	if o.ID == "" {
		o.ID = NewID(time.Now(), "manual")
	}
}

// NewID makes a report ID that sorts by time: 20261203T101500Z-what-1a2b.
func NewID(t time.Time, what string) string {
	var b [2]byte
	if f, err := os.Open("/dev/urandom"); err == nil {
		f.Read(b[:])
		f.Close()
	}
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, what)
	if clean == "" {
		clean = "x"
	}
	return fmt.Sprintf("%s-%s-%02x%02x", t.UTC().Format("20060102T150405Z"), clean, b[0], b[1])
}

type investigation struct {
	o         Options
	r         *Report
	frame     *top.Frame
	main      *top.Row // the main suspect
	busiest   *top.Row // the busiest process but mihari
	exited    time.Duration
	windowCPU time.Duration
	prof      *profile.Profile
	files     *trace.FilesReport
}

func (inv *investigation) progress(format string, args ...any) {
	if inv.o.Progress != nil {
		inv.o.Progress(fmt.Sprintf(format, args...))
	}
}

// step runs f as the named step and records how it went; f returns a
// reason to skip ("" when it ran) or an error.
func (inv *investigation) step(name string, f func() (skip string, err error)) bool {
	t0 := time.Now()
	skip, err := f()
	s := Step{Name: name, Status: "ok", Seconds: time.Since(t0).Seconds()}
	switch {
	case err != nil:
		s.Status, s.Reason = "failed", err.Error()
		inv.r.Conclusion.Partial = true
	case skip != "":
		s.Status, s.Reason = "skipped", skip
	}
	inv.r.Steps = append(inv.r.Steps, s)
	return s.Status == "ok"
}

func (inv *investigation) skip(name, reason string) {
	inv.r.Steps = append(inv.r.Steps, Step{Name: name, Status: "skipped", Reason: reason})
}

func (inv *investigation) run(ctx context.Context) {
	inv.progress("watching the host's CPU and processes for %v", inv.o.SampleWindow)
	if !inv.step("host", func() (string, error) { return "", inv.host(ctx) }) {
		inv.skip("suspects", "the host could not be read")
		inv.conclude()
		return
	}
	inv.step("recent", func() (string, error) { return inv.recent(ctx) })
	inv.step("suspects", func() (string, error) { return inv.suspects() })
	if inv.main == nil {
		for _, s := range []string{"profile", "files", "cost"} {
			inv.skip(s, "no process to look into")
		}
		inv.conclude()
		return
	}
	inv.deepen(ctx)
	inv.conclude()
}

// host watches the host for SampleWindow: its CPU split now, and every
// process's CPU.
func (inv *investigation) host(ctx context.Context) error {
	if _, err := inv.o.Host.Next(ctx); err != nil {
		return fmt.Errorf("reading the host: %w", err)
	}
	select {
	case <-time.After(inv.o.SampleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	f, err := inv.o.Host.Next(ctx)
	if err != nil {
		return fmt.Errorf("reading the host: %w", err)
	}
	inv.frame = f
	c := f.Host.CPU
	split := CPUSplit{
		User: c.User / 100, Nice: c.Nice / 100, System: c.System / 100, Iowait: c.Iowait / 100,
		IRQ: c.IRQ / 100, SoftIRQ: c.SoftIRQ / 100, Steal: c.Steal / 100, Idle: c.Idle / 100,
	}
	split.Busy = max(0, 1-split.Idle-split.Iowait)
	inv.r.Host.CPUs = f.Host.NCPU
	inv.r.Host.Now = split
	inv.r.Host.NowSeconds = f.Interval.Seconds()
	inv.r.Host.Abnormal = abnormal(split)
	return nil
}

// abnormal says what of a CPU split is out of the ordinary.
func abnormal(s CPUSplit) []string {
	out := []string{}
	if s.Busy >= busyHigh {
		out = append(out, fmt.Sprintf("the CPUs are %s busy", pct(s.Busy)))
	}
	if s.System+s.IRQ+s.SoftIRQ >= systemHigh {
		out = append(out, fmt.Sprintf("%s of all CPU time is in the kernel (system %s, irq %s, softirq %s)",
			pct(s.System+s.IRQ+s.SoftIRQ), pct(s.System), pct(s.IRQ), pct(s.SoftIRQ)))
	}
	if s.Iowait >= iowaitHigh {
		out = append(out, fmt.Sprintf("%s of CPU time waits for I/O", pct(s.Iowait)))
	}
	if s.Steal >= stealHigh {
		out = append(out, fmt.Sprintf("%s of CPU time is stolen by the hypervisor", pct(s.Steal)))
	}
	return out
}

// suspects ranks the processes by CPU and picks the main suspect: the
// target, or in auto mode the busiest process if it is busy enough.
func (inv *investigation) suspects() (string, error) {
	rows := slices.Clone(inv.frame.Rows)
	slices.SortFunc(rows, func(a, b top.Row) int { return cmp.Or(cmp.Compare(b.CPU, a.CPU), cmp.Compare(a.PID, b.PID)) })
	self := os.Getpid()
	var target *top.Row
	for i := range rows {
		switch inv.o.Target.Mode {
		case "pid":
			if rows[i].PID == inv.o.Target.PID {
				target = &rows[i]
			}
		case "name":
			if target == nil && strings.Contains(rows[i].Comm, inv.o.Target.Name) {
				target = &rows[i]
			}
		}
	}
	if inv.o.Target.Mode != "auto" && target == nil {
		return "", fmt.Errorf("no process %s is running", inv.targetString())
	}
	hostBusy := len(inv.r.Host.Abnormal) > 0
	for i := range rows {
		if rows[i].PID != self && inv.busiest == nil {
			inv.busiest = &rows[i]
		}
	}
	for i := range rows {
		row := &rows[i]
		if row.PID == self || (row != target && row.CPU/100 < minCores) || len(inv.r.Suspects) >= 5 {
			continue
		}
		s := suspect(row)
		switch {
		case row == target:
			s.Why = "the target of this investigation; it " + s.Why
		case row.CPU/100 >= suspectCores:
			s.Why = "it " + s.Why + ", more than " + strconv.FormatFloat(suspectCores, 'f', -1, 64) + " of a CPU"
		case hostBusy:
			s.Why = "one of the busiest processes while the host is busy: it " + s.Why
		default:
			s.Why = "the busiest processes, none of them busy: it " + s.Why
		}
		inv.r.Suspects = append(inv.r.Suspects, s)
	}
	// Target first.
	if target != nil {
		i := slices.IndexFunc(inv.r.Suspects, func(s Suspect) bool { return s.PID == target.PID })
		if i > 0 {
			s := inv.r.Suspects[i]
			inv.r.Suspects = slices.Delete(inv.r.Suspects, i, i+1)
			inv.r.Suspects = slices.Insert(inv.r.Suspects, 0, s)
		}
		inv.main = target
		return "", nil
	}
	for i := range rows {
		if rows[i].PID == self {
			continue
		}
		if rows[i].CPU/100 >= suspectCores || (hostBusy && rows[i].CPU/100 >= 0.2) {
			inv.main = &rows[i]
		}
		break
	}
	return "", nil
}

func suspect(row *top.Row) Suspect {
	s := Suspect{
		PID: row.PID, Comm: row.Comm, Cgroup: row.Cgroup, Container: row.Container,
		Cores: row.CPU / 100, UserCores: row.UserCPU / 100, SystemCores: row.SysCPU / 100,
	}
	if s.Container == "-" { // top's "none"
		s.Container = ""
	}
	if s.Cores > 0 {
		s.SystemFraction = s.SystemCores / s.Cores
	}
	s.Why = fmt.Sprintf("uses %.2f cores, %s of it in the kernel", s.Cores, pct(s.SystemFraction))
	return s
}

func (inv *investigation) targetString() string {
	switch inv.o.Target.Mode {
	case "pid":
		return "with pid " + strconv.Itoa(inv.o.Target.PID)
	case "name":
		return "named *" + inv.o.Target.Name + "*"
	}
	return ""
}

// deepen profiles the main suspect and, when its time is in the kernel,
// traces its reads at the same time; then times the costliest files.
func (inv *investigation) deepen(ctx context.Context) {
	m := inv.main
	kernel := m.CPU > 0 && m.SysCPU/m.CPU >= kernelHeavy
	inv.progress("profiling %s (pid %d) for %v%s", m.Comm, m.PID, inv.o.Window, map[bool]string{true: " and tracing its reads", false: ""}[kernel])
	var wg sync.WaitGroup
	var profErr, filesErr error
	var profRes *mprofile.Result
	var profTime, filesTime time.Duration
	cpu0 := selfCPU()
	wg.Go(func() {
		t0 := time.Now()
		profRes, profErr = mprofile.Run(ctx, mprofile.Options{Target: mprofile.Target{PIDs: []int{m.PID}}, Duration: inv.o.Window})
		profTime = time.Since(t0)
	})
	if kernel {
		wg.Go(func() {
			t0 := time.Now()
			tctx, cancel := context.WithTimeout(ctx, inv.o.Window)
			defer cancel()
			inv.files, filesErr = trace.TraceFiles(tctx, trace.Options{Filter: trace.Filter{PID: m.PID, UID: -1}}, nil)
			filesTime = time.Since(t0)
		})
	}
	wg.Wait()
	inv.windowCPU = selfCPU() - cpu0

	st := Step{Name: "profile", Status: "ok", Seconds: profTime.Seconds()}
	switch {
	case profErr != nil:
		st.Status, st.Reason = "failed", profErr.Error()
		if errors.Is(profErr, mprofile.ErrNoProcess) {
			inv.exited = time.Nanosecond
		}
		inv.r.Conclusion.Partial = true
	default:
		inv.prof = profRes.Profile
		inv.r.Profile = summarizeProfile(profRes.Profile, m)
		if inv.o.ProfileFile != "" {
			if err := writeProfile(inv.o.ProfileFile, profRes.Profile); err == nil {
				inv.r.Profile.File = inv.o.ProfileFile
			}
		}
		if profRes.Exited {
			inv.exited = time.Duration(profRes.Profile.DurationNanos)
			st.Reason = fmt.Sprintf("the process exited %.1fs into the profile", inv.exited.Seconds())
			inv.r.Conclusion.Partial = true
		}
	}
	inv.r.Steps = append(inv.r.Steps, st)

	switch {
	case !kernel:
		inv.skip("files", fmt.Sprintf("%s spends %s of its CPU in user space, not in the kernel: files are not where its time goes", m.Comm, pct(1-m.SysCPU/max(m.CPU, 1e-9))))
		inv.skip("cost", "no file was traced")
		return
	case filesErr != nil:
		inv.r.Steps = append(inv.r.Steps, Step{Name: "files", Status: "failed", Reason: filesErr.Error(), Seconds: filesTime.Seconds()})
		inv.r.Conclusion.Partial = true
		inv.skip("cost", "no file was traced")
		return
	}
	inv.r.Files = summarizeFiles(inv.files, m.PID)
	st = Step{Name: "files", Status: "ok", Seconds: filesTime.Seconds()}
	if inv.exited > 0 {
		st.Reason = "the process exited during the trace"
	}
	inv.r.Steps = append(inv.r.Steps, st)
	inv.step("cost", func() (string, error) { return inv.cost(ctx) })
}

// cost reads the costliest files again, in full, and times them.
func (inv *investigation) cost(ctx context.Context) (string, error) {
	var paths, names []string
	for _, f := range inv.r.Files.Files {
		if len(paths) == inv.o.CostFiles {
			break
		}
		if f.ReadSeconds == 0 || f.Path == "" {
			continue
		}
		// Through the process's root, so that a container's file is the
		// container's; the host's own path once the process is gone.
		p := filepath.Join("/proc", strconv.Itoa(inv.main.PID), "root", f.Path)
		if _, err := os.Stat(p); err != nil {
			p = f.Path
		}
		paths, names = append(paths, p), append(names, f.Path)
	}
	if len(paths) == 0 {
		return "no file took time to read", nil
	}
	inv.progress("timing %d files", len(paths))
	for i, r := range cost.MeasureAll(ctx, paths, cost.Options{Timeout: inv.o.CostTimeout}, nil) {
		c := Cost{
			Path: names[i], Status: string(r.Status), WallSeconds: r.Wall.Seconds(),
			UserSeconds: r.User.Seconds(), SystemSeconds: r.System.Seconds(), Bytes: r.Bytes, Lines: r.Lines,
		}
		if r.Status == cost.Failed {
			c.Error = r.Reason()
		}
		inv.r.Costs = append(inv.r.Costs, c)
	}
	return "", nil
}

// readPath are the kernel functions of reading a file, from the system
// calls down to the seq_file and kernfs (cgroup, sysfs) read handlers.
var readPath = map[string]bool{
	"vfs_read": true, "ksys_read": true, "ksys_pread64": true, "vfs_readv": true,
	"__x64_sys_read": true, "__x64_sys_pread64": true, "__x64_sys_readv": true, "__x64_sys_preadv": true,
	"__arm64_sys_read": true, "__arm64_sys_pread64": true, "__arm64_sys_readv": true,
	"seq_read": true, "seq_read_iter": true, "kernfs_fop_read_iter": true,
}

// openClosePath are the kernel functions of opening and closing a file:
// a process that reads a small file over and over spends as much there as
// in the reads.
var openClosePath = map[string]bool{
	"do_sys_openat2": true, "__x64_sys_openat": true, "__x64_sys_open": true, "__arm64_sys_openat": true,
	"do_filp_open": true, "path_openat": true,
	"__x64_sys_close": true, "__arm64_sys_close": true, "filp_close": true, "__fput": true, "____fput": true,
}

// attribution tells kernel functions that are never the place to look:
// those that take the blame for time spent with interrupts off, where a
// paravirtualized kernel turns them back on; and those of the tracing
// that the investigation itself runs on the process while profiling it
// (its BPF programs and their helpers).
func attribution(name string) bool {
	switch {
	case strings.Contains(name, "irq_enable"), strings.Contains(name, "irqrestore"), strings.HasPrefix(name, "__raw_callee_save_"):
		return true
	case strings.Contains(name, "bpf"), strings.HasPrefix(name, "perf_trace"), strings.HasPrefix(name, "__traceiter"),
		name == "copy_from_kernel_nofault", name == "copy_from_user_nofault", name == "strncpy_from_user_nofault":
		return true
	}
	return false
}

// summarizeProfile keeps what the report shows of a profile.
func summarizeProfile(p *profile.Profile, m *top.Row) *Profile {
	sum := mprofile.Summarize(p)
	out := &Profile{PID: m.PID, Comm: m.Comm, Samples: int(sum.Samples), KernelFraction: sum.Kernel,
		TopUser: []Func{}, TopKernel: []Func{}, KernelCallers: []Func{}}
	var total, inRead, inFile int64
	for _, s := range p.Sample {
		v := s.Value[len(s.Value)-1]
		total += v
		read, file := false, false
		for _, l := range s.Location {
			if l.Mapping == nil || l.Mapping.File != mprofile.KernelMapping || len(l.Line) == 0 {
				continue
			}
			name := l.Line[0].Function.Name
			read = read || readPath[name]
			file = file || readPath[name] || openClosePath[name]
		}
		if read {
			inRead += v
		}
		if file {
			inFile += v
		}
	}
	if total > 0 {
		out.ReadPathFraction = float64(inRead) / float64(total)
		out.FilePathFraction = float64(inFile) / float64(total)
	}
	for _, f := range mprofile.TopFunctions(p) {
		share := float64(f.Flat) / float64(max(sum.Total, 1))
		if f.Kernel && attribution(f.Name) {
			continue
		}
		if f.Kernel && len(out.TopKernel) < 5 {
			out.TopKernel = append(out.TopKernel, Func{Name: f.Name, Fraction: share})
		} else if !f.Kernel && len(out.TopUser) < 5 {
			out.TopUser = append(out.TopUser, Func{Name: f.Name, Fraction: share})
		}
	}
	for _, c := range sum.KernelCallers {
		out.KernelCallers = append(out.KernelCallers, Func{Name: c.Name, Fraction: c.Fraction})
	}
	return out
}

// summarizeFiles keeps the suspect's own reads, costliest first.
func summarizeFiles(r *trace.FilesReport, pid int) *Files {
	out := &Files{PID: pid, WindowSeconds: r.Duration.Seconds(), Files: []FileRead{}}
	for _, f := range r.Files {
		for _, p := range f.Procs {
			if int(p.PID) != pid {
				continue
			}
			out.ReadSeconds += p.Time.Seconds()
			out.Files = append(out.Files, FileRead{
				Path: f.Path, Opens: p.Opens, Reads: p.Reads, Bytes: p.Bytes,
				ReadSeconds: p.Time.Seconds(), MaxReadSecs: p.MaxRead.Seconds(),
				OpensPerMin: float64(p.Opens) / max(r.Duration.Minutes(), 1e-9),
			})
		}
	}
	slices.SortStableFunc(out.Files, func(a, b FileRead) int { return cmp.Compare(b.ReadSeconds, a.ReadSeconds) })
	for i := range out.Files {
		if out.ReadSeconds > 0 {
			out.Files[i].ShareOfReads = out.Files[i].ReadSeconds / out.ReadSeconds
		}
	}
	if len(out.Files) > 20 {
		out.Files = out.Files[:20]
	}
	return out
}

func writeProfile(path string, p *profile.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// selfCPU is this process's user plus system CPU so far.
func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pct formats a fraction as a whole percentage.
func pct(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }
