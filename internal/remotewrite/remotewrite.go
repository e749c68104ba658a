// Package remotewrite sends what mihari stores to Prometheus-compatible
// receivers (Prometheus, VictoriaMetrics, Thanos, Mimir) with the
// Prometheus remote-write protocol, using Prometheus's own queue manager:
// it tails the store's write-ahead log, so a sample is sent after it is on
// disk, per series in order, and retried while a receiver is down.
//
// The TSDB truncates its WAL when it compacts its head (every ~2 hours), and
// a queue that is behind would lose what was cut. So while a queue is behind
// by less than MaxBacklog, the store's compactions are held; past it they
// run again and the oldest unsent samples are given up, as the metrics say.
package remotewrite

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	promconfig "github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage/remote"
	"go.yaml.in/yaml/v2"
)

// Options configure remote write.
type Options struct {
	// URLs are the receivers' write endpoints; each gets its own queue.
	URLs []string
	// BasicAuthUser and BasicAuthPasswordFile, BearerTokenFile and TLS
	// apply to every URL; ConfigFile gives receivers with settings of
	// their own.
	BasicAuthUser         string
	BasicAuthPasswordFile string
	BearerTokenFile       string
	TLS                   config.TLSConfig
	// ConfigFile is a YAML file with a Prometheus remote_write: section,
	// for receivers that need more than the flags say (headers, relabeling,
	// queue tuning, their own credentials).
	ConfigFile string
	// Protocol is "1.0" (prometheus.WriteRequest) or "2.0"
	// (io.prometheus.write.v2.Request).
	Protocol string
	// Labels are added to every series sent (external labels).
	Labels labels.Labels
	// MaxBacklog is how far behind a queue may fall before the store
	// compacts anyway and the oldest unsent samples are lost.
	MaxBacklog time.Duration
	// Dir is the store's directory: its WAL is Dir/wal.
	Dir string

	Logger *slog.Logger
	// Registerer receives Prometheus's remote-storage metrics
	// (prometheus_remote_storage_*), Gatherer reads them back for the
	// backlog; MetricsRegisterer receives mihari's own.
	Registerer        prometheus.Registerer
	Gatherer          prometheus.Gatherer
	MetricsRegisterer prometheus.Registerer
}

// Compactor is what the writer holds while a queue is behind: the store.
type Compactor interface {
	DisableCompactions()
	EnableCompactions()
}

// Enabled reports whether the options ask for any receiver.
func (o Options) Enabled() bool { return len(o.URLs) > 0 || o.ConfigFile != "" }

// Writer runs the queues.
type Writer struct {
	o       Options
	rs      *remote.Storage
	running bool
	db      Compactor
	log     *slog.Logger
	configs []*promconfig.RemoteWriteConfig

	stop    chan struct{}
	done    chan struct{}
	started time.Time
	now     func() time.Time

	mu   sync.Mutex
	held bool // compactions held for a queue that is behind

	backlog  *prometheus.GaugeVec
	holding  prometheus.Gauge
	givenUps prometheus.Counter
}

// Configs builds the receivers' configurations from the options, checking
// them; an error names the flag or file at fault.
func Configs(o Options) ([]*promconfig.RemoteWriteConfig, error) {
	var msg remoteapi.WriteMessageType
	switch o.Protocol {
	case "", "1.0", "1":
		msg = remoteapi.WriteV1MessageType
	case "2.0", "2":
		msg = remoteapi.WriteV2MessageType
	default:
		return nil, fmt.Errorf("--remote-write.protocol %q: want 1.0 or 2.0", o.Protocol)
	}
	var out []*promconfig.RemoteWriteConfig
	for _, raw := range o.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--remote-write.url %q: want an http:// or https:// URL such as http://prometheus:9090/api/v1/write", raw)
		}
		c := promconfig.DefaultRemoteWriteConfig
		c.URL = &config.URL{URL: u}
		c.ProtobufMessage = msg
		// Metadata is sent from a scrape manager's targets, which mihari
		// has none of; 2.0 carries it with the series.
		c.MetadataConfig.Send = false
		c.HTTPClientConfig = config.DefaultHTTPClientConfig
		if o.BasicAuthUser != "" || o.BasicAuthPasswordFile != "" {
			c.HTTPClientConfig.BasicAuth = &config.BasicAuth{Username: o.BasicAuthUser, PasswordFile: o.BasicAuthPasswordFile}
		}
		if o.BearerTokenFile != "" {
			c.HTTPClientConfig.Authorization = &config.Authorization{Type: "Bearer", CredentialsFile: o.BearerTokenFile}
		}
		c.HTTPClientConfig.TLSConfig = o.TLS
		if err := c.HTTPClientConfig.Validate(); err != nil {
			return nil, fmt.Errorf("--remote-write.* for %s: %w", u.Redacted(), err)
		}
		for _, f := range []struct{ flag, path string }{
			{"--remote-write.basic-auth.password-file", o.BasicAuthPasswordFile},
			{"--remote-write.bearer-token-file", o.BearerTokenFile},
			{"--remote-write.tls.ca-file", o.TLS.CAFile},
			{"--remote-write.tls.cert-file", o.TLS.CertFile},
			{"--remote-write.tls.key-file", o.TLS.KeyFile},
		} {
			if f.path == "" {
				continue
			}
			if _, err := os.Stat(f.path); err != nil {
				return nil, fmt.Errorf("%s: %w", f.flag, err)
			}
		}
		out = append(out, &c)
	}
	if o.ConfigFile != "" {
		b, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("--remote-write.config-file: %w", err)
		}
		var file struct {
			RemoteWrite []*promconfig.RemoteWriteConfig `yaml:"remote_write"`
		}
		if err := yaml.UnmarshalStrict(b, &file); err != nil {
			return nil, fmt.Errorf("--remote-write.config-file %s: %w", o.ConfigFile, err)
		}
		if len(file.RemoteWrite) == 0 {
			return nil, fmt.Errorf("--remote-write.config-file %s: no receiver in its remote_write section", o.ConfigFile)
		}
		for _, c := range file.RemoteWrite {
			c.MetadataConfig.Send = false
			c.HTTPClientConfig.SetDirectory(filepath.Dir(o.ConfigFile))
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no remote-write receiver: give --remote-write.url or --remote-write.config-file")
	}
	return out, nil
}

