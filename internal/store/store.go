// Package store keeps mihari's samples in an embedded Prometheus TSDB: the
// collectors' metrics are appended directly every interval (no HTTP
// self-scrape), with staleness markers for series that disappear, and the
// TSDB's write-ahead log makes a crash lose at most the interval in flight.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/agent"
	"github.com/prometheus/prometheus/tsdb/wlog"
	"github.com/prometheus/prometheus/util/compression"
)

// marker is the file that says a directory is mihari's.
const marker = "MIHARI"

// Options configure a Store.
type Options struct {
	// Path is the data directory.
	Path string
	// Retention is how long samples are kept; RetentionSize caps the bytes
	// of the blocks (0: no cap).
	Retention     time.Duration
	RetentionSize int64
	// Labels are added to every stored series, as a Prometheus scrape adds
	// job and instance.
	Labels labels.Labels
	Logger *slog.Logger
	// Registerer receives the store's own metrics (mihari_storage_*).
	Registerer prometheus.Registerer
	// TSDBRegisterer receives the TSDB's (prometheus_tsdb_*, ~190 series).
	TSDBRegisterer prometheus.Registerer

	// Agent keeps only a write-ahead log for remote write (Prometheus's
	// agent mode): nothing can be queried, and what Remote has sent is cut
	// from the log, at the latest after MaxWAL.
	Agent  bool
	Remote *remote.Storage
	MaxWAL time.Duration
}

// DefaultPath is /var/lib/mihari for root, else the user's XDG state
// directory.
func DefaultPath() string {
	home, _ := os.UserHomeDir()
	return defaultPath(os.Geteuid(), os.Getenv("XDG_STATE_HOME"), home)
}

func defaultPath(euid int, xdgState, home string) string {
	switch {
	case euid == 0:
		return "/var/lib/mihari"
	case xdgState != "":
		return filepath.Join(xdgState, "mihari")
	case home != "":
		return filepath.Join(home, ".local", "state", "mihari")
	}
	return "mihari-data"
}

// Store is an open data directory.
type Store struct {
	db   *tsdb.DB  // nil with Options.Agent
	wal  *agent.DB // with Options.Agent
	app  storage.AppendableV2
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	cache map[string]*series // the series of the latest collections, by identity
	gen   uint64             // collections stored

	appended, appendFailures, staleMarkers prometheus.Counter
	lastAppend                             prometheus.Gauge
	series                                 prometheus.Gauge
}

// Open opens or creates the data directory. It refuses a directory that
// holds anything but mihari's data, so that it never deletes (by retention)
// or corrupts someone else's files, and one that another mihari has open.
func Open(o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := claim(o.Path); err != nil {
		return nil, err
	}
	if o.Agent {
		return openAgent(o)
	}
	topts := tsdb.DefaultOptions()
	if o.Retention > 0 {
		topts.RetentionDuration = o.Retention.Milliseconds()
	}
	topts.MaxBytes = o.RetentionSize
	// As Prometheus does: the write-ahead log, rewritten every two hours, is
	// most of the disk a small store uses.
	topts.WALCompression = compression.Snappy
	// The head is cut into 2h blocks, which compaction merges up to a
	// tenth of the retention (at most 31 days), as Prometheus does: a
	// week's query then opens a few blocks rather than 84.
	topts.MaxBlockDuration = (31 * 24 * time.Hour).Milliseconds()
	if r := topts.RetentionDuration / 10; r > 0 && r < topts.MaxBlockDuration {
		topts.MaxBlockDuration = r
	}
	topts.MaxBlockDuration = max(topts.MaxBlockDuration, topts.MinBlockDuration)
	// The TSDB repairs a damaged write-ahead log by dropping what follows
	// the damage, and skips a block it cannot read; it says so only among
	// its startup lines. What it warns of while opening is summed up in one
	// error of mihari's.
	tlog := newWarnings(o.Logger.With("component", "tsdb").Handler())
	db, err := tsdb.Open(o.Path, slog.New(tlog), o.TSDBRegisterer, topts, nil)
	if n, first := tlog.result(); err == nil && n > 0 {
		o.Logger.Error("the data directory is damaged; mihari goes on with what it can read: a damaged write-ahead log is cut at the damage (later samples are lost), a damaged block is left in place and out of queries",
			"path", o.Path, "problems", n, "first", first)
	}
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("--storage.path %q is in use by another mihari (its lock is held); stop it or choose another directory", o.Path)
		}
		return nil, fmt.Errorf("opening the data in --storage.path %q: %w; if the directory is damaged, move it aside and mihari starts afresh", o.Path, err)
	}
	s := newStore(o)
	s.db, s.app = db, db
	return s, nil
}

// openAgent opens the directory as a write-ahead log only.
func openAgent(o Options) (*Store, error) {
	aopts := agent.DefaultOptions()
	aopts.WALCompression = compression.Snappy
	if o.MaxWAL > 0 {
		aopts.MaxWALTime = o.MaxWAL.Milliseconds()
	}
	wal, err := agent.Open(o.Logger.With("component", "wal"), o.TSDBRegisterer, o.Remote, o.Path, aopts)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("--storage.path %q is in use by another mihari (its lock is held); stop it or choose another directory", o.Path)
		}
		return nil, fmt.Errorf("opening the write-ahead log in --storage.path %q: %w", o.Path, err)
	}
	s := newStore(o)
	s.wal, s.app = wal, wal
	return s, nil
}

