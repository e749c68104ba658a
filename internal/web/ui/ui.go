// Package ui serves the pages of `mihari serve` at /: server-rendered
// HTML with SVG charts drawn by package chart, and a little plain
// JavaScript for live refresh and interaction. Nothing is fetched from
// elsewhere; everything is in the binary.
package ui

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/promql"
	promrules "github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"

	"github.com/mihari-dev/mihari/internal/web/chart"
)

//go:embed templates/*.tmpl static/*
var files embed.FS

// Options are the parts of the agent the pages show.
type Options struct {
	Engine    *promql.Engine
	Queryable storage.Queryable
	// Rules returns the rule manager, for alerts and rule groups.
	Rules func() *promrules.Manager
	// Interval is the agent's collection interval: the finest step a
	// chart can have.
	Interval time.Duration
	// Investigations lists, shows and starts investigations; nil hides
	// them.
	Investigations Investigations
	// Actions are the buttons that run something on the host (an
	// investigation, a profile, a trace); nil when --web.enable-actions
	// is off.
	Actions Actions
	// Process describes a running process (its cgroup, command line);
	// nil shows what the store knows only.
	Process func(pid int) (ProcessInfo, error)
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Investigations is what the pages need of the investigation runner.
type Investigations interface {
	// List returns the investigations, newest first.
	List() []InvestigationSummary
	// Status says whether an investigation runs, and what it is doing;
	// its report is served by the API.
	Status(id string) (InvestigationStatus, error)
	// AlertLink is the investigation of a firing alert, if it has one.
	AlertLink(labels map[string]string) (id string, ok bool)
}

// InvestigationStatus is where an investigation is.
type InvestigationStatus struct {
	Running bool      `json:"running"`
	Step    string    `json:"step,omitempty"` // what it does now, while it runs
	Started time.Time `json:"started"`
}

// InvestigationSummary is one line of the investigations list.
type InvestigationSummary struct {
	ID, Status, Trigger, Summary, Confidence string
	Started, Finished                        time.Time
}

// Actions run things on the host from the pages.
type Actions interface {
	// Investigate starts an investigation of the host, or of a process
	// (pid > 0), and returns its ID.
	Investigate(pid int) (id string, err error)
	// Profile profiles a process for d and returns a flame graph (SVG).
	Profile(ctx context.Context, pid int, d time.Duration) (svg []byte, err error)
	// TraceFiles traces a process's reads for d and returns its files.
	TraceFiles(ctx context.Context, pid int, d time.Duration) ([]FileRow, error)
}

// FileRow is one file of a process's traced reads.
type FileRow struct {
	Path                string
	Opens, Reads, Bytes uint64
	Seconds, MaxRead    float64
}

// ProcessInfo is what /proc says of a running process.
type ProcessInfo struct {
	Comm, Cmdline, Cgroup, Container string
}

// UI serves the pages.
type UI struct {
	o    Options
	tmpl map[string]*template.Template
	mux  *http.ServeMux
	csrf string
	mu   sync.Mutex
	jobs map[string]*job // profile and trace runs started from the pages
}

// New returns the pages' handler.
func New(o Options) (*UI, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = 15 * time.Second
	}
	var token [16]byte
	if _, err := rand.Read(token[:]); err != nil {
		return nil, err
	}
	u := &UI{o: o, mux: http.NewServeMux(), csrf: hex.EncodeToString(token[:]), jobs: map[string]*job{}}
	if err := u.parse(); err != nil {
		return nil, err
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	u.mux.HandleFunc("GET /static/{name}", static.serve)
	u.mux.HandleFunc("GET /{$}", u.overview)
	u.mux.HandleFunc("GET /explore", u.explore)
	u.mux.HandleFunc("GET /alerts", u.alerts)
	u.mux.HandleFunc("GET /investigations", u.investigations)
	u.mux.HandleFunc("GET /investigations/{id}", u.investigation)
	u.mux.HandleFunc("GET /investigations/{id}/status", u.investigationStatus)
	u.mux.HandleFunc("POST /investigations", u.startInvestigation)
	u.mux.HandleFunc("GET /process/{pid}", u.process)
	u.mux.HandleFunc("POST /process/{pid}/profile", u.startJob("profile"))
	u.mux.HandleFunc("POST /process/{pid}/trace", u.startJob("trace"))
	u.mux.HandleFunc("GET /jobs/{id}", u.job)
	return u, nil
}

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The pages never let a browser frame them or run anything but
	// their own script.
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	u.mux.ServeHTTP(w, r)
}

