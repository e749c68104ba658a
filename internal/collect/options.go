package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Options are the command-line settings shared by every command that
// collects: which collectors run, where the host's files are, and the
// limits of the source layer.
type Options struct {
	Paths           Paths
	DisableDefaults bool
	Timeout         time.Duration
	TimeoutOverride []string
	CPUBudget       time.Duration
	BudgetOverride  []string
	MaxBytes        int
	CacheBytes      int64

	fs        *pflag.FlagSet
	enabled   map[string]*bool
	disabled  map[string]*bool
	factories map[string]Factory
}

// AddFlags registers the options, and every registered collector's
// --collector.<name>, --no-collector.<name> and own flags, on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.AddSourceFlags(fs)
	o.addCollectorFlags(fs)
}

// AddSourceFlags registers only the --path.* and --source.* options, for
// commands that read the host through the source layer without running
// collectors (such as top).
func (o *Options) AddSourceFlags(fs *pflag.FlagSet) {
	o.fs = fs
	o.Paths = DefaultPaths()
	fs.StringVar(&o.Paths.Procfs, "path.procfs", o.Paths.Procfs, "procfs mountpoint")
	fs.StringVar(&o.Paths.Sysfs, "path.sysfs", o.Paths.Sysfs, "sysfs mountpoint")
	fs.StringVar(&o.Paths.Rootfs, "path.rootfs", o.Paths.Rootfs, "rootfs mountpoint: mount points are statfs'd under it and reported without it")
	fs.StringVar(&o.Paths.UdevData, "path.udev.data", o.Paths.UdevData, "udev database directory (disk models, serials, filesystems)")

	fs.DurationVar(&o.Timeout, "source.timeout", DefaultTimeout,
		"how long a scrape waits for one file before serving its last good value (marked stale in mihari_source_stale)")
	fs.StringArrayVar(&o.TimeoutOverride, "source.timeout.override", nil,
		"a deadline of its own for some sources, as `PATTERN=DURATION`; PATTERN is a source name as in mihari_source_*, '*' matching anything (e.g. '/proc/[pid]/*=200ms'); repeatable")
	fs.DurationVar(&o.CPUBudget, "source.cpu-budget", DefaultCPUBudget,
		"CPU one read may cost; a file that costs more is logged once and re-read only after a back-off, its last value served meanwhile (0 = no budget)")
	fs.StringArrayVar(&o.BudgetOverride, "source.cpu-budget.override", nil,
		"a CPU budget of its own for some sources, as `PATTERN=DURATION` (see --source.timeout.override); repeatable")
	fs.IntVar(&o.MaxBytes, "source.max-bytes", DefaultMaxBytes, "largest file mihari reads; larger ones are errors")
	fs.Int64Var(&o.CacheBytes, "source.cache-bytes", DefaultCacheBytes,
		"memory for last good values, served when a read is late; 0 = default, -1 = unlimited")

}

func (o *Options) addCollectorFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.DisableDefaults, "collector.disable-defaults", false,
		"run only the collectors enabled explicitly with --collector.<name>")
	o.enabled = map[string]*bool{}
	o.disabled = map[string]*bool{}
	o.factories = map[string]Factory{}
	for _, s := range Specs() {
		usage := s.Help + "; --no-collector." + s.Name + " disables"
		if !s.Default {
			usage = s.Help + " (disabled by default)"
		}
		o.enabled[s.Name] = fs.Bool("collector."+s.Name, s.Default, usage)
		o.disabled[s.Name] = fs.Bool("no-collector."+s.Name, false, "disable the "+s.Name+" collector")
		_ = fs.MarkHidden("no-collector." + s.Name)
		if s.Setup != nil {
			o.factories[s.Name] = s.Setup(fs)
		}
	}
}

// Enabled returns the names of the collectors selected by the flags.
func (o *Options) Enabled() ([]string, error) {
	var names []string
	for _, s := range Specs() {
		on := s.Default && !o.DisableDefaults
		setOn := o.fs.Changed("collector." + s.Name)
		setOff := o.fs.Changed("no-collector."+s.Name) && *o.disabled[s.Name]
		if setOn && setOff && *o.enabled[s.Name] {
			return nil, fmt.Errorf("both --collector.%s and --no-collector.%s given; keep one", s.Name, s.Name)
		}
		if setOn {
			on = *o.enabled[s.Name]
		}
		if setOff {
			on = false
		}
		if on {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// CheckPaths verifies that the roots are directories mihari can read, so a
// typo fails at start with one clear line instead of at every scrape.
func (o *Options) CheckPaths() error {
	for _, p := range []struct{ flag, dir string }{
		{"path.procfs", o.Paths.Procfs},
		{"path.sysfs", o.Paths.Sysfs},
		{"path.rootfs", o.Paths.Rootfs},
	} {
		f, err := os.Open(p.dir)
		if err == nil {
			var st os.FileInfo
			st, err = f.Stat()
			if err == nil && !st.IsDir() {
				err = errors.New("not a directory")
			}
			f.Close()
		}
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("--%s %q: %w", p.flag, p.dir, err)
		}
	}
	return nil
}

// Reader builds the source layer from the options.
func (o *Options) Reader(log *slog.Logger) (*Reader, error) {
	timeouts, err := parseOverrides("source.timeout.override", o.TimeoutOverride)
	if err != nil {
		return nil, err
	}
	budgets, err := parseOverrides("source.cpu-budget.override", o.BudgetOverride)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		return nil, fmt.Errorf("--source.timeout %v: want a positive duration such as 1s", o.Timeout)
	}
	if o.MaxBytes <= 0 {
		return nil, fmt.Errorf("--source.max-bytes %d: want a positive size", o.MaxBytes)
	}
	if o.CPUBudget < 0 {
		return nil, fmt.Errorf("--source.cpu-budget %v: want a duration such as 50ms, or 0 for none", o.CPUBudget)
	}
	return NewReader(Config{
		Defaults:           Limits{Timeout: o.Timeout, MaxBytes: o.MaxBytes, CPUBudget: o.CPUBudget},
		TimeoutOverrides:   timeouts,
		CPUBudgetOverrides: budgets,
		CacheBytes:         o.CacheBytes,
		Logger:             log,
	}), nil
}

// parseOverrides parses PATTERN=DURATION values of the named flag.
func parseOverrides(flag string, values []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, ov := range values {
		pat, dur, ok := strings.Cut(ov, "=")
		if !ok {
			return nil, fmt.Errorf("--%s %q: want PATTERN=DURATION, e.g. '/proc/[pid]/*=200ms'", flag, ov)
		}
		d, err := time.ParseDuration(dur)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--%s %q: want a positive duration such as 200ms", flag, ov)
		}
		out[pat] = d
	}
	return out, nil
}

// Build checks the options and builds the selected collectors.
func (o *Options) Build(log *slog.Logger) (*Node, *Reader, error) {
	if err := o.CheckPaths(); err != nil {
		return nil, nil, err
	}
	names, err := o.Enabled()
	if err != nil {
		return nil, nil, err
	}
	r, err := o.Reader(log.With("component", "source"))
	if err != nil {
		return nil, nil, err
	}
	cs := map[string]Collector{}
	for _, name := range names {
		f := o.factories[name]
		if f == nil {
			continue
		}
		c, err := f(Env{Paths: o.Paths, Reader: r, Logger: log.With("collector", name)})
		if err != nil {
			return nil, nil, fmt.Errorf("collector %s: %w", name, err)
		}
		cs[name] = c
	}
	return NewNode(cs, log), r, nil
}