func newStore(o Options) *Store {
	s := &Store{
		opts:  o,
		log:   o.Logger.With("component", "store"),
		cache: map[string]*series{},
		appended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mihari_storage_samples_appended_total", Help: "Samples mihari appended to its store.",
		}),
		appendFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mihari_storage_append_failures_total", Help: "Collections that could not be stored (disk full, for instance); their samples are lost.",
		}),
		staleMarkers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mihari_storage_stale_markers_total", Help: "Series that disappeared, marked stale in the store.",
		}),
		lastAppend: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mihari_storage_last_append_timestamp_seconds", Help: "When a collection was last stored.",
		}),
		series: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mihari_storage_series", Help: "Series in the latest stored collection.",
		}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.appended, s.appendFailures, s.staleMarkers, s.lastAppend, s.series)
	}
	return s
}

// warnings passes records on, noting the warnings and errors among them
// (in loggers derived from it too) until stopped.
type warnings struct {
	slog.Handler
	*warned
}

type warned struct {
	mu      sync.Mutex
	n       int
	first   string
	stopped bool
}

func newWarnings(h slog.Handler) *warnings { return &warnings{Handler: h, warned: &warned{}} }

func (w *warnings) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.note(r)
	}
	return w.Handler.Handle(ctx, r)
}

func (w *warnings) WithAttrs(as []slog.Attr) slog.Handler {
	return &warnings{Handler: w.Handler.WithAttrs(as), warned: w.warned}
}

func (w *warnings) WithGroup(name string) slog.Handler {
	return &warnings{Handler: w.Handler.WithGroup(name), warned: w.warned}
}

func (w *warned) note(r slog.Record) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.n++
	if w.first != "" {
		return
	}
	w.first = r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			w.first += ": " + a.Value.String()
			return false
		}
		return true
	})
}

// result stops noting and returns what was noted.
func (w *warned) result() (n int, first string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	return w.n, w.first
}

// claim makes sure path is a directory mihari may use: new, empty, or
// marked as mihari's.
func claim(path string) error {
	if path == "" {
		return errors.New("--storage.path is empty")
	}
	entries, err := os.ReadDir(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(path, 0o750); err != nil {
			return fmt.Errorf("creating --storage.path %q: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("--storage.path %q: %w", path, err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(path, marker)); err == nil {
			return nil
		}
		for _, e := range entries {
			if e.Name() == "wal" || e.Name() == "chunks_head" {
				return fmt.Errorf("--storage.path %q holds a TSDB that mihari did not create (a Prometheus data directory?); mihari will not take it over: choose another directory", path)
			}
		}
		return fmt.Errorf("--storage.path %q is not empty and is not a mihari data directory; choose a new or empty directory", path)
	}
	return os.WriteFile(filepath.Join(path, marker),
		[]byte("This directory holds mihari's time-series data (a Prometheus TSDB).\n"), 0o640)
}

// DB is the underlying TSDB, for queries and rules.
func (s *Store) DB() *tsdb.DB { return s.db }

// Appendable is what rules would append to: the TSDB or the log.
func (s *Store) Appendable() storage.AppendableV2 { return s.app }

// Queryable is what queries read: the TSDB, or in agent mode a log that
// answers every query with an error.
func (s *Store) Queryable() storage.Queryable {
	if s.wal != nil {
		return s.wal
	}
	return s.db
}

// SetWriteNotified has wn told after each append that the log grew.
func (s *Store) SetWriteNotified(wn wlog.WriteNotified) {
	if s.wal != nil {
		s.wal.SetWriteNotified(wn)
		return
	}
	s.db.SetWriteNotified(wn)
}

// Close flushes and closes the store.
func (s *Store) Close() error {
	if s.wal != nil {
		return s.wal.Close()
	}
	return s.db.Close()
}

// Append stores one collection at t. Series present in the previous
// collection and absent from this one get a staleness marker, as a
// Prometheus scrape does, so queries stop seeing them at once rather than
// after the five-minute lookback.
func (s *Store) Append(ctx context.Context, mfs []*dto.MetricFamily, t time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := t.UnixMilli()
	app := s.app.AppenderV2(ctx)
	gen := s.gen + 1
	n := 0
	var firstErr error
	var key []byte
	b := labels.NewScratchBuilder(8)
	add := func(mf *dto.MetricFamily, m *dto.Metric, suffix, extraName, extraValue string, v float64) {
		// A known series is found by its identity in the families, without
		// building its labels again: that is most of an append's cost.
		key = seriesKey(key[:0], mf.GetName(), suffix, m, extraName, extraValue)
		c := s.cache[string(key)]
		if c == nil {
			c = &series{ls: buildLabels(&b, mf.GetName()+suffix, m, extraName, extraValue, s.opts.Labels)}
			s.cache[string(key)] = c
		}
		ref, err := app.Append(c.ref, c.ls, 0, ts, v, nil, nil, storage.AppendV2Options{})
		if err != nil {
			if firstErr == nil && !errors.Is(err, storage.ErrDuplicateSampleForTimestamp) {
				firstErr = err
			}
			return
		}
		c.ref, c.seen = ref, gen
		n++
	}
	for _, mf := range mfs {
		forEachSample(mf, add)
	}
	stale := 0
	for _, c := range s.cache {
		if c.seen == s.gen && s.gen != 0 {
			// In the previous collection, not in this one.
			if _, err := app.Append(c.ref, c.ls, 0, ts, math.Float64frombits(value.StaleNaN), nil, nil, storage.AppendV2Options{}); err == nil {
				stale++
			}
		}
	}
	if err := app.Commit(); err != nil {
		s.appendFailures.Inc()
		// Nothing of this collection counts: the series state stays as it
		// was, and the next collection marks what disappeared relative to
		// the last stored one.
		for _, c := range s.cache {
			if c.seen == gen {
				c.seen = s.gen
			}
		}
		return 0, fmt.Errorf("storing %d samples: %w", n, err)
	}
	if firstErr != nil {
		s.log.Warn("some samples were not stored", "err", firstErr)
	}
	for k, c := range s.cache {
		if c.seen != gen {
			delete(s.cache, k) // gone, and marked stale
		}
	}
	s.gen = gen
	s.appended.Add(float64(n))
	s.staleMarkers.Add(float64(stale))
	s.lastAppend.Set(float64(t.UnixNano()) / 1e9)
	s.series.Set(float64(len(s.cache)))
	return n, nil
}

// series is a stored series: its labels and its reference in the TSDB.
type series struct {
	ls   labels.Labels
	ref  storage.SeriesRef
	seen uint64 // generation of the last collection it was in
}

// seriesKey identifies a series of a family: its name and suffix, its label
// pairs (sorted by the client library) and the extra label of a quantile or
// bucket, separated by bytes that names and values cannot hold.
func seriesKey(b []byte, name, suffix string, m *dto.Metric, extraName, extraValue string) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	for _, lp := range m.GetLabel() {
		b = append(b, 0xff)
		b = append(b, lp.GetName()...)
		b = append(b, 0xfe)
		b = append(b, lp.GetValue()...)
	}
	if extraName != "" {
		b = append(b, 0xff)
		b = append(b, extraName...)
		b = append(b, 0xfe)
		b = append(b, extraValue...)
	}
	return b
}

