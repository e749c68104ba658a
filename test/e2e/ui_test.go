package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mihari-dev/mihari/test/testenv"
)

// screenshotDir is where TestUIInBrowser writes its screenshots: each page
// at desktop and phone width, and the overview in the dark theme. With
// -update, the overview at desktop width also goes to the README's image.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("MIHARI_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "test", "e2e", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless Chromium tab that records every console error,
// uncaught exception and browser-log error (a refused script or style, a
// failed request) of the pages it shows, and accepts their confirmations.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
	dialogs  []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	chromium := testenv.RequireProgram(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // root, in CI
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", chromium, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression into T.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor evaluates js until it is true; the page may reload meanwhile.
func (b *browser) waitFor(what string, d time.Duration, js string) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting %v for %s: %v", d, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// visit loads a page and waits for its scripts to have run.
func (b *browser) visit(url string) {
	b.t.Helper()
	b.do("loading "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("footer")))
	b.settle()
}

// settle waits for the page's own requests (metric names, status polls)
// to have had their chance to fail.
func (b *browser) settle() {
	b.do("settling", chromedp.Sleep(700*time.Millisecond))
}

// clean fails the test with the console errors seen since the last call.
func (b *browser) clean(page string) {
	b.t.Helper()
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("%s: %s", page, p)
	}
}

// shoot writes screenshots of the page as it is, at desktop width, at a
// phone's (where it must not scroll sideways), and optionally dark.
func (b *browser) shoot(dir, name string, dark bool) {
	b.t.Helper()
	write := func(file string) {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), buf, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	desktop := chromedp.EmulateViewport(1280, 900)
	b.do("desktop width", desktop)
	b.settle()
	write(name + "-desktop.png")
	if dark {
		b.colorScheme("dark")
		write(name + "-desktop-dark.png")
		b.colorScheme("light")
	}
	b.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.settle()
	if overflow := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); overflow > 1 {
		b.t.Errorf("%s: the page is %d px wider than a phone's screen", name, overflow)
	}
	write(name + "-phone.png")
	b.do("desktop width", desktop)
}

func (b *browser) colorScheme(v string) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// chartsJS describes the page's charts: title and, per series, its name,
// how many samples it has and how long its path data is.
const chartsJS = `[...document.querySelectorAll("svg.chart")].map(svg => ({
	title: (svg.querySelector("title") || {}).textContent,
	series: [...svg.querySelectorAll("path.series")].map(p => ({
		name: p.dataset.series, points: Number(p.dataset.points), d: (p.getAttribute("d") || "").length })) }))`

type chartInfo struct {
	Title  string `json:"title"`
	Series []struct {
		Name   string `json:"name"`
		Points int    `json:"points"`
		D      int    `json:"d"`
	} `json:"series"`
}

// drawn reports whether a chart has a series of a few points and a path.
func (c chartInfo) drawn() bool {
	for _, s := range c.Series {
		if s.Points >= 3 && s.D > 0 {
			return true
		}
	}
	return false
}

const uiTestRules = `groups:
  - name: ui-test
    rules:
      - alert: MihariUITestAlert
        expr: vector(1)
        labels:
          severity: info
        annotations:
          summary: an alert that always fires, for the web UI's test
          description: it fires at every evaluation
`

