package ui_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mihari-dev/mihari/internal/web/ui"
)

// javaPID is the busiest process of the test host (newBenchHost).
const javaPID = "1076"

// fakeActions records what the pages asked to run.
type fakeActions struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeActions) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeActions) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeActions) Investigate(pid int) (string, error) {
	f.record("investigate " + strconv.Itoa(pid))
	return "20261203T101500Z-manual-3f9a", nil
}

func (f *fakeActions) Profile(_ context.Context, pid int, d time.Duration) ([]byte, error) {
	f.record("profile " + strconv.Itoa(pid) + " " + d.String())
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" class="flamegraph" viewBox="0 0 10 10"><g><title>main.burn</title></g></svg>`), nil
}

func (f *fakeActions) TraceFiles(_ context.Context, pid int, d time.Duration) ([]ui.FileRow, error) {
	f.record("trace " + strconv.Itoa(pid) + " " + d.String())
	if pid == 13 {
		return nil, errors.New("tracing needs root")
	}
	return []ui.FileRow{{Path: "/sys/fs/cgroup/<script>alert(1)</script>", Opens: 3, Reads: 6, Bytes: 43340, Seconds: 3.6, MaxRead: 1.2}}, nil
}

type fakeInvestigations struct{}

func (fakeInvestigations) List() []ui.InvestigationSummary {
	return []ui.InvestigationSummary{{ID: "20261203T101500Z-manual-3f9a", Status: "done", Trigger: "started by hand",
		Summary: "`java` used 0.25 cores", Confidence: "high", Started: benchEnd.Add(-time.Hour)}}
}

func (fakeInvestigations) Status(id string) (ui.InvestigationStatus, error) {
	switch id {
	case "20261203T101500Z-manual-3f9a":
		return ui.InvestigationStatus{Started: benchEnd.Add(-time.Hour)}, nil
	case "20261203T111500Z-manual-0001":
		return ui.InvestigationStatus{Running: true, Step: "profiling java (pid 1076) for 10s", Started: benchEnd}, nil
	}
	return ui.InvestigationStatus{}, errors.New("no investigation " + id)
}

func (fakeInvestigations) AlertLink(map[string]string) (string, bool) { return "", false }

func site(t *testing.T, actions ui.Actions) http.Handler {
	return newSite(t, 10*time.Minute, func(o *ui.Options) {
		o.Investigations = fakeInvestigations{}
		o.Actions = actions
		o.Process = func(pid int) (ui.ProcessInfo, error) {
			if pid != 1076 && pid != 13 {
				return ui.ProcessInfo{}, errors.New("no such process")
			}
			return ui.ProcessInfo{Comm: "java", Cmdline: "java -jar app.jar", Cgroup: "/kubepods/burstable/pod1/abc", Container: "abc"}, nil
		}
	})
}

type response struct {
	code int
	h    http.Header
	body string
}

func do(t *testing.T, h http.Handler, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.String()}
}

