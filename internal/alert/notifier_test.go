package alert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

func TestCapacityDropsTheOldest(t *testing.T) {
	rec := newRecorder(t, ok)
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	n := newTestNotifier(t, Options{
		Alertmanagers: []string{rec.URL},
		QueueCapacity: 3,
		Registerer:    reg,
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
	})
	// Not running yet: as if the Alertmanager were down.
	for i := range 5 {
		n.Send(firing("HighLoad", fmt.Sprintf("host%d", i)))
	}
	n.Send(firing("HighLoad", "host4")) // a newer state drops nothing
	if q := n.Destinations()[0].Queued; q != 3 {
		t.Errorf("have %d queued, want 3", q)
	}
	dest := rec.URL + "/api/v2/alerts"
	want := fmt.Sprintf(`
# HELP mihari_alerts_dropped_total Alerts never delivered to the destination: the oldest, when its queue was full, and alerts without labels.
# TYPE mihari_alerts_dropped_total counter
mihari_alerts_dropped_total{destination=%[1]q} 2
# HELP mihari_alerts_queue_length Alerts waiting to be delivered to the destination.
# TYPE mihari_alerts_queue_length gauge
mihari_alerts_queue_length{destination=%[1]q} 3
`, dest)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mihari_alerts_dropped_total", "mihari_alerts_queue_length"); err != nil {
		t.Error(err)
	}
	if c := strings.Count(logs.String(), "alert queue full"); c != 1 {
		t.Errorf("have %d log lines about drops, want 1:\n%s", c, logs)
	}

	run(t, n)
	delivered(t, n)
	var have []string
	for _, r := range rec.requests() {
		for _, a := range r.alerts(t) {
			have = append(have, a.Labels["instance"])
		}
	}
	if diff := cmp.Diff([]string{"host2", "host3", "host4"}, have); diff != "" {
		t.Errorf("delivered (-want +have):\n%s", diff)
	}
}

func TestAlertsWithoutLabelsAreDropped(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := newTestNotifier(t, Options{Webhooks: []string{"http://hook.invalid/x"}, Registerer: reg})
	n.Send(Alert{Annotations: map[string]string{"summary": "no labels"}}, firing("HighLoad", "host1"))
	if q := n.Destinations()[0].Queued; q != 1 {
		t.Errorf("have %d queued, want 1", q)
	}
	if have := testutil.ToFloat64(n.metrics.dropped); have != 1 {
		t.Errorf("have %v dropped, want 1", have)
	}
}

