package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/agent"
	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/investigate/runner"
	"github.com/mihari-dev/mihari/internal/query"
	"github.com/mihari-dev/mihari/internal/remotewrite"
	"github.com/mihari-dev/mihari/internal/store"
)

type serveOptions struct {
	collect       collect.Options
	listen        []string
	configFile    string
	metricsPath   string
	scrapeTimeout time.Duration
	pprof         bool
	enableActions bool
	externalURL   string

	interval      time.Duration
	instance      string
	storagePath   string
	retention     promDuration
	retentionSize string

	ruleFiles                    []string
	ruleDefaults, noRuleDefaults bool

	alertmanagers   []string
	bearerTokenFile string
	webhooks        []string

	queryTimeout, lookbackDelta time.Duration
	queryMaxSamples             int

	investigateOn             []string
	investigateDuration       time.Duration
	investigateCPUBudget      time.Duration
	investigateMinInterval    time.Duration
	investigateRetentionCount int
	investigateRetentionTime  promDuration

	agentMode         bool
	remoteWrite       remotewrite.Options
	remoteWriteLabels []string
	remoteBacklog     promDuration

	flags *pflag.FlagSet
}

func newServeCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the agent: collect and serve metrics over HTTP",
		Long: `Run the mihari agent. Every --interval it stores what the collectors
read in its own time-series database (a Prometheus TSDB under
--storage.path), evaluates alerting and recording rules over it (Prometheus
rule files, plus mihari's default pack), and sends alerts to Alertmanager
and webhooks. Over HTTP it serves its metrics at /metrics in the Prometheus
format (node_exporter-compatible names), the metrics of its embedded TSDB,
PromQL engine and rule manager at /metrics/internal, the Prometheus query
API at /api/v1 (Grafana and promtool work against it), /-/healthy, /-/ready
and /-/reload.

Every file the collectors read goes through mihari's source layer: a read
that misses its deadline (--source.timeout) is answered with the file's last
good value, the file is retried in the background with back-off, and the
cost of every read is exported as mihari_source_*.

When an alert named in --investigate.on-alert starts firing (by default
the CPU alerts of the default pack), the agent runs mihari investigate on
what the alert points at (a process group, else the busiest process) as a
child process with a budget of its own: one at a time (alerts that fire
meanwhile are dropped and counted), at most one start per
--investigate.min-interval, at nice 10, killed by the kernel once it has
used --investigate.cpu-budget of CPU, and by the agent after
--investigate.duration plus 2 minutes. Profiling and tracing need root (or
CAP_PERFMON and CAP_BPF); without them the report says what it could not
do. Reports are kept under <storage.path>/investigations/
(--investigate.retention.*) and served at /api/v1/investigations (the
list, newest first) and /api/v1/investigations/ID (the report as JSON, or
?format=html or ?format=md); the alerts sent afterwards carry an
"investigation" annotation with the link to the HTML report. What happened
to each is counted in mihari_investigations_total.

The web pages at / show the host (CPU by mode, load, memory, disks,
network, pressure), the processes using the most CPU, firing alerts and
what monitoring costs; Explore runs PromQL; Alerts lists alerts and rule
groups; Investigations lists the reports and starts one; a process's page
shows its CPU over time and can profile it or trace its reads. Pages that
run something on the host do it on POST only, with a token of the page,
and --web.enable-actions=false turns them off. Nothing is loaded from
elsewhere: the pages, their charts and script are in the binary.

With --remote-write.url (or --remote-write.config-file), every stored
sample is also sent to Prometheus-compatible receivers (Prometheus,
VictoriaMetrics, Thanos, Mimir) with the remote-write protocol, from the
store's write-ahead log: in order, retried while a receiver is down, and
kept for it up to --remote-write.max-backlog. With --storage.agent, mihari
keeps nothing but that log (as Prometheus's agent mode does): no queries,
no rules, no charts.

TLS and basic authentication use the Prometheus web configuration file
(--web.config.file), as node_exporter does; they cover the pages too.

mihari stops cleanly on SIGINT or SIGTERM.`,
		Example: `  # listen on the default 127.0.0.1:9780
  mihari serve

  # listen on every interface, with TLS and basic auth
  mihari serve --web.listen-address=:9780 --web.config.file=/etc/mihari/web.yml

  # read a host's files from a container that mounts them under /host
  mihari serve --path.procfs=/host/proc --path.sysfs=/host/sys --path.rootfs=/host

  # store every 5s for 30 days, with rules of your own, alerting Alertmanager
  mihari serve --interval=5s --storage.retention.time=30d \
    --rules.file='/etc/mihari/rules/*.yml' --alertmanager.url=http://alertmanager:9093

  # investigate high CPU alerts for 30s each, at most one an hour
  mihari serve --investigate.duration=30s --investigate.min-interval=1h

  # never start investigations
  mihari serve --investigate.on-alert=

  # only CPU and memory, and give slow cgroup files more time
  mihari serve --collector.disable-defaults --collector.cpu --collector.meminfo \
    --source.timeout.override='/sys/fs/cgroup/*=3s'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), stdio, logOpts, o)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.listen, "web.listen-address", []string{"127.0.0.1:9780"}, "address to listen on; repeatable")
	fs.StringVar(&o.configFile, "web.config.file", "", "Prometheus web configuration file for TLS and basic auth (https://prometheus.io/docs/prometheus/latest/configuration/https/)")
	fs.StringVar(&o.metricsPath, "web.telemetry-path", "/metrics", "path of the metrics endpoint")
	fs.BoolVar(&o.pprof, "web.enable-pprof", false, "serve Go's profiler at /debug/pprof/ (what mihari itself spends CPU on)")
	fs.BoolVar(&o.enableActions, "web.enable-actions", true, "let the web pages start investigations, profiles and traces of processes (POST with a per-agent token); false: the pages only show")
	fs.DurationVar(&o.scrapeTimeout, "scrape.timeout", 10*time.Second, "longest a scrape may take; late files are served their last good value")
	fs.StringVar(&o.externalURL, "web.external-url", "", "URL under which mihari is reached, for links in alerts (default: http:// and the first listen address)")

	host, _ := os.Hostname()
	fs.DurationVar(&o.interval, "interval", 15*time.Second, "how often the collectors are stored and the rules evaluated")
	fs.StringVar(&o.instance, "instance", host, "instance label of every stored series (job is \"mihari\"), as a Prometheus scrape would add")
	fs.StringVar(&o.storagePath, "storage.path", store.DefaultPath(), "data directory (created if missing; mihari refuses a directory that holds anything else)")
	o.retention = promDuration(15 * 24 * time.Hour)
	fs.Var(&o.retention, "storage.retention.time", "how long samples are kept (15d, 6h, 1y ...)")
	fs.StringVar(&o.retentionSize, "storage.retention.size", "0", "most bytes the stored blocks may take (512MB, 10GB ...); 0 for no limit")

	fs.StringArrayVar(&o.ruleFiles, "rules.file", nil, "Prometheus rule file (alerting and recording rules); globs allowed; repeatable; reloaded on SIGHUP and POST /-/reload")
	fs.BoolVar(&o.ruleDefaults, "rules.defaults", true, "evaluate mihari's default rule pack (listed by: mihari rules defaults); --no-rules.defaults turns it off")
	fs.BoolVar(&o.noRuleDefaults, "no-rules.defaults", false, "do not evaluate the default rule pack")
	_ = fs.MarkHidden("no-rules.defaults")

	fs.StringArrayVar(&o.alertmanagers, "alertmanager.url", nil, "Alertmanager to send alerts to (its v2 API), e.g. http://am:9093 or https://user:pass@am:9093; repeatable")
	fs.StringVar(&o.bearerTokenFile, "alertmanager.bearer-token-file", "", "file with a bearer token for the Alertmanagers (read at each send)")
	fs.StringArrayVar(&o.webhooks, "alert.webhook.url", nil, "URL to POST alerts to in Alertmanager's webhook format; repeatable")

	fs.DurationVar(&o.queryTimeout, "query.timeout", 2*time.Minute, "longest a PromQL query may run")
	fs.IntVar(&o.queryMaxSamples, "query.max-samples", 50_000_000, "most samples a query may load into memory")
	fs.DurationVar(&o.lookbackDelta, "query.lookback-delta", 5*time.Minute, "how far back PromQL looks for a sample of a series")

	fs.StringSliceVar(&o.investigateOn, "investigate.on-alert", runner.DefaultAlerts,
		"alert `NAMES` (comma-separated) whose firing starts mihari investigate on what the alert points at, once per firing alert; the report goes to <storage.path>/investigations/ and /api/v1/investigations, and the alert's later notifications link to it; empty (--investigate.on-alert=) starts none")
	fs.DurationVar(&o.investigateDuration, "investigate.duration", runner.DefaultDuration,
		"how long an investigation profiles and traces its suspect (its --duration); the run is killed if it takes 2 minutes more than this")
	fs.DurationVar(&o.investigateCPUBudget, "investigate.cpu-budget", runner.DefaultCPUBudget,
		"CPU time (user and system, whole seconds) an investigation may use before the kernel kills it (RLIMIT_CPU); it also runs at nice 10")
	fs.DurationVar(&o.investigateMinInterval, "investigate.min-interval", runner.DefaultMinInterval,
		"least time between the starts of two investigations; alerts that fire sooner are not investigated (counted as rate_limited)")
	fs.IntVar(&o.investigateRetentionCount, "investigate.retention.count", runner.DefaultRetentionCount,
		"most investigations kept; the oldest are deleted first")
	o.investigateRetentionTime = promDuration(runner.DefaultRetentionTime)
	fs.Var(&o.investigateRetentionTime, "investigate.retention.time", "how long investigations are kept (7d, 12h ...)")

	rw := &o.remoteWrite
	fs.StringArrayVar(&rw.URLs, "remote-write.url", nil, "send every stored sample to this Prometheus remote-write endpoint (Prometheus with --web.enable-remote-write-receiver: http://prom:9090/api/v1/write; VictoriaMetrics: http://vm:8428/api/v1/write; Mimir, Thanos Receive); repeatable")
	fs.StringVar(&rw.Protocol, "remote-write.protocol", "1.0", "remote-write protocol: 1.0 (every receiver) or 2.0 (Prometheus 3 and others that take io.prometheus.write.v2.Request)")
	fs.StringArrayVar(&o.remoteWriteLabels, "remote-write.label", nil, "`NAME=VALUE` label added to every series sent (external label; the stored series already carry job and instance); repeatable")
	fs.StringVar(&rw.BasicAuthUser, "remote-write.basic-auth.username", "", "basic-auth user for the remote-write URLs")
	fs.StringVar(&rw.BasicAuthPasswordFile, "remote-write.basic-auth.password-file", "", "file with the basic-auth password for the remote-write URLs")
	fs.StringVar(&rw.BearerTokenFile, "remote-write.bearer-token-file", "", "file with a bearer token for the remote-write URLs (read at each request)")
	fs.StringVar(&rw.TLS.CAFile, "remote-write.tls.ca-file", "", "CA certificate to verify the remote-write receivers")
	fs.StringVar(&rw.TLS.CertFile, "remote-write.tls.cert-file", "", "client certificate for the remote-write receivers")
	fs.StringVar(&rw.TLS.KeyFile, "remote-write.tls.key-file", "", "client key for the remote-write receivers")
	fs.StringVar(&rw.TLS.ServerName, "remote-write.tls.server-name", "", "server name to verify the receivers' certificates against")
	fs.BoolVar(&rw.TLS.InsecureSkipVerify, "remote-write.tls.insecure-skip-verify", false, "do not verify the receivers' certificates")
	fs.StringVar(&rw.ConfigFile, "remote-write.config-file", "", "YAML file with a Prometheus remote_write: section, for receivers with settings of their own (headers, relabeling, queue tuning)")
	fs.BoolVar(&o.agentMode, "storage.agent", false, "agent mode, for hosts that should stay as light as possible: keep only a write-ahead log of what remote write has yet to send (needs --remote-write.*); no local queries, no rules, no charts")
	o.remoteBacklog = promDuration(2 * time.Hour)
	fs.Var(&o.remoteBacklog, "remote-write.max-backlog", "how far a receiver may fall behind (down, slow) and still get every sample: the store keeps its write-ahead log that long; past it the oldest unsent samples are dropped")
	o.collect.AddFlags(fs)
	o.flags = fs
	return cmd
}

// remoteWriteOptions checks the --remote-write.* flags.
func (o *serveOptions) remoteWriteOptions() (remotewrite.Options, error) {
	rw := o.remoteWrite
	if !rw.Enabled() {
		if o.agentMode {
			return rw, errors.New("--storage.agent keeps samples only to send them: give it --remote-write.url or --remote-write.config-file")
		}
		return rw, nil
	}
	rw.MaxBacklog = time.Duration(o.remoteBacklog)
	if rw.MaxBacklog <= 0 {
		return rw, fmt.Errorf("--remote-write.max-backlog %v: want a positive duration such as 2h", o.remoteBacklog)
	}
	var kv []string
	for _, l := range o.remoteWriteLabels {
		name, value, ok := strings.Cut(l, "=")
		if !ok || !model.LegacyValidation.IsValidLabelName(name) || name == "job" || name == "instance" {
			return rw, fmt.Errorf("--remote-write.label %q: want NAME=VALUE with a label name other than job and instance", l)
		}
		kv = append(kv, name, value)
	}
	rw.Labels = labels.FromStrings(kv...)
	if _, err := remotewrite.Configs(rw); err != nil {
		return rw, err
	}
	return rw, nil
}

func runServe(ctx context.Context, stdio IO, logOpts *logOptions, o *serveOptions) error {
	log, err := logOpts.logger(stdio.Err)
	if err != nil {
		return err
	}
	if o.configFile != "" {
		if err := web.Validate(o.configFile); err != nil {
			return fmt.Errorf("--web.config.file %q: %w", o.configFile, err)
		}
	}
	node, reader, err := o.collect.Build(log)
	if err != nil {
		return usageError{err}
	}
	ext, err := externalURL(o.externalURL, o.listen)
	if err != nil {
		return usageError{err}
	}
	size, err := units.ParseBase2Bytes(o.retentionSize)
	if err != nil {
		return usageError{fmt.Errorf("--storage.retention.size %q: want a size such as 10GB: %w", o.retentionSize, err)}
	}
	inv, err := o.investigateOptions()
	if err != nil {
		return usageError{err}
	}
	rw, err := o.remoteWriteOptions()
	if err != nil {
		return usageError{err}
	}
	flags := map[string]string{}
	o.flags.VisitAll(func(f *pflag.Flag) { flags[f.Name] = f.Value.String() })
	a, err := agent.New(agent.Config{
		Node:            node,
		Reader:          reader,
		Interval:        o.interval,
		Instance:        o.instance,
		StoragePath:     o.storagePath,
		Retention:       time.Duration(o.retention),
		RetentionSize:   int64(size),
		RuleFiles:       o.ruleFiles,
		RuleDefaults:    o.ruleDefaults && !o.noRuleDefaults,
		Alertmanagers:   o.alertmanagers,
		BearerTokenFile: o.bearerTokenFile,
		Webhooks:        o.webhooks,
		ExternalURL:     ext,
		Query:           query.EngineOptions{Timeout: o.queryTimeout, MaxSamples: o.queryMaxSamples, LookbackDelta: o.lookbackDelta},
		Investigate:     inv,
		Listen:          o.listen,
		WebConfigFile:   o.configFile,
		MetricsPath:     o.metricsPath,
		ScrapeTimeout:   o.scrapeTimeout,
		Pprof:           o.pprof,
		Paths:           o.collect.Paths,
		EnableActions:   o.enableActions,
		RemoteWrite:     rw,
		AgentMode:       o.agentMode,
		Flags:           flags,
	}, log)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// investigateOptions checks the --investigate.* flags. The child reads the
// host through the same --path.* flags as the agent, and asks the agent
// itself, on its first listen address, for the recent past.
func (o *serveOptions) investigateOptions() (runner.Options, error) {
	switch {
	case o.investigateDuration <= 0:
		return runner.Options{}, fmt.Errorf("--investigate.duration %v: want a positive duration such as 10s", o.investigateDuration)
	case o.investigateCPUBudget < time.Second:
		return runner.Options{}, fmt.Errorf("--investigate.cpu-budget %v: want at least 1s (the kernel counts whole seconds)", o.investigateCPUBudget)
	case o.investigateMinInterval < 0:
		return runner.Options{}, fmt.Errorf("--investigate.min-interval %v: want 0 or more", o.investigateMinInterval)
	case o.investigateRetentionCount < 1:
		return runner.Options{}, fmt.Errorf("--investigate.retention.count %d: want at least 1", o.investigateRetentionCount)
	case o.investigateRetentionTime <= 0:
		return runner.Options{}, fmt.Errorf("--investigate.retention.time %v: want a positive duration such as 7d", o.investigateRetentionTime)
	}
	p := o.collect.Paths
	return runner.Options{
		Alerts:         o.investigateOn,
		Duration:       o.investigateDuration,
		CPUBudget:      o.investigateCPUBudget,
		MinInterval:    o.investigateMinInterval,
		RetentionCount: o.investigateRetentionCount,
		RetentionTime:  time.Duration(o.investigateRetentionTime),
		AgentURL:       localURL(o.listen),
		Args: []string{"--path.procfs=" + p.Procfs, "--path.sysfs=" + p.Sysfs,
			"--path.rootfs=" + p.Rootfs, "--path.udev.data=" + p.UdevData},
	}, nil
}

// localURL is where a process on this host reaches the agent: its first
// listen address, on the loopback interface when it listens on all of
// them. (Not the external URL, which may be a proxy in front of many
// agents.) With TLS or basic auth (--web.config.file) the investigation
// cannot ask it, and its report says so.
func localURL(listen []string) string {
	addr := "127.0.0.1:9780"
	if len(listen) > 0 {
		addr = listen[0]
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// externalURL is where mihari's links (alert generator URLs) point: the
// flag, or the first listen address.
func externalURL(flag string, listen []string) (*url.URL, error) {
	if flag == "" {
		host := "127.0.0.1:9780"
		if len(listen) > 0 {
			host = listen[0]
		}
		if strings.HasPrefix(host, ":") {
			name, _ := os.Hostname()
			host = name + host
		}
		return &url.URL{Scheme: "http", Host: host}, nil
	}
	u, err := url.Parse(flag)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("--web.external-url %q: want an absolute URL such as https://mihari.example.com", flag)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// promDuration is a flag value in Prometheus's duration syntax, which has
// days, weeks and years (15d).
type promDuration model.Duration

func (d *promDuration) String() string { return model.Duration(*d).String() }
func (d *promDuration) Type() string   { return "duration" }
func (d *promDuration) Set(s string) error {
	v, err := model.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = promDuration(v)
	return nil
}
