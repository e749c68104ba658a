package web

import (
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mihari-dev/mihari/internal/collect"
)

func newHandler(t *testing.T, opts Options) *Handler {
	t.Helper()
	g := collect.NewGatherer(collect.NewNode(nil, slog.New(slog.DiscardHandler)), collect.NewReader(collect.Config{}))
	h, err := NewHandler(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestEndpoints(t *testing.T) {
	internal := prometheus.NewRegistry()
	internal.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "prometheus_engine_queries", Help: "x"}))
	reloads := 0
	h := newHandler(t, Options{Internal: internal, Reload: func() error {
		reloads++
		if reloads > 1 {
			return errors.New("rules.yml: bad")
		}
		return nil
	}})

	w := get(h, "GET", "/metrics")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "mihari_build_info") || strings.Contains(w.Body.String(), "prometheus_engine_queries") {
		t.Errorf("/metrics: %d, mihari_build_info %v, internal metrics %v", w.Code,
			strings.Contains(w.Body.String(), "mihari_build_info"), strings.Contains(w.Body.String(), "prometheus_engine_queries"))
	}
	if w := get(h, "GET", InternalMetricsPath); w.Code != 200 || !strings.Contains(w.Body.String(), "prometheus_engine_queries 0") {
		t.Errorf("%s: %d %q", InternalMetricsPath, w.Code, w.Body.String())
	}

	w = get(h, "GET", "/metrics", "Accept-Encoding", "gzip")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip for a client that accepts it")
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !strings.Contains(string(b), "mihari_build_info") {
		t.Errorf("gzipped /metrics lacks mihari_build_info")
	}

	if w := get(h, "GET", "/-/ready"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready before SetReady: %d", w.Code)
	}
	h.SetReady(true)
	if w := get(h, "GET", "/-/ready"); w.Code != 200 {
		t.Errorf("/-/ready after SetReady: %d", w.Code)
	}

	if w := get(h, "GET", "/-/reload"); w.Code != http.StatusMethodNotAllowed || reloads != 0 {
		t.Errorf("GET /-/reload: %d, %d reloads", w.Code, reloads)
	}
	if w := get(h, "POST", "/-/reload"); w.Code != 200 || reloads != 1 {
		t.Errorf("POST /-/reload: %d, %d reloads", w.Code, reloads)
	}
	if w := get(h, "POST", "/-/reload"); w.Code != 500 || !strings.Contains(w.Body.String(), "rules.yml: bad") {
		t.Errorf("failing reload: %d %q", w.Code, w.Body.String())
	}

	if w := get(h, "GET", "/"); w.Code != 200 || !strings.Contains(w.Body.String(), InternalMetricsPath) {
		t.Errorf("landing page: %d, links %s: %v", w.Code, InternalMetricsPath, strings.Contains(w.Body.String(), InternalMetricsPath))
	}
}

// Without the embedded parts (mihari metrics, tests) there is no internal
// endpoint and no link to it.
func TestNoInternal(t *testing.T) {
	h := newHandler(t, Options{})
	if w := get(h, "GET", InternalMetricsPath); strings.Contains(w.Body.String(), "# TYPE") {
		t.Errorf("%s served without Internal", InternalMetricsPath)
	}
	if w := get(h, "GET", "/"); strings.Contains(w.Body.String(), InternalMetricsPath) {
		t.Errorf("landing page links %s without Internal", InternalMetricsPath)
	}
}