// New builds the queues; they start with Start. db, when not nil, is
// held while a queue is behind (see SetCompactor).
func New(o Options, db Compactor) (*Writer, error) {
	cfgs, err := Configs(o)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBacklog <= 0 {
		o.MaxBacklog = 2 * time.Hour
	}
	w := &Writer{o: o, db: db, log: o.Logger, configs: cfgs, stop: make(chan struct{}), done: make(chan struct{}), now: time.Now}
	w.backlog = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mihari_remote_write_backlog_seconds",
		Help: "How far each remote-write queue is behind the store: the newest sample stored minus the newest one the receiver took.",
	}, []string{"remote_name", "url"})
	w.holding = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "mihari_remote_write_compactions_held",
		Help: "1 while the store holds its compactions (and so its WAL) for a remote-write queue that is behind by less than --remote-write.max-backlog.",
	})
	w.givenUps = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mihari_remote_write_backlog_exceeded_total",
		Help: "Times a queue fell --remote-write.max-backlog behind and the store compacted anyway, giving up the oldest unsent samples.",
	})
	if o.MetricsRegisterer != nil {
		o.MetricsRegisterer.MustRegister(w.backlog, w.holding, w.givenUps)
	}
	// The start-time callback serves remote read, which mihari does not use.
	noStart := func() (int64, error) { return 0, nil }
	w.rs = remote.NewStorage(w.log, o.Registerer, noStart, o.Dir, time.Minute, nil, false)
	return w, nil
}

// SetCompactor sets the store to hold while a queue is behind.
func (w *Writer) SetCompactor(db Compactor) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.db = db
}

// Storage is Prometheus's remote storage the queues run in: an agent-mode
// store truncates its log by what it has sent.
func (w *Writer) Storage() *remote.Storage { return w.rs }

// Start starts the queues: from now on every sample the store appends is
// sent. Notify, called after each append, wakes them.
func (w *Writer) Start() error {
	w.started = w.now()
	err := w.rs.ApplyConfig(&promconfig.Config{
		GlobalConfig:       promconfig.GlobalConfig{ExternalLabels: w.o.Labels},
		RemoteWriteConfigs: w.configs,
	})
	if err != nil {
		w.rs.Close()
		return fmt.Errorf("remote write: %w", err)
	}
	w.running = true
	for _, c := range w.configs {
		w.log.Info("remote write", "url", c.URL.Redacted(), "protocol", string(c.ProtobufMessage))
	}
	go w.watch()
	return nil
}

// Notify tells the queues the WAL has new records (tsdb's WriteNotified).
func (w *Writer) Notify() { w.rs.Notify() }

// Close stops watching, sends what is queued for up to a minute, and lets
// the store compact again.
func (w *Writer) Close() error {
	if !w.running {
		return w.rs.Close()
	}
	close(w.stop)
	<-w.done
	err := w.rs.Close()
	w.release()
	return err
}

// watch keeps the store's compactions held while a queue is behind.
func (w *Writer) watch() {
	defer close(w.done)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.check()
		}
	}
}

// behindSlack is how far behind a queue may be before the store holds its
// compactions: a few batches' deadline and intervals.
const behindSlack = 30 * time.Second

func (w *Writer) check() {
	lags := w.lags()
	worst := 0.0
	for key, lag := range lags {
		w.backlog.WithLabelValues(key[0], key[1]).Set(lag)
		worst = math.Max(worst, lag)
	}
	switch {
	case worst > w.o.MaxBacklog.Seconds():
		if w.isHeld() {
			w.log.Warn("a remote-write receiver is more than --remote-write.max-backlog behind: compacting the store, the oldest unsent samples are lost",
				"behind", time.Duration(worst*float64(time.Second)).Round(time.Second), "max_backlog", w.o.MaxBacklog)
			w.givenUps.Inc()
			w.release()
		}
	case worst > behindSlack.Seconds():
		w.hold()
	default:
		w.release()
	}
}

func (w *Writer) isHeld() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.held
}

func (w *Writer) hold() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.held && w.db != nil {
		w.db.DisableCompactions()
		w.held = true
		w.holding.Set(1)
	}
}

func (w *Writer) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held && w.db != nil {
		w.db.EnableCompactions()
		w.held = false
		w.holding.Set(0)
	}
}

// lags reads each queue's backlog from its metrics: now minus the newest
// sample it has sent (the store appends every interval, so now is about
// the newest stored), or minus its start while it has sent nothing.
func (w *Writer) lags() map[[2]string]float64 {
	out := map[[2]string]float64{}
	if w.o.Gatherer == nil {
		return out
	}
	mfs, err := w.o.Gatherer.Gather()
	if err != nil && len(mfs) == 0 {
		return out
	}
	now := float64(w.now().UnixMilli()) / 1e3
	for _, mf := range mfs {
		if mf.GetName() != "prometheus_remote_storage_queue_highest_sent_timestamp_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var key [2]string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "remote_name":
					key[0] = l.GetValue()
				case "url":
					key[1] = l.GetValue()
				}
			}
			sent := math.Max(m.GetGauge().GetValue(), float64(w.started.UnixMilli())/1e3)
			out[key] = math.Max(0, now-sent)
		}
	}
	return out
}