// TestUIInBrowser drives the pages of a running agent in headless Chromium
// as a person would: the overview's charts are drawn from the agent's own
// data, a query typed into Explore shows its result, the firing test alert
// is on the Alerts page, a process's profile and file trace appear in its
// page, and an investigation started with the button completes and shows
// its report. No page may log a console error, which includes anything the
// Content-Security-Policy refuses.
func TestUIInBrowser(t *testing.T) {
	testenv.RequireRoot(t) // the process page profiles and traces
	b := newBrowser(t)
	shots := screenshotDir(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rules, []byte(uiTestRules), 0o644); err != nil {
		t.Fatal(err)
	}
	// A process that reads a costly file over and over: system CPU, a
	// kernel profile and a file to find.
	w := startWorkload(t, "mihari-uiread", "-then", "read", "-read-files", "/proc/kallsyms")
	pid := w.Process.Pid
	base, _ := startAgent(t, filepath.Join(dir, "data"), "--interval=1s", "--no-rules.defaults",
		"--rules.file="+rules, "--investigate.duration=2s", "--investigate.on-alert=")

	t.Run("overview", func(t *testing.T) {
		b.t = t
		var charts []chartInfo
		// Rates need a few collections; the page is reloaded until every
		// chart has points.
		deadline := time.Now().Add(45 * time.Second)
		for {
			b.visit(base + "/?range=5m")
			charts = eval[[]chartInfo](b, chartsJS)
			all := len(charts) == 6
			for _, c := range charts {
				all = all && c.drawn()
			}
			if all {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("charts without data after 45 s: %+v", charts)
			}
			time.Sleep(time.Second)
		}
		for _, c := range charts {
			t.Logf("chart %q: %+v", c.Title, c.Series)
		}
		// Bands are painted top first: user, at the bottom, comes last.
		if cpu := charts[0]; !strings.HasPrefix(cpu.Title, "CPU by mode") || len(cpu.Series) < 3 || cpu.Series[len(cpu.Series)-1].Name != "user" {
			t.Errorf("first chart %+v, want CPU by mode stacked from user", cpu)
		}
		// The reader is among the top processes, with a link to its page.
		b.waitFor("mihari-uiread in the processes table", 30*time.Second,
			fmt.Sprintf(`!!document.querySelector('a[href="/process/%d"]') || (location.reload(), false)`, pid))
		b.settle()
		row := eval[string](b, fmt.Sprintf(`document.querySelector('a[href="/process/%d"]').closest("tr").innerText`, pid))
		if !strings.Contains(row, "mihari-uiread") {
			t.Errorf("process row %q", row)
		}
		cost := eval[string](b, `document.querySelector("#cost").parentElement.innerText`)
		if !regexp.MustCompile(`mihari uses [0-9.]+ cores and [0-9.]+ MiB of memory`).MatchString(cost) || !strings.Contains(cost, "/proc/") {
			t.Errorf("cost panel:\n%s", cost)
		}
		if n := eval[int](b, `document.querySelectorAll("ul.alerts li.alert.firing").length`); n < 1 {
			t.Errorf("the overview lists %d firing alerts", n)
		}
		// Keyboard: the first Tab reaches the skip link.
		b.do("tab", chromedp.KeyEvent(kb.Tab))
		if focused := eval[string](b, `document.activeElement.className`); focused != "skip" {
			t.Errorf("the first Tab focuses %q, want the skip link", focused)
		}
		b.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		// Live refresh replaces the page's content in place.
		b.waitFor("a live refresh", 20*time.Second, `(window.liveRefresh && liveRefresh.count > 0) === true`)
		b.clean("overview")
		b.shoot(shots, "overview", true)
		b.clean("overview")
	})

	t.Run("explore", func(t *testing.T) {
		b.t = t
		b.visit(base + "/explore")
		if n := eval[int](b, `document.querySelectorAll("#metric-names option").length`); n < 50 {
			t.Errorf("%d metric names offered for autocompletion", n)
		}
		query := `sum by (mode) (rate(node_cpu_seconds_total{mode=~"user|system"}[10s]))`
		b.do("typing a query", chromedp.SendKeys(chromedp.ID("q"), query), chromedp.Click(chromedp.CSS(`form.query button`)))
		b.do("the result", chromedp.WaitVisible(chromedp.CSS("figure.chart svg path.series")))
		b.settle()
		charts := eval[[]chartInfo](b, chartsJS)
		if len(charts) != 1 || len(charts[0].Series) != 2 || !charts[0].drawn() {
			t.Errorf("explore chart %+v, want the 2 series of the query", charts)
		}
		loc := eval[string](b, `location.href`)
		if !strings.Contains(loc, "q=sum+by+%28mode%29") {
			t.Errorf("the URL %s does not hold the query: it cannot be shared", loc)
		}
		b.clean("explore")
		b.shoot(shots, "explore", false)
		// The table view, from the shared URL.
		b.visit(loc[:strings.Index(loc, "&view=")] + "&view=table")
		rows := eval[[]string](b, `[...document.querySelectorAll("table.result tbody tr")].map(r => r.innerText)`)
		if len(rows) != 2 || !strings.Contains(rows[0]+rows[1], `mode="system"`) {
			t.Errorf("table rows %q", rows)
		}
		b.clean("explore table")
		// A mistake is shown, not a blank page.
		b.visit(base + "/explore?q=rate(node_load1)")
		if msg := eval[string](b, `document.querySelector("p.error").innerText`); !strings.Contains(msg, "range vector") {
			t.Errorf("a bad query shows %q", msg)
		}
		b.clean("explore error")
	})

	t.Run("alerts", func(t *testing.T) {
		b.t = t
		b.visit(base + "/alerts")
		b.waitFor("the firing test alert", 30*time.Second,
			`[...document.querySelectorAll("tr.alert.firing")].some(r => r.innerText.includes("MihariUITestAlert")) || (location.reload(), false)`)
		b.settle()
		text := eval[string](b, `document.querySelector("main").innerText`)
		for _, want := range []string{"severity=info", "an alert that always fires", "description: it fires at every evaluation", "ui-test", "vector(1)"} {
			if !strings.Contains(text, want) {
				t.Errorf("alerts page lacks %q", want)
			}
		}
		if n := eval[int](b, `document.querySelectorAll(".health.ok").length`); n != 1 {
			t.Errorf("%d healthy rules, want 1", n)
		}
		b.clean("alerts")
		b.shoot(shots, "alerts", false)
	})

	t.Run("process", func(t *testing.T) {
		b.t = t
		b.visit(fmt.Sprintf("%s/process/%d?range=5m", base, pid))
		charts := eval[[]chartInfo](b, chartsJS)
		if len(charts) != 1 || !charts[0].drawn() {
			t.Errorf("process chart %+v", charts)
		}
		facts := eval[string](b, `document.querySelector("dl.facts").innerText`)
		if !strings.Contains(facts, "Cgroup") || !strings.Contains(facts, "/proc/kallsyms") {
			t.Errorf("process facts:\n%s", facts)
		}
		// Profile for 2 s: the flame graph appears in the page.
		b.do("profile", chromedp.SetValue(chromedp.CSS(`form[action$="/profile"] input[name=seconds]`), "2"),
			chromedp.Click(chromedp.CSS(`form[action$="/profile"] button`)))
		b.waitFor("the flame graph", 60*time.Second, `!!document.querySelector(".job figure.flame svg.flamegraph, .job .error")`)
		if msg := eval[string](b, `(document.querySelector(".job .error") || {}).textContent || ""`); msg != "" {
			t.Fatalf("the profile failed: %s", msg)
		}
		frames := eval[[]string](b, `[...document.querySelectorAll("svg.flamegraph g > title")].map(t => t.textContent)`)
		kernel := 0
		for _, f := range frames {
			if strings.HasPrefix(f, "[k] ") {
				kernel++
			}
		}
		if len(frames) < 5 || kernel == 0 {
			t.Errorf("flame graph of %d frames, %d in the kernel: %q", len(frames), kernel, frames[:min(len(frames), 10)])
		}
		// Trace its reads for 2 s: the file table appears.
		b.do("trace", chromedp.SetValue(chromedp.CSS(`form[action$="/trace"] input[name=seconds]`), "2"),
			chromedp.Click(chromedp.CSS(`form[action$="/trace"] button`)))
		b.waitFor("the file table", 60*time.Second, `[...document.querySelectorAll(".job table code")].some(c => c.textContent === "/proc/kallsyms") || !!document.querySelector(".job .error")`)
		if msg := eval[string](b, `(document.querySelector(".job .error") || {}).textContent || ""`); msg != "" {
			t.Fatalf("the trace failed: %s", msg)
		}
		b.clean("process")
		b.shoot(shots, "process", false)
	})

	t.Run("investigation", func(t *testing.T) {
		b.t = t
		b.visit(base + "/investigations")
		b.do("investigate", chromedp.Click(chromedp.CSS(`form.start button`)))
		b.mu.Lock()
		dialogs := b.dialogs
		b.mu.Unlock()
		if len(dialogs) == 0 || !strings.Contains(dialogs[len(dialogs)-1], "Run an investigation") {
			t.Errorf("no confirmation before investigating: %q", dialogs)
		}
		b.waitFor("the investigation's page", 10*time.Second, `location.pathname.startsWith("/investigations/")`)
		id := eval[string](b, `location.pathname.split("/")[2]`)
		// While it runs, its step is shown; then the report replaces it.
		if running := eval[bool](b, `!!document.querySelector("[data-poll] .step")`); running {
			step := eval[string](b, `document.querySelector("[data-poll] .step").textContent`)
			t.Logf("running: %s", step)
			if step == "" {
				t.Error("a running investigation shows no step")
			}
		}
		b.waitFor("the report", 90*time.Second, `!!document.querySelector("iframe.report")`)
		b.settle()
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		frame, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe.report")))
		if err != nil || len(frame) != 1 {
			t.Fatalf("report frame: %v", err)
		}
		report, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), chromedp.FromNode(frame[0])))
		if err != nil {
			t.Fatalf("the report's text: %v", err)
		}
		var meta struct {
			Data struct {
				Conclusion struct{ Summary string } `json:"conclusion"`
			} `json:"data"`
		}
		if err := getJSONInto(base+"/api/v1/investigations/"+id, &meta); err != nil {
			t.Fatal(err)
		}
		summary := collapseSpace(strings.ReplaceAll(meta.Data.Conclusion.Summary, "`", ""))
		if summary == "" || !strings.Contains(collapseSpace(report), summary) {
			t.Errorf("the report shown does not hold the conclusion %q:\n%s", summary, report)
		}
		b.clean("investigation")
		b.shoot(shots, "investigation", false)

		b.visit(base + "/investigations")
		list := eval[string](b, `document.querySelector("main table").textContent`)
		if !strings.Contains(list, "done") || !strings.Contains(list, "started by hand") {
			t.Errorf("investigations list:\n%s", list)
		}
		b.clean("investigations")
		b.shoot(shots, "investigations", false)
	})

	if *update && !t.Failed() {
		src := filepath.Join(shots, "overview-desktop.png")
		buf, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(filepath.Join(repoRoot(t), "docs", "img", "overview.png"), buf, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	}
	t.Logf("screenshots in %s", shots)
}

