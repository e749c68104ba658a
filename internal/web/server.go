// Package web serves mihari's HTTP endpoints.
package web

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/mihari-dev/mihari/internal/collect"
)

// Options configure the handler.
type Options struct {
	// MetricsPath is where the metrics are served, "/metrics" by default.
	MetricsPath string
	// ScrapeTimeout bounds one scrape; a shorter X-Prometheus-Scrape-Timeout-Seconds
	// header from Prometheus shortens it further.
	ScrapeTimeout time.Duration
	// EnablePprof serves Go's profiler at /debug/pprof/, to see what
	// mihari itself spends its CPU on.
	EnablePprof bool
	// Internal, when set, is served whole at /metrics/internal: the
	// metrics of the embedded TSDB, engine and rules.
	Internal prometheus.Gatherer
	// API, when set, serves the Prometheus HTTP API under /api/v1/.
	API http.Handler
	// Reload, when set, is called by POST /-/reload (rule files).
	Reload func() error
	// UI, when set, serves the pages at / in place of the landing page.
	UI     http.Handler
	Logger *slog.Logger
}

// InternalMetricsPath serves the metrics of the embedded Prometheus parts.
const InternalMetricsPath = "/metrics/internal"

// Handler serves /metrics, /-/healthy, /-/ready and a landing page.
type Handler struct {
	mux   *http.ServeMux
	g     *collect.Gatherer
	opts  Options
	ready atomic.Bool
}

// NewHandler returns the agent's HTTP handler.
func NewHandler(g *collect.Gatherer, opts Options) (*Handler, error) {
	if opts.MetricsPath == "" {
		opts.MetricsPath = "/metrics"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{mux: http.NewServeMux(), g: g, opts: opts}

	scrapes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mihari_http_scrapes_total",
		Help: "Scrapes of the metrics endpoint served, by HTTP status code.",
	}, []string{"code"})
	g.Registry().MustRegister(scrapes)

	h.mux.Handle(opts.MetricsPath, promhttp.InstrumentHandlerCounter(scrapes, http.HandlerFunc(h.serveMetrics)))
	if opts.Internal != nil && opts.MetricsPath != InternalMetricsPath {
		h.mux.Handle(InternalMetricsPath, promhttp.HandlerFor(opts.Internal, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	}
	h.mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "mihari is healthy.")
	})
	if opts.API != nil {
		h.mux.Handle("/api/v1/", opts.API)
	}
	if opts.Reload != nil {
		h.mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost && r.Method != http.MethodPut {
				http.Error(w, "use POST to reload", http.StatusMethodNotAllowed)
				return
			}
			if err := opts.Reload(); err != nil {
				http.Error(w, "reloading: "+err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintln(w, "reloaded.")
		})
	}
	h.mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !h.ready.Load() {
			http.Error(w, "mihari is not ready.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "mihari is ready.")
	})
	if opts.EnablePprof {
		h.mux.HandleFunc("/debug/pprof/", pprof.Index)
		h.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		h.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		h.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		h.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	links := []web.LandingLinks{{Address: opts.MetricsPath, Text: "Metrics"}}
	if opts.Internal != nil {
		links = append(links, web.LandingLinks{Address: InternalMetricsPath, Text: "Metrics of the embedded TSDB, PromQL engine and rules"})
	}
	links = append(links,
		web.LandingLinks{Address: "/-/healthy", Text: "Health"},
		web.LandingLinks{Address: "/-/ready", Text: "Readiness"})
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "mihari",
		Description: "A lookout for Linux hosts: host metrics compatible with node_exporter, and the cost of every read it makes.",
		Version:     version.Info(),
		Links:       links,
	})
	if err != nil {
		return nil, fmt.Errorf("building landing page: %w", err)
	}
	switch {
	case opts.MetricsPath == "/":
	case opts.UI != nil:
		h.mux.Handle("/", opts.UI)
	default:
		h.mux.Handle("/", landing)
	}
	return h, nil
}

// SetReady sets what /-/ready answers.
func (h *Handler) SetReady(ok bool) { h.ready.Store(ok) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) serveMetrics(w http.ResponseWriter, r *http.Request) {
	timeout := h.opts.ScrapeTimeout
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		// Answer a little before Prometheus gives up, so it gets the
		// stale values rather than nothing.
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			if d := time.Duration(s * 0.9 * float64(time.Second)); timeout <= 0 || d < timeout {
				timeout = d
			}
		}
	}
	ctx := r.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	mfs, err := h.g.Gather(ctx)
	if err != nil {
		// Serve what could be gathered, as promhttp's ContinueOnError does.
		h.opts.Logger.Error("gathering metrics", "err", err)
		if len(mfs) == 0 {
			http.Error(w, "gathering metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...)
	w.Header().Set("Content-Type", string(format))
	var out io.Writer = w
	if acceptsGzip(r) {
		// Fastest compression: the text compresses ~10x either way, and
		// compressing at the default level would be the largest single
		// cost of a scrape.
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() {
			gz.Close()
			gzipPool.Put(gz)
		}()
		w.Header().Set("Content-Encoding", "gzip")
		out = gz
	}
	enc := expfmt.NewEncoder(out, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.opts.Logger.Debug("writing metrics", "err", err)
			return
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		c.Close()
	}
}

var gzipPool = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return gz
}}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
