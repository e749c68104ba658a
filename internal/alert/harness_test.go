package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// t0 is the start of every alert in the tests.
var t0 = time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)

// firing is an alert that fires until an hour after t0.
func firing(name, instance string) Alert {
	return Alert{
		Labels:       map[string]string{"alertname": name, "instance": instance},
		Annotations:  map[string]string{"summary": name + " on " + instance},
		StartsAt:     t0,
		EndsAt:       t0.Add(time.Hour),
		GeneratorURL: "http://mihari:9780/alerts",
	}
}

// request is what a recorder received.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// alerts decodes a body posted to Alertmanager.
func (r request) alerts(t testing.TB) []postableAlert {
	t.Helper()
	var out []postableAlert
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return out
}

// recorder is an HTTP server that keeps every request and answers with
// status(n) to the n-th, counting from 0.
type recorder struct {
	*httptest.Server
	status func(n int) int

	mu   sync.Mutex
	reqs []request
}

func newRecorder(t testing.TB, status func(n int) int) *recorder {
	t.Helper()
	rec := &recorder{status: status}
	rec.Server = httptest.NewServer(rec)
	t.Cleanup(rec.Close)
	return rec
}

// ok answers every request with 200.
func ok(int) int { return http.StatusOK }

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	n := len(rec.reqs)
	rec.reqs = append(rec.reqs, request{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
	rec.mu.Unlock()
	code := http.StatusOK
	if rec.status != nil {
		code = rec.status(n)
	}
	w.WriteHeader(code)
	if code != http.StatusOK {
		io.WriteString(w, "try again later\n")
	}
}

func (rec *recorder) requests() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.reqs...)
}

// newTestNotifier is New with back-off in milliseconds.
func newTestNotifier(t testing.TB, opts Options) *Notifier {
	t.Helper()
	n, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	n.backoff = backoff{min: time.Millisecond, max: 8 * time.Millisecond}
	return n
}

// run runs n until the returned stop is called (or the test ends), and
// stop returns only after Run has.
func run(t testing.TB, n *Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Run(ctx)
		close(done)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, and fails the test after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// delivered waits until n's destinations hold nothing.
func delivered(t testing.TB, n *Notifier) {
	t.Helper()
	waitFor(t, "the queues to empty", func() bool {
		for _, d := range n.Destinations() {
			if d.Queued > 0 {
				return false
			}
		}
		return true
	})
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