func getPage(t *testing.T, h http.Handler, target string) response {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func postForm(t *testing.T, h http.Handler, target string, form url.Values, origin string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, h, req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfToken(t *testing.T, h http.Handler) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(getPage(t, h, "/investigations").body)
	if m == nil {
		t.Fatal("the investigations page has no token")
	}
	return m[1]
}

var pointsRe = regexp.MustCompile(`data-points="(\d+)"`)

// TestPages renders every page from a store of ten minutes of a host's
// data: each is complete HTML under the pages' security headers, and the
// charts have points.
func TestPages(t *testing.T) {
	h := site(t, &fakeActions{})
	for _, tc := range []struct {
		target string
		code   int
		want   []string
		charts int
	}{
		{"/?range=5m", 200, []string{"CPU by mode", "Processes by CPU", `href="/process/` + javaPID + `"`, "What monitoring costs", "/proc/[pid]/stat"}, 6},
		{"/?range=nonsense", 200, []string{`aria-current="true">1h<`}, 6},
		{"/explore", 200, []string{`id="q"`, `list="metric-names"`}, 0},
		{"/explore?q=node_load1&range=5m", 200, []string{"Link to this query", "/explore?q=node_load1&amp;range=5m&amp;view=graph"}, 1},
		{"/explore?q=node_load1&view=table", 200, []string{`<table class="result">`, `node_load1{instance=&#34;bench&#34;, job=&#34;mihari&#34;}`}, 0},
		{"/explore?q=rate(node_load1)", 200, []string{`class="error"`, "range vector"}, 0},
		{"/explore?q=node_load1&range=5m&step=1m", 200, []string{`data-points="6"`, "step=1m"}, 1},
		{"/explore?q=node_load1&step=abc", 200, []string{`step &#34;abc&#34;: want a duration such as 15s or 1m`}, 0},
		{"/explore?q=node_load1&range=7d&step=1s", 200, []string{"at most 11000 points a series; take a step of 55s or more"}, 0},
		{"/alerts", 200, []string{"No alert is firing or pending.", "No rules are loaded."}, 0},
		{"/investigations", 200, []string{"started by hand", "Investigate this host now", `data-confirm=`}, 0},
		{"/investigations/20261203T101500Z-manual-3f9a", 200, []string{`<iframe class="report"`, `src="/api/v1/investigations/20261203T101500Z-manual-3f9a?format=html"`}, 0},
		{"/investigations/20261203T111500Z-manual-0001", 200, []string{`data-poll="/investigations/20261203T111500Z-manual-0001/status"`, "profiling java (pid 1076) for 10s"}, 0},
		{"/investigations/nope", 404, []string{"no investigation"}, 0},
		{"/investigations/..%2f..%2fetc%2fpasswd", 404, nil, 0},
		{"/process/" + javaPID + "?range=5m", 200, []string{"Process 1076 java", "/kubepods/burstable/pod1/abc", `action="/process/1076/profile"`, `action="/process/1076/trace"`}, 1},
		{"/process/999", 200, []string{"no longer"}, 1},
		{"/process/-1", 400, []string{"want a positive number"}, 0},
		{"/process/abc", 400, nil, 0},
		{"/nowhere", 404, nil, 0},
	} {
		r := getPage(t, h, tc.target)
		if r.code != tc.code {
			t.Errorf("GET %s: %d, want %d\n%s", tc.target, r.code, tc.code, r.body)
			continue
		}
		if tc.code != 404 || strings.HasPrefix(tc.target, "/investigations/") {
			if ct := r.h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s: Content-Type %q", tc.target, ct)
			}
			if !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
				t.Errorf("GET %s: not a whole page", tc.target)
			}
		}
		if csp := r.h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.target, csp)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s: no %q in\n%s", tc.target, w, r.body)
			}
		}
		if got := strings.Count(r.body, `<svg xmlns="http://www.w3.org/2000/svg" class="chart"`); got != tc.charts {
			t.Errorf("GET %s: %d charts, want %d", tc.target, got, tc.charts)
		}
		if tc.charts > 0 && tc.target != "/process/999" {
			drawn := false
			for _, m := range pointsRe.FindAllStringSubmatch(r.body, -1) {
				drawn = drawn || m[1] != "0"
			}
			if !drawn {
				t.Errorf("GET %s: no chart has points", tc.target)
			}
		}
		if strings.Contains(r.body, `style="`) || strings.Contains(r.body, "<script>") {
			t.Errorf("GET %s: inline style or script, which the policy refuses", tc.target)
		}
	}
	// The running investigation's status, for the page's script.
	r := getPage(t, h, "/investigations/20261203T111500Z-manual-0001/status")
	if r.code != 200 || !strings.Contains(r.body, `"running":true`) || !strings.Contains(r.body, `"step":"profiling java`) {
		t.Errorf("status: %d %s", r.code, r.body)
	}
}