// TestUIActionsOff checks --web.enable-actions=false: the pages show no
// button that runs anything, and a forged POST is refused. And no request
// to the pages or the API reads a file a client names.
func TestUIActionsOff(t *testing.T) {
	base, _ := startAgent(t, t.TempDir(), "--interval=1s", "--web.enable-actions=false")
	for _, path := range []string{
		"/static/..%2f..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/api/v1/investigations/..%2f..%2f..%2fetc%2fpasswd", "/api/v1/investigations/..%2f..%2f..%2fetc%2fpasswd?format=html",
		"/investigations/..%2f..%2fetc%2fpasswd", "/investigations/..%2f..%2fetc%2fpasswd/status",
		"/jobs/..%2f..%2fetc%2fpasswd", "/process/..%2f..%2fetc%2fpasswd",
		"/explore?q=" + url.QueryEscape(`{__name__=~".+", file="/etc/passwd"}`),
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "root:x:0:0") || (resp.StatusCode == 200 && !strings.HasPrefix(path, "/explore")) {
			t.Errorf("GET %s: %s, and it holds /etc/passwd: %v", path, resp.Status, strings.Contains(string(body), "root:x:0:0"))
		}
	}
	for _, path := range []string{"/", "/investigations", "/process/1"} {
		body := get(t, base+path)
		if strings.Contains(body, `method="post"`) {
			t.Errorf("%s has a form that posts", path)
		}
	}
	for _, path := range []string{"/investigations", "/process/1/profile", "/process/1/trace"} {
		status, body := post(t, base+path, "csrf=x&seconds=1")
		if status != 403 || !strings.Contains(body, "--web.enable-actions=false") {
			t.Errorf("POST %s: %d %q", path, status, body)
		}
	}
}

// get returns url's body, which must come with 200 OK.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%s", url, resp.Status, err, body)
	}
	return string(body)
}

// post posts a form and returns the status and body of the answer.
func post(t *testing.T, url, form string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
