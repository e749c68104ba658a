package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mihari-dev/mihari/internal/investigate"
)

// APIPath is where the investigations are served, next to Prometheus's
// /api/v1.
const APIPath = "/api/v1/investigations"

// listItem is one investigation in GET /api/v1/investigations.
type listItem struct {
	ID         string             `json:"id"`
	Status     string             `json:"status"`
	Started    time.Time          `json:"started"`
	Finished   time.Time          `json:"finished,omitzero"`
	Trigger    map[string]string  `json:"trigger"`
	Summary    string             `json:"summary,omitempty"`
	Confidence string             `json:"confidence,omitempty"`
	Cause      *investigate.Cause `json:"cause,omitempty"`
	Error      string             `json:"error,omitempty"`
}

// ServeHTTP serves the investigations, in the shapes of Prometheus's API:
//
//	GET /api/v1/investigations            the list, newest first
//	GET /api/v1/investigations/ID         the report (JSON)
//	GET /api/v1/investigations/ID?format=html|md
//
// A run in progress is {"id","status":"running","started"}; one that
// failed without a report is its meta (status, error).
func (r *Runner) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		apiError(w, http.StatusMethodNotAllowed, "bad_data", "use GET")
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, APIPath)
	if !ok {
		apiError(w, http.StatusNotFound, "not_found", "no such endpoint")
		return
	}
	switch rest {
	case "", "/":
		r.serveList(w)
		return
	}
	// The ID is checked before any path is built from it: the URL's path
	// is already unescaped, so "..%2F" arrives here as "../".
	id := strings.TrimPrefix(rest, "/")
	if !ValidID(id) {
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("invalid investigation ID %q: IDs are letters, digits and dashes", id))
		return
	}
	format := req.FormValue("format")
	switch format {
	case "", "json", "html", "md":
	default:
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("format %q: want json, html or md", format))
		return
	}
	r.serveOne(w, id, format)
}

func (r *Runner) serveList(w http.ResponseWriter) {
	metas, errs := r.dir.list()
	if len(errs) > 0 && len(metas) == 0 {
		if errors.Is(errs[0], fs.ErrNotExist) {
			errs = nil
		} else {
			apiError(w, http.StatusInternalServerError, "internal", errs[0].Error())
			return
		}
	}
	for _, err := range errs {
		r.log.Warn("skipping an unreadable investigation", "err", err)
	}
	out := make([]listItem, len(metas))
	for i, m := range metas {
		out[i] = listItem{
			ID: m.ID, Status: m.Status, Started: m.Started, Finished: m.Finished, Trigger: m.Trigger,
			Summary: m.Summary, Confidence: m.Confidence, Cause: m.Cause, Error: m.Error,
		}
		if out[i].Trigger == nil {
			out[i].Trigger = map[string]string{}
		}
	}
	apiSuccess(w, out)
}

func (r *Runner) serveOne(w http.ResponseWriter, id, format string) {
	m, err := r.dir.readMeta(id)
	if errors.Is(err, fs.ErrNotExist) {
		apiError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no investigation %q (it may have been pruned: see --investigate.retention.*)", id))
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	var report []byte
	if m.Status != StatusRunning {
		report, err = os.ReadFile(r.dir.reportPath(id))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			apiError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
	}
	if report == nil {
		r.serveStatus(w, m, format)
		return
	}
	if format == "" || format == "json" {
		if !json.Valid(report) {
			apiError(w, http.StatusInternalServerError, "internal", fmt.Sprintf("investigation %q: its report is not valid JSON", id))
			return
		}
		apiSuccess(w, json.RawMessage(report))
		return
	}
	var rep investigate.Report
	if err := json.Unmarshal(report, &rep); err != nil {
		apiError(w, http.StatusInternalServerError, "internal", fmt.Sprintf("investigation %q: its report is not valid JSON: %v", id, err))
		return
	}
	var b bytes.Buffer
	write, ctype := investigate.WriteHTML, "text/html; charset=utf-8"
	if format == "md" {
		write, ctype = investigate.WriteMarkdown, "text/markdown; charset=utf-8"
	}
	if err := write(&b, &rep); err != nil {
		apiError(w, http.StatusInternalServerError, "internal", fmt.Sprintf("rendering investigation %q: %v", id, err))
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b.Bytes())
}

// statusData is an investigation without a report: running, or failed.
type statusData struct {
	ID       string            `json:"id"`
	Status   string            `json:"status"`
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished,omitzero"`
	Trigger  map[string]string `json:"trigger,omitempty"`
	Error    string            `json:"error,omitempty"`
	Stderr   string            `json:"stderr,omitempty"`
}

// serveStatus answers for an investigation that has no report: one still
// running, or one that failed or was killed before it wrote one.
func (r *Runner) serveStatus(w http.ResponseWriter, m *Meta, format string) {
	d := statusData{ID: m.ID, Status: m.Status, Started: m.Started}
	if m.Status != StatusRunning {
		d.Finished, d.Trigger, d.Error, d.Stderr = m.Finished, m.Trigger, m.Error, m.Stderr
	}
	switch format {
	case "", "json":
		apiSuccess(w, d)
	case "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		fmt.Fprintf(w, "# Investigation %s\n\n", m.ID)
		if m.Status == StatusRunning {
			fmt.Fprintf(w, "Running since %s. Reload to see the report when it is done.\n", m.Started.UTC().Format(time.RFC3339))
			return
		}
		fmt.Fprintf(w, "**%s** at %s, started %s: %s\n", m.Status, m.Finished.UTC().Format(time.RFC3339), m.Started.UTC().Format(time.RFC3339), m.Error)
		if m.Stderr != "" {
			fmt.Fprintf(w, "\nThe end of its standard error:\n\n```\n%s\n```\n", strings.TrimRight(m.Stderr, "\n"))
		}
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b bytes.Buffer
		if err := statusPage.Execute(&b, d); err != nil {
			apiError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		w.Write(b.Bytes())
	}
}

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{{if eq .Status "running"}}<meta http-equiv="refresh" content="10">
{{end}}<title>mihari investigation {{.ID}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em}pre{background:#f4f4f4;padding:1em;overflow:auto}</style>
</head>
<body>
<h1>Investigation {{.ID}}</h1>
{{if eq .Status "running"}}<p>This investigation is <strong>running</strong> since {{time .Started}}. Reload this page to see its report when it is done (it reloads by itself every 10 seconds).</p>
{{else}}<p>This investigation <strong>{{.Status}}</strong> at {{time .Finished}} (started {{time .Started}}) without a report: {{.Error}}</p>
{{with .Trigger}}<p>It was started by the alert {{range $k, $v := .}}{{$k}}="{{$v}}" {{end}}</p>
{{end}}{{with .Stderr}}<p>The end of its standard error:</p>
<pre>{{.}}</pre>
{{end}}{{end}}</body>
</html>
`))

func apiSuccess(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": data})
}

// apiError answers in Prometheus's error shape.
func apiError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": typ, "error": msg})
}