// TestActions runs the buttons' requests: only with the page's token, from
// the page's origin, within the limits; results come back escaped.
func TestActions(t *testing.T) {
	fa := &fakeActions{}
	h := site(t, fa)
	token := csrfToken(t, h)
	for _, tc := range []struct {
		target string
		form   url.Values
		origin string
		code   int
		want   string
	}{
		{"/investigations", url.Values{}, "", 403, "token is missing or stale"},
		{"/investigations", url.Values{"csrf": {"0000"}}, "", 403, "token is missing or stale"},
		{"/investigations", url.Values{"csrf": {token}}, "http://evil.example", 403, "not from this page"},
		{"/process/1076/profile", url.Values{"csrf": {token}, "seconds": {"0"}}, "", 400, "want 1 to 60"},
		{"/process/1076/profile", url.Values{"csrf": {token}, "seconds": {"61"}}, "", 400, "want 1 to 60"},
		{"/process/1076/trace", url.Values{"csrf": {token}, "seconds": {"x"}}, "", 400, "want 1 to 60"},
		{"/process/0/trace", url.Values{"csrf": {token}, "seconds": {"1"}}, "", 400, "want a positive number"},
	} {
		r := postForm(t, h, tc.target, tc.form, tc.origin)
		if r.code != tc.code || !strings.Contains(r.body, tc.want) {
			t.Errorf("POST %s %v (origin %q): %d, want %d with %q\n%s", tc.target, tc.form, tc.origin, r.code, tc.code, tc.want, r.body)
		}
	}
	if calls := fa.Calls(); len(calls) != 0 {
		t.Fatalf("refused requests ran %q", calls)
	}
	if r := getPage(t, h, "/investigations?csrf="+token); r.code != 200 {
		t.Errorf("GET with a token: %d", r.code)
	}

	r := postForm(t, h, "/investigations", url.Values{"csrf": {token}, "pid": {"1076"}}, "http://example.com")
	if r.code != http.StatusSeeOther || r.h.Get("Location") != "/investigations/20261203T101500Z-manual-3f9a" {
		t.Errorf("investigate: %d to %q", r.code, r.h.Get("Location"))
	}
	r = postForm(t, h, "/process/1076/profile", url.Values{"csrf": {token}, "seconds": {"2"}}, "")
	loc := r.h.Get("Location")
	if r.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/process/1076#job-") {
		t.Fatalf("profile: %d to %q", r.code, loc)
	}
	profileJob := strings.TrimPrefix(loc, "/process/1076#job-")
	r = postForm(t, h, "/process/1076/trace", url.Values{"csrf": {token}, "seconds": {"3"}}, "")
	traceJob := strings.TrimPrefix(r.h.Get("Location"), "/process/1076#job-")
	r = postForm(t, h, "/process/13/trace", url.Values{"csrf": {token}, "seconds": {"1"}}, "")
	failJob := strings.TrimPrefix(r.h.Get("Location"), "/process/13#job-")

	wait := func(id string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := getPage(t, h, "/jobs/"+id)
			if r.code != 200 {
				t.Fatalf("job %s: %d %s", id, r.code, r.body)
			}
			if strings.Contains(r.body, `"done":true`) {
				return r.body
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s not done: %s", id, r.body)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if body := wait(profileJob); !strings.Contains(body, `class=\"flamegraph\"`) {
		t.Errorf("profile job: %s", body)
	}
	body := wait(traceJob)
	if strings.Contains(body, "<script>") || !strings.Contains(body, `\u0026lt;script\u0026gt;`) || !strings.Contains(body, "42.3 KiB") {
		t.Errorf("trace job, escaped and with its numbers: %s", body)
	}
	if body := wait(failJob); !strings.Contains(body, "tracing needs root") {
		t.Errorf("failed job: %s", body)
	}
	// The jobs run concurrently: the order of their calls is free.
	got := fa.Calls()
	slices.Sort(got)
	if want := []string{"investigate 1076", "profile 1076 2s", "trace 1076 3s", "trace 13 1s"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	// The process page lists its jobs with their results.
	if page := getPage(t, h, "/process/1076").body; !strings.Contains(page, `id="job-`+profileJob+`"`) || !strings.Contains(page, "42.3 KiB") {
		t.Errorf("process page without its jobs:\n%s", page)
	}
	if r := getPage(t, h, "/jobs/nope"); r.code != 404 {
		t.Errorf("unknown job: %d", r.code)
	}
}

// TestActionsOff: without Actions (--web.enable-actions=false) no page
// offers a button, and a POST is refused even with the token.
func TestActionsOff(t *testing.T) {
	h := site(t, nil)
	for _, p := range []string{"/", "/investigations", "/process/1076"} {
		if body := getPage(t, h, p).body; strings.Contains(body, `method="post"`) {
			t.Errorf("%s has a form that posts", p)
		}
	}
	r := postForm(t, h, "/investigations", url.Values{}, "")
	if r.code != 403 || !strings.Contains(r.body, "--web.enable-actions=false") {
		t.Errorf("POST with actions off: %d %s", r.code, r.body)
	}
}

// TestStatic serves the embedded files by name only, gzip'd for those
// who take it, revalidated by ETag.
func TestStatic(t *testing.T) {
	h := site(t, nil)
	for _, tc := range []struct{ name, ctype, want string }{
		{"app.js", "text/javascript; charset=utf-8", "liveRefresh"},
		{"style.css", "text/css; charset=utf-8", "prefers-color-scheme"},
		{"chart.css", "text/css; charset=utf-8", "--c0:"},
	} {
		plain := getPage(t, h, "/static/"+tc.name)
		if plain.code != 200 || plain.h.Get("Content-Type") != tc.ctype || !strings.Contains(plain.body, tc.want) {
			t.Errorf("%s: %d %q", tc.name, plain.code, plain.h.Get("Content-Type"))
		}
		req := httptest.NewRequest(http.MethodGet, "/static/"+tc.name, nil)
		req.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
		gz := do(t, h, req)
		zr, err := gzip.NewReader(strings.NewReader(gz.body))
		if err != nil || gz.h.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s gzip'd: %v, %q", tc.name, err, gz.h.Get("Content-Encoding"))
		}
		if b, _ := io.ReadAll(zr); string(b) != plain.body || len(gz.body) >= len(plain.body) {
			t.Errorf("%s: gzip'd form differs or is no smaller", tc.name)
		}
		req = httptest.NewRequest(http.MethodGet, "/static/"+tc.name, nil)
		req.Header.Set("If-None-Match", plain.h.Get("ETag"))
		if r := do(t, h, req); r.code != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", tc.name, r.code)
		}
	}
	for _, p := range []string{"/static/", "/static/ui.go", "/static/..%2fui.go", "/static/templates%2fbase.tmpl", "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"} {
		if r := getPage(t, h, p); r.code != 404 || strings.Contains(r.body, "package ui") || strings.Contains(r.body, "root:") {
			t.Errorf("GET %s: %d %.80q", p, r.code, r.body)
		}
	}
}

// TestGzipPage: a page is gzip'd for a browser, plain for curl.
func TestGzipPage(t *testing.T) {
	h := site(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/?range=5m", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	r := do(t, h, req)
	zr, err := gzip.NewReader(strings.NewReader(r.body))
	if err != nil || r.h.Get("Content-Encoding") != "gzip" || r.h.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip'd page: %v, %v", err, r.h)
	}
	html, _ := io.ReadAll(zr)
	if !bytes.Contains(html, []byte("CPU by mode")) {
		t.Error("the gzip'd page is not the overview")
	}
	if plain := getPage(t, h, "/?range=5m"); plain.h.Get("Content-Encoding") != "" || !strings.Contains(plain.body, "CPU by mode") {
		t.Error("a client without gzip gets gzip")
	}
	// An error page keeps its status and its type.
	req = httptest.NewRequest(http.MethodGet, "/process/x", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if r := do(t, h, req); r.code != 400 || r.h.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("error page: %d %q", r.code, r.h.Get("Content-Type"))
	}
}
