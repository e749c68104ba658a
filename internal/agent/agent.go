// Package agent assembles `mihari serve`: collectors appended to the store
// every interval, the PromQL engine and HTTP API over it, rules evaluated
// over it, and their alerts delivered.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	promrules "github.com/prometheus/prometheus/rules"

	"github.com/mihari-dev/mihari/internal/alert"
	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/investigate/runner"
	"github.com/mihari-dev/mihari/internal/query"
	"github.com/mihari-dev/mihari/internal/remotewrite"
	"github.com/mihari-dev/mihari/internal/rules"
	"github.com/mihari-dev/mihari/internal/store"
	mweb "github.com/mihari-dev/mihari/internal/web"
	"github.com/mihari-dev/mihari/internal/web/ui"
)

// Config is what `mihari serve` was asked to do.
type Config struct {
	Node     *collect.Node
	Reader   *collect.Reader
	Interval time.Duration
	Instance string

	StoragePath   string
	Retention     time.Duration
	RetentionSize int64

	RuleFiles    []string // patterns
	RuleDefaults bool

	Alertmanagers   []string
	BearerTokenFile string
	Webhooks        []string
	ExternalURL     *url.URL

	Query query.EngineOptions

	// Investigate configures the investigations started when alerts
	// fire; the agent sets their directory (under StoragePath), external
	// URL, logger and registerer.
	Investigate runner.Options

	// Paths are where the host's files are, for the pages' process
	// details and the children they start.
	Paths collect.Paths
	// EnableActions lets the pages start investigations, profiles and
	// traces (POST, with a token); off, they only show.
	EnableActions bool

	// RemoteWrite sends what is stored to remote-write receivers when it
	// names any; its Dir, logger and registries are filled in here.
	RemoteWrite remotewrite.Options
	// AgentMode keeps only a write-ahead log for remote write: no queries,
	// no rules, no charts (--storage.agent).
	AgentMode bool

	Listen        []string
	WebConfigFile string
	MetricsPath   string
	ScrapeTimeout time.Duration
	Pprof         bool
	Flags         map[string]string
}

// Agent is a running `mihari serve`.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	gatherer *collect.Gatherer
	store    *store.Store
	remote   *remotewrite.Writer // nil without --remote-write.*
	engine   *promql.Engine
	rules    *promrules.Manager
	notifier *alert.Notifier
	web      *mweb.Handler
	// investigations runs `mihari investigate` when an alert fires and
	// serves the reports at /api/v1/investigations.
	investigations *runner.Runner

	mu       sync.Mutex
	families []*dto.MetricFamily // of the latest collection, for metadata

	// storeFailing and failLogged rate-limit the log of a store that keeps
	// failing (a full disk): once when it starts, every few minutes, and
	// once when it recovers.
	storeFailing bool
	failLogged   time.Time
	failed       int

	collections, collectionFailures prometheus.Counter
	collectionSeconds               prometheus.Gauge
	ruleFilesLoaded                 prometheus.Gauge
	reloadFailures                  prometheus.Counter
}