func TestMetrics(t *testing.T) {
	rec := newRecorder(t, func(n int) int {
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	reg := prometheus.NewRegistry()
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}, Webhooks: []string{"http://127.0.0.1:1/never"}, Registerer: reg})
	dest := rec.URL + "/api/v2/alerts"
	// Before anything happens, every series exists.
	want := fmt.Sprintf(`
# HELP mihari_alerts_destination_up 0 if the last request to the destination failed, else 1.
# TYPE mihari_alerts_destination_up gauge
mihari_alerts_destination_up{destination="http://127.0.0.1:1/never"} 1
mihari_alerts_destination_up{destination=%[1]q} 1
# HELP mihari_alerts_dropped_total Alerts never delivered to the destination: the oldest, when its queue was full, and alerts without labels.
# TYPE mihari_alerts_dropped_total counter
mihari_alerts_dropped_total{destination="http://127.0.0.1:1/never"} 0
mihari_alerts_dropped_total{destination=%[1]q} 0
# HELP mihari_alerts_queue_length Alerts waiting to be delivered to the destination.
# TYPE mihari_alerts_queue_length gauge
mihari_alerts_queue_length{destination="http://127.0.0.1:1/never"} 0
mihari_alerts_queue_length{destination=%[1]q} 0
# HELP mihari_alerts_send_errors_total Requests to the destination that failed (every retry counts); their alerts stay queued.
# TYPE mihari_alerts_send_errors_total counter
mihari_alerts_send_errors_total{destination="http://127.0.0.1:1/never"} 0
mihari_alerts_send_errors_total{destination=%[1]q} 0
# HELP mihari_alerts_sent_total Alerts delivered to the destination.
# TYPE mihari_alerts_sent_total counter
mihari_alerts_sent_total{destination="http://127.0.0.1:1/never"} 0
mihari_alerts_sent_total{destination=%[1]q} 0
`, dest)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	run(t, n)
	n.Send(firing("HighLoad", "host1"), firing("HighLoad", "host2"))
	waitFor(t, "delivery to the Alertmanager", func() bool { return n.Destinations()[0].Queued == 0 })
	waitFor(t, "the webhook to fail", func() bool { return !n.Destinations()[1].Up })

	want = fmt.Sprintf(`
# HELP mihari_alerts_sent_total Alerts delivered to the destination.
# TYPE mihari_alerts_sent_total counter
mihari_alerts_sent_total{destination="http://127.0.0.1:1/never"} 0
mihari_alerts_sent_total{destination=%[1]q} 2
# HELP mihari_alerts_queue_length Alerts waiting to be delivered to the destination.
# TYPE mihari_alerts_queue_length gauge
mihari_alerts_queue_length{destination="http://127.0.0.1:1/never"} 2
mihari_alerts_queue_length{destination=%[1]q} 0
`, dest)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "mihari_alerts_sent_total", "mihari_alerts_queue_length"); err != nil {
		t.Error(err)
	}
	if have := testutil.ToFloat64(n.metrics.errors.WithLabelValues(dest)); have != 1 {
		t.Errorf("have %v errors for the Alertmanager, want 1", have)
	}
	if have := testutil.ToFloat64(n.metrics.up.WithLabelValues(dest)); have != 1 {
		t.Errorf("have up %v for the Alertmanager, want 1", have)
	}
	if have := testutil.ToFloat64(n.metrics.up.WithLabelValues("http://127.0.0.1:1/never")); have != 0 {
		t.Errorf("have up %v for the webhook, want 0", have)
	}

	// A second Notifier on the same registry is a clear error.
	if _, err := New(Options{Registerer: reg}); err == nil || !strings.HasPrefix(err.Error(), "registering alert metrics: ") {
		t.Errorf("have %v, want a registration error", err)
	}
}

func TestCredentialsNeverShow(t *testing.T) {
	secrets := []string{"am-user", "am-s3cret", "hook-t0ken", "hook-user", "hook-pass"}
	rec := newRecorder(t, func(int) int { return http.StatusServiceUnavailable })
	am := strings.Replace(rec.URL, "http://", "http://am-user:am-s3cret@", 1)
	hook := strings.Replace(rec.URL, "http://", "http://hook-user:hook-pass@", 1) + "/hook?token=hook-t0ken"
	refused := "http://am-user:am-s3cret@127.0.0.1:1/refused?token=hook-t0ken"
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	n := newTestNotifier(t, Options{
		Alertmanagers: []string{am},
		Webhooks:      []string{hook, refused},
		Registerer:    reg,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	stop := run(t, n)
	n.Send(firing("HighLoad", "host1"))
	waitFor(t, "retries", func() bool {
		for _, d := range n.dests {
			if testutil.ToFloat64(d.m.errors) < 3 {
				return false
			}
		}
		return true
	})
	stop()

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&metrics, mf)
	}
	shown := map[string]string{
		"logs":         logs.String(),
		"metrics":      metrics.String(),
		"Destinations": fmt.Sprintf("%+v", n.Destinations()),
	}
	for where, text := range shown {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s show %q:\n%s", where, s, text)
			}
		}
	}
	wantLine := `destination="http://xxxxx:xxxxx@127.0.0.1:1/refused?token=xxxxx" err="dial tcp 127.0.0.1:1: connect: connection refused"`
	if !strings.Contains(logs.String(), wantLine) {
		t.Errorf("logs lack %s:\n%s", wantLine, logs)
	}

	// The credentials did go where they belong.
	for _, r := range rec.requests() {
		req := &http.Request{Header: r.header}
		user, pass, _ := req.BasicAuth()
		want := "am-user:am-s3cret"
		if r.path != "/api/v2/alerts" {
			want = "hook-user:hook-pass"
		}
		if user+":"+pass != want {
			t.Errorf("%s: have basic auth %s:%s, want %s", r.path, user, pass, want)
		}
	}
}