func (u *UI) parse() error {
	funcs := template.FuncMap{
		"chart": func(c chart.Chart) (template.HTML, error) {
			var b bytes.Buffer
			if err := chart.Render(&b, c); err != nil {
				return "", err
			}
			return template.HTML(b.String()), nil // chart.Render escapes what it writes
		},
		"value":   chart.FormatValue,
		"pct":     func(f float64) string { return chart.FormatValue(f, chart.Percent) },
		"cores":   func(f float64) string { return chart.FormatValue(f, chart.Cores) },
		"bytes":   func(f float64) string { return chart.FormatValue(f, chart.Bytes) },
		"seconds": func(f float64) string { return chart.FormatValue(f, chart.Seconds) },
		"ago":     func(t time.Time) string { return ago(u.o.Now(), t) },
		"utc":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"lower":   strings.ToLower,
		"float":   func(n uint64) float64 { return float64(n) },
		"split":   splitBar,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: a key is not a string")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
	base, err := template.New("base").Funcs(funcs).ParseFS(files, "templates/base.tmpl")
	if err != nil {
		return err
	}
	u.tmpl = map[string]*template.Template{}
	for _, page := range []string{"overview", "explore", "alerts", "investigations", "investigation", "process", "error"} {
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+page+".tmpl")
		if err != nil {
			return fmt.Errorf("template %s: %w", page, err)
		}
		u.tmpl[page] = t
	}
	return nil
}

// page is what every page's template gets.
type page struct {
	Title, Nav string
	CSRF       string
	Actions    bool
	Data       any
}

// render writes a page with 200 OK; its whole HTML is built before a byte
// is sent, so that an error is an error page, not half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	u.renderStatus(w, r, http.StatusOK, name, title, data)
}

func (u *UI) renderStatus(w http.ResponseWriter, r *http.Request, code int, name, title string, data any) {
	var b bytes.Buffer
	p := page{Title: title, Nav: name, CSRF: u.csrf, Actions: u.o.Actions != nil, Data: data}
	if err := u.tmpl[name].ExecuteTemplate(&b, "base", p); err != nil {
		u.o.Logger.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, r, code, "text/html; charset=utf-8", b.Bytes())
}

func (u *UI) fail(w http.ResponseWriter, r *http.Request, code int, err error) {
	u.renderStatus(w, r, code, "error", http.StatusText(code), struct {
		Code  int
		Error string
	}{code, err.Error()})
}

// writeBody sends body, gzip'd when the client takes it and it is worth
// it: a day's overview is ~140 KB of HTML and ~35 KB compressed.
func writeBody(w http.ResponseWriter, r *http.Request, code int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Add("Vary", "Accept-Encoding")
	if len(body) >= 1024 && acceptsGzip(r) {
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// checkCSRF accepts a POST only with the page's token, from this origin.
func (u *UI) checkCSRF(r *http.Request) error {
	if u.o.Actions == nil {
		return errors.New("actions are turned off (--web.enable-actions=false)")
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	if r.PostFormValue("csrf") != u.csrf {
		return errors.New("the form's token is missing or stale: reload the page and try again")
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		return fmt.Errorf("a request from %s, not from this page", o)
	}
	return nil
}

func sameOrigin(origin string, r *http.Request) bool {
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return o == r.Host
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0fs ago", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%.0fm ago", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0fh ago", d.Hours())
	}
	return fmt.Sprintf("%.0fd ago", d.Hours()/24)
}

// splitBar draws a process's CPU split as a bar, user time from the left
// and the kernel's after it, as the column's title reads. An SVG, since the
// pages' policy forbids style attributes.
func splitBar(system float64) template.HTML {
	w := int(math.Round(100 * min(max(system, 0), 1)))
	return template.HTML(fmt.Sprintf(`<svg class="split" viewBox="0 0 100 8" width="100" height="8" role="img" aria-label="%d%% in the kernel"><rect class="sys" width="100" height="8"/><rect class="user" width="%d" height="8"/></svg>`, w, 100-w))
}

// staticFiles are the pages' CSS and JavaScript: the embedded files and
// the charts' style sheet, kept in memory with their gzip'd form. Only
// these names are served; a request names a file of this set, never a
// path.
type staticFiles map[string]*staticFile

type staticFile struct {
	ctype   string
	raw, gz []byte
	etag    string
}

func loadStatic() (staticFiles, error) {
	s := staticFiles{}
	add := func(name string, body []byte) {
		var zb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zb, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s[name] = &staticFile{ctype: ctype, raw: body, gz: zb.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, "static/"+e.Name())
		if err != nil {
			return nil, err
		}
		add(e.Name(), b)
	}
	add("chart.css", []byte(chart.CSS()))
	return s, nil
}

// serve answers GET /static/{name}, cached for an hour and revalidated by
// ETag.
func (s staticFiles) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := s[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", f.etag)
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.raw
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		body = f.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