// New opens the store and builds every part; nothing runs until Run.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	if cfg.Interval <= 0 {
		return nil, fmt.Errorf("--interval %v: want a positive duration such as 15s", cfg.Interval)
	}
	a := &Agent{cfg: cfg, log: log, gatherer: collect.NewGatherer(cfg.Node, cfg.Reader)}
	reg := a.gatherer.Registry()
	a.collections = prometheus.NewCounter(prometheus.CounterOpts{Name: "mihari_collections_total", Help: "Collections appended to the store, one per --interval."})
	a.collectionFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "mihari_collection_failures_total", Help: "Collections that could not be gathered or stored."})
	a.collectionSeconds = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mihari_collection_duration_seconds", Help: "How long the latest collection took, gathering and storing."})
	a.ruleFilesLoaded = prometheus.NewGauge(prometheus.GaugeOpts{Name: "mihari_rule_files", Help: "Rule files loaded, the embedded default pack included."})
	a.reloadFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "mihari_rules_reload_failures_total", Help: "Rule reloads (SIGHUP, POST /-/reload) that failed; the previous rules stay."})
	reg.MustRegister(a.collections, a.collectionFailures, a.collectionSeconds, a.ruleFilesLoaded, a.reloadFailures)
	// The embedded TSDB, engine and rule manager export ~300 series of
	// their own: all of them at /metrics/internal, the few that say whether
	// storing and evaluating work at /metrics and in the store, refreshed
	// once an interval.
	internal := prometheus.NewRegistry()
	a.gatherer.Include(internal, cfg.Interval, InternalIncluded...)

	if cfg.AgentMode && !cfg.RemoteWrite.Enabled() {
		return nil, errors.New("--storage.agent keeps samples only to send them: give it --remote-write.url or --remote-write.config-file")
	}
	// The remote-write queues exist before the store, which in agent mode
	// truncates its log by what they have sent; they start in Run.
	if rw := cfg.RemoteWrite; rw.Enabled() {
		rw.Dir = cfg.StoragePath
		rw.Logger = log.With("component", "remote_write")
		rw.Registerer, rw.Gatherer, rw.MetricsRegisterer = internal, internal, reg
		if cfg.AgentMode {
			rw.MaxBacklog = 0 // the log keeps what is unsent, up to MaxWAL
		}
		var err error
		if a.remote, err = remotewrite.New(rw, nil); err != nil {
			return nil, err
		}
		a.gatherer.Include(internal, cfg.Interval, RemoteWriteIncluded...)
	}
	so := store.Options{
		Path:           cfg.StoragePath,
		Retention:      cfg.Retention,
		RetentionSize:  cfg.RetentionSize,
		Labels:         labels.FromStrings("instance", cfg.Instance, "job", "mihari"),
		Logger:         log,
		Registerer:     reg,
		TSDBRegisterer: internal,
		Agent:          cfg.AgentMode,
	}
	if a.remote != nil {
		so.Remote, so.MaxWAL = a.remote.Storage(), cfg.RemoteWrite.MaxBacklog
	}
	st, err := store.Open(so)
	if err != nil {
		if a.remote != nil {
			a.remote.Close()
		}
		return nil, err
	}
	a.store = st
	if a.remote != nil {
		if !cfg.AgentMode {
			a.remote.SetCompactor(st.DB())
		}
		st.SetWriteNotified(a.remote)
	}
	qo := cfg.Query
	qo.Logger, qo.Registerer = log.With("component", "query"), internal
	a.engine = query.NewEngine(qo)

	// After store.Open: the store claims the data directory (new, empty
	// or marked as mihari's) before anything else is created in it.
	inv := cfg.Investigate
	inv.Dir = filepath.Join(cfg.StoragePath, "investigations")
	inv.ExternalURL = cfg.ExternalURL
	inv.Logger = log.With("component", "investigate")
	inv.Registerer = reg
	a.investigations, err = runner.New(inv)
	if err != nil {
		st.Close()
		return nil, err
	}

	a.notifier, err = alert.New(alert.Options{
		Alertmanagers:   cfg.Alertmanagers,
		BearerTokenFile: cfg.BearerTokenFile,
		Webhooks:        cfg.Webhooks,
		ExternalURL:     cfg.ExternalURL.String(),
		Logger:          log.With("component", "alert"),
		Registerer:      reg,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	db := st.Queryable()
	a.rules = promrules.NewManager(&promrules.ManagerOptions{
		ExternalURL:     cfg.ExternalURL,
		QueryFunc:       promrules.EngineQueryFunc(a.engine, db),
		NotifyFunc:      a.notify,
		Context:         context.Background(),
		AppendableV2:    st.Appendable(),
		Queryable:       db,
		Logger:          log.With("component", "rules"),
		Registerer:      internal,
		OutageTolerance: time.Hour,
		ForGracePeriod:  10 * time.Minute,
		ResendDelay:     time.Minute,
		GroupLoader:     rules.Loader{},
	})
	if err := a.loadRules(); err != nil {
		st.Close()
		return nil, err
	}

	// /api/v1 is Prometheus's API, plus mihari's investigations.
	api := http.NewServeMux()
	api.Handle(runner.APIPath, a.investigations)
	api.Handle(runner.APIPath+"/", a.investigations)
	if cfg.AgentMode {
		api.HandleFunc("/api/v1/", agentModeAPI)
	} else {
		api.Handle("/api/v1/", a.queryAPI(cfg, reg, internal))
	}
	var pages http.Handler
	if !cfg.AgentMode {
		if pages, err = a.pages(cfg, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	a.web, err = mweb.NewHandler(a.gatherer, mweb.Options{
		UI:            pages,
		MetricsPath:   cfg.MetricsPath,
		ScrapeTimeout: cfg.ScrapeTimeout,
		EnablePprof:   cfg.Pprof,
		Internal:      internal,
		Logger:        log,
		Reload:        a.Reload,
		API:           api,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// agentModeAPI answers the query API in agent mode, as Prometheus's agent
// does: there is nothing to query here.
func agentModeAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnprocessableEntity)
	w.Write([]byte(`{"status":"error","errorType":"unavailable","error":"mihari runs with --storage.agent: it keeps samples only to send them by remote write; query the receiver"}` + "\n"))
}

// queryAPI is Prometheus's /api/v1 over the store.
func (a *Agent) queryAPI(cfg Config, reg, internal *prometheus.Registry) http.Handler {
	log := a.log
	return query.Handler(query.Options{
		Engine:        a.engine,
		DB:            a.store.DB(),
		Dir:           cfg.StoragePath,
		Rules:         func() query.Rules { return a.rules },
		Alertmanagers: func() query.Alertmanagers { return alertmanagers{a.notifier} },
		Families:      a.latestFamilies,
		Flags:         cfg.Flags,
		Gatherer:      prometheus.Gatherers{reg, internal},
		ExternalURL:   cfg.ExternalURL,
		Logger:        log.With("component", "api"),
	})
}

// pages are the web UI.
func (a *Agent) pages(cfg Config, log *slog.Logger) (http.Handler, error) {
	uo := ui.Options{
		Engine:         a.engine,
		Queryable:      a.store.Queryable(),
		Rules:          func() *promrules.Manager { return a.rules },
		Interval:       cfg.Interval,
		Investigations: investigationsView{a.investigations},
		Process:        processInfo(cfg.Paths),
		Logger:         log.With("component", "ui"),
	}
	if cfg.EnableActions {
		uo.Actions = actions{r: a.investigations}
	}
	return ui.New(uo)
}

// RemoteWriteIncluded are the remote-write queues' metrics that /metrics
// carries (and the store keeps) when remote write is on: what was sent,
// retried, dropped and is pending, per receiver.
var RemoteWriteIncluded = []string{
	"prometheus_remote_storage_samples_total",
	"prometheus_remote_storage_bytes_total",
	"prometheus_remote_storage_samples_retried_total",
	"prometheus_remote_storage_samples_failed_total",
	"prometheus_remote_storage_samples_dropped_total",
	"prometheus_remote_storage_samples_pending",
	"prometheus_remote_storage_shards",
	"prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
}

// InternalIncluded are the metrics of the embedded TSDB and rule manager
// that /metrics carries and the store keeps, for alerting on mihari's own
// store and rules.
var InternalIncluded = []string{
	"prometheus_tsdb_head_series",
	"prometheus_tsdb_storage_blocks_bytes",
	"prometheus_tsdb_compactions_failed_total",
	"prometheus_tsdb_head_truncations_failed_total",
	"prometheus_tsdb_wal_corruptions_total",
	"prometheus_rule_evaluation_failures_total",
	"prometheus_rule_group_iterations_missed_total",
	"prometheus_rule_group_last_duration_seconds",
}

// loadRules (re)reads the rule files; on error the previous rules stay.
func (a *Agent) loadRules() error {
	if a.cfg.AgentMode {
		// Nothing to evaluate rules over: the store is a log to send.
		a.ruleFilesLoaded.Set(0)
		return nil
	}
	files, err := rules.ExpandFiles(a.cfg.RuleFiles)
	if err != nil {
		return err
	}
	if a.cfg.RuleDefaults {
		files = append([]string{rules.DefaultsName}, files...)
	}
	if err := a.rules.Update(a.cfg.Interval, files, labels.EmptyLabels(), a.cfg.ExternalURL.String(), nil); err != nil {
		return fmt.Errorf("loading rules: %w", err)
	}
	a.ruleFilesLoaded.Set(float64(len(files)))
	a.log.Info("rules loaded", "files", files)
	return nil
}

// Reload rereads the rule files (SIGHUP, POST /-/reload).
func (a *Agent) Reload() error {
	if err := a.loadRules(); err != nil {
		a.reloadFailures.Inc()
		a.log.Error("reloading rules failed; the previous rules stay", "err", err)
		return err
	}
	return nil
}

// notify turns the rule manager's alerts into deliveries, as Prometheus
// does: a firing alert is valid for a few resends, a resolved one ends when
// it was resolved. An alert that starts an investigation, and every later
// notification of it, carries the link to the investigation's report.
func (a *Agent) notify(_ context.Context, expr string, alerts ...*promrules.Alert) {
	// First, so that the notification of the firing that starts an
	// investigation already links to it.
	a.investigations.Notify(alerts...)
	out := make([]alert.Alert, 0, len(alerts))
	gen := a.cfg.ExternalURL.String() + "/graph?g0.expr=" + url.QueryEscape(expr) + "&g0.tab=1"
	for _, al := range alerts {
		x := alert.Alert{
			Labels:       al.Labels.Map(),
			Annotations:  al.Annotations.Map(),
			StartsAt:     al.FiredAt,
			EndsAt:       al.ValidUntil,
			GeneratorURL: gen,
		}
		if !al.ResolvedAt.IsZero() {
			x.EndsAt = al.ResolvedAt
		}
		if link, ok := a.investigations.Annotate(al.Labels); ok {
			x.Annotations["investigation"] = link
		}
		out = append(out, x)
	}
	if len(out) > 0 {
		a.notifier.Send(out...)
	}
}

func (a *Agent) latestFamilies() []*dto.MetricFamily {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.families
}

// Run serves and collects until ctx ends, then shuts down in order: stop
// serving, stop collecting and evaluating, deliver what is queued, close
// the store.
func (a *Agent) Run(ctx context.Context) error {
	var listeners []net.Listener
	for _, addr := range a.cfg.Listen {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			a.store.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("cannot listen on %s: address already in use; is another mihari running? pick another with --web.listen-address", addr)
			}
			return fmt.Errorf("cannot listen on %s: %w", addr, err)
		}
		listeners = append(listeners, l)
	}
	a.log.Info("starting mihari", "version", version.Info(), "collectors", a.cfg.Node.Names(),
		"interval", a.cfg.Interval, "storage", a.cfg.StoragePath)
	if a.cfg.AgentMode {
		a.log.Warn("agent mode (--storage.agent): samples are kept only until remote write has sent them; rules are not evaluated (no alerts), and the query API and the web pages' charts are off",
			"ignored_rule_files", len(a.cfg.RuleFiles), "default_rules", a.cfg.RuleDefaults)
	}

	srv := &http.Server{Handler: a.web, ReadHeaderTimeout: 10 * time.Second}
	flags := &web.FlagConfig{WebListenAddresses: &a.cfg.Listen, WebSystemdSocket: new(bool), WebConfigFile: &a.cfg.WebConfigFile}
	served := make(chan error, 1)
	go func() { served <- web.ServeMultiple(listeners, srv, flags, a.log) }()

	if a.remote != nil {
		if err := a.remote.Start(); err != nil {
			for _, l := range listeners {
				l.Close()
			}
			a.store.Close()
			return err
		}
	}
	loopCtx, stopLoops := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.collectLoop(loopCtx) })
	wg.Go(func() { a.notifier.Run(loopCtx) })
	go a.rules.Run()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var err error
wait:
	for {
		select {
		case err = <-served:
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			break wait
		case <-hup:
			a.log.Info("SIGHUP: reloading rules")
			a.Reload()
		case <-ctx.Done():
			break wait
		}
	}
	a.log.Info("shutting down")
	a.web.SetReady(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	a.rules.Stop()
	a.investigations.Stop()
	stopLoops()
	wg.Wait()
	if a.remote != nil {
		// What is queued is sent for up to a minute; what is not stays in
		// the WAL.
		if cerr := a.remote.Close(); cerr != nil {
			a.log.Warn("stopping remote write", "err", cerr)
		}
	}
	if cerr := a.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing the store: %w", cerr)
	}
	a.log.Info("stopped")
	return err
}