// buildLabels makes a sample's labels: the family's name, the metric's
// labels, the quantile or bucket label, and the store's labels where the
// metric has none of that name.
func buildLabels(b *labels.ScratchBuilder, metric string, m *dto.Metric, extraName, extraValue string, extra labels.Labels) labels.Labels {
	b.Reset()
	b.Add(model.MetricNameLabel, metric)
	own := map[string]bool{}
	for _, lp := range m.GetLabel() {
		b.Add(lp.GetName(), lp.GetValue())
		own[lp.GetName()] = true
	}
	if extraName != "" {
		b.Add(extraName, extraValue)
	}
	extra.Range(func(l labels.Label) {
		if !own[l.Name] {
			b.Add(l.Name, l.Value)
		}
	})
	b.Sort()
	return b.Labels()
}

// forEachSample calls add for each sample of a family, as a Prometheus
// scrape of its text form would store it: summaries as quantile series plus
// _sum and _count, histograms as _bucket{le} plus _sum and _count.
func forEachSample(mf *dto.MetricFamily, add func(mf *dto.MetricFamily, m *dto.Metric, suffix, extraName, extraValue string, v float64)) {
	for _, m := range mf.GetMetric() {
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			add(mf, m, "", "", "", m.GetCounter().GetValue())
		case dto.MetricType_GAUGE:
			add(mf, m, "", "", "", m.GetGauge().GetValue())
		case dto.MetricType_UNTYPED:
			add(mf, m, "", "", "", m.GetUntyped().GetValue())
		case dto.MetricType_SUMMARY:
			s := m.GetSummary()
			for _, q := range s.GetQuantile() {
				add(mf, m, "", "quantile", formatFloat(q.GetQuantile()), q.GetValue())
			}
			add(mf, m, "_sum", "", "", s.GetSampleSum())
			add(mf, m, "_count", "", "", float64(s.GetSampleCount()))
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			h := m.GetHistogram()
			inf := false
			for _, bk := range h.GetBucket() {
				if math.IsInf(bk.GetUpperBound(), 1) {
					inf = true
				}
				add(mf, m, "_bucket", "le", formatFloat(bk.GetUpperBound()), float64(bk.GetCumulativeCount()))
			}
			if !inf {
				add(mf, m, "_bucket", "le", "+Inf", float64(h.GetSampleCount()))
			}
			add(mf, m, "_sum", "", "", h.GetSampleSum())
			add(mf, m, "_count", "", "", float64(h.GetSampleCount()))
		}
	}
}

// formatFloat writes a quantile or bucket bound as the text format does.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