func TestShutdownFlushes(t *testing.T) {
	rec := newRecorder(t, ok)
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var alerts []Alert
	for i := range 100 {
		alerts = append(alerts, firing("HighLoad", fmt.Sprintf("host%d", i)))
	}
	n.Send(alerts...)
	n.Run(ctx)

	if q := n.Destinations()[0].Queued; q != 0 {
		t.Errorf("have %d queued after Run, want 0", q)
	}
	sent := 0
	for _, r := range rec.requests() {
		sent += len(r.alerts(t))
	}
	if sent != 100 {
		t.Errorf("have %d alerts sent, want 100", sent)
	}
}

// roundTripFunc answers requests without a network, for synctest.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(r *http.Request, code int) *http.Response {
	return &http.Response{
		StatusCode: code,
		Status:     fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Body:       io.NopCloser(strings.NewReader("")),
		Request:    r,
	}
}

func TestShutdownFlushIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &syncBuffer{}
		n, err := New(Options{
			Alertmanagers: []string{"http://am.invalid:9093"},
			Timeout:       5 * time.Second,
			Logger:        slog.New(slog.NewTextHandler(logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		n.client.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done() // an Alertmanager that never answers
			return nil, r.Context().Err()
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			n.Run(ctx)
			close(done)
		}()
		n.Send(firing("HighLoad", "host1"))
		time.Sleep(time.Second) // the first request hangs
		start := time.Now()
		cancel()
		<-done
		if took := time.Since(start); took != 5*time.Second {
			t.Errorf("Run took %s to return, want the timeout, 5s", took)
		}
		if q := n.Destinations()[0].Queued; q != 1 {
			t.Errorf("have %d queued, want 1", q)
		}
		want := `level=WARN msg="alerts not delivered before shutdown" destination=http://am.invalid:9093/api/v2/alerts err="no answer within the 5s allowed at shutdown" queued=1`
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	})
}

func TestBackoffSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := New(Options{Alertmanagers: []string{"http://am.invalid:9093"}})
		if err != nil {
			t.Fatal(err)
		}
		const refusals = 8
		var attempts []time.Time
		n.client.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			attempts = append(attempts, time.Now())
			if len(attempts) <= refusals {
				return answer(r, http.StatusServiceUnavailable), nil
			}
			return answer(r, http.StatusOK), nil
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			n.Run(ctx)
			close(done)
		}()
		n.Send(firing("HighLoad", "host1"))
		time.Sleep(10 * time.Minute)
		cancel()
		<-done

		if len(attempts) != refusals+1 {
			t.Fatalf("have %d attempts, want %d", len(attempts), refusals+1)
		}
		// Waits of 1s doubling to 30s, each jittered into its upper half.
		for i, ceil := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
			ceil *= time.Second
			if wait := attempts[i+1].Sub(attempts[i]); wait < ceil/2 || wait > ceil {
				t.Errorf("wait after failure %d: have %s, want between %s and %s", i+1, wait, ceil/2, ceil)
			}
		}
		if d := n.Destinations()[0]; !d.Up || d.Queued != 0 {
			t.Errorf("have %+v, want up and nothing queued", d)
		}
	})
}

// goroutines are the stacks of all goroutines, by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		id, _, _ := strings.Cut(strings.TrimPrefix(g, "goroutine "), " ")
		out[id] = g
	}
	return out
}

func TestRunLeavesNoGoroutines(t *testing.T) {
	rec := newRecorder(t, ok)
	hook := newRecorder(t, ok)
	before := goroutines()
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}, Webhooks: []string{hook.URL}})
	stop := run(t, n)
	n.Send(firing("HighLoad", "host1"))
	delivered(t, n)
	stop()

	// The test servers keep their side of the connections; only the
	// client's side and the Notifier's own goroutines must be gone.
	var left []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		left = left[:0]
		for id, g := range goroutines() {
			if _, ok := before[id]; ok || strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "backgroundRead") {
				continue
			}
			left = append(left, g)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("%d goroutines left after Run returned:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

func TestRunTwicePanics(t *testing.T) {
	n := newTestNotifier(t, Options{})
	stop := run(t, n)
	defer stop()
	waitFor(t, "Run to start", n.running.Load)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "called while it runs") {
			t.Errorf("have %v, want a panic", r)
		}
	}()
	n.Run(context.Background())
}