// collectLoop gathers every interval, on the interval's boundaries, and
// appends to the store.
func (a *Agent) collectLoop(ctx context.Context) {
	next := time.Now()
	for {
		a.collectOnce(ctx, next)
		next = next.Add(a.cfg.Interval)
		if now := time.Now(); next.Before(now) {
			// A collection overran the interval: skip to the next slot
			// rather than pile up.
			next = now.Truncate(a.cfg.Interval).Add(a.cfg.Interval)
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (a *Agent) collectOnce(ctx context.Context, at time.Time) {
	start := time.Now()
	timeout := min(a.cfg.Interval, a.cfg.ScrapeTimeout)
	if timeout <= 0 {
		timeout = a.cfg.Interval
	}
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	mfs, err := a.gatherer.Gather(gctx)
	if err != nil && len(mfs) == 0 {
		a.collectionFailures.Inc()
		a.log.Error("collection failed", "err", err)
		return
	}
	a.mu.Lock()
	a.families = mfs
	a.mu.Unlock()
	if _, err := a.store.Append(ctx, mfs, at); err != nil {
		a.collectionFailures.Inc()
		a.failed++
		if !a.storeFailing || time.Since(a.failLogged) > 5*time.Minute {
			a.log.Error("storing collections fails; the agent goes on serving and alerting, and stores again once it can",
				"err", err, "failed_so_far", a.failed)
			a.failLogged = time.Now()
		}
		a.storeFailing = true
		return
	}
	if a.storeFailing {
		a.log.Info("storing collections works again", "failed", a.failed)
		a.storeFailing, a.failed = false, 0
	}
	a.collections.Inc()
	a.collectionSeconds.Set(time.Since(start).Seconds())
	a.web.SetReady(true)
}

// alertmanagers lists the Alertmanagers for /api/v1/alertmanagers.
type alertmanagers struct{ n *alert.Notifier }

func (am alertmanagers) Alertmanagers() []*url.URL {
	var out []*url.URL
	for _, d := range am.n.Destinations() {
		if d.Kind == "alertmanager" {
			if u, err := url.Parse(d.URL); err == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

func (am alertmanagers) DroppedAlertmanagers() []*url.URL { return nil }
