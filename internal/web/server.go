// Package web serves mihari's HTTP endpoints.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	Logger        *slog.Logger
}

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
	h.ready.Store(true)

	scrapes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mihari_http_scrapes_total",
		Help: "Scrapes of the metrics endpoint served, by HTTP status code.",
	}, []string{"code"})
	g.Registry().MustRegister(scrapes)

	h.mux.Handle(opts.MetricsPath, promhttp.InstrumentHandlerCounter(scrapes, http.HandlerFunc(h.serveMetrics)))
	h.mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "mihari is healthy.")
	})
	h.mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !h.ready.Load() {
			http.Error(w, "mihari is not ready.", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "mihari is ready.")
	})
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "mihari",
		Description: "A lookout for Linux hosts: host metrics compatible with node_exporter, and the cost of every read it makes.",
		Version:     version.Info(),
		Links: []web.LandingLinks{
			{Address: opts.MetricsPath, Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("building landing page: %w", err)
	}
	if opts.MetricsPath != "/" {
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
	promhttp.HandlerFor(h.g.WithContext(ctx), promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(h.opts.Logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
}
