package alert

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/test/testenv"
)

func TestAlertmanagerBody(t *testing.T) {
	rec := newRecorder(t, ok)
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	run(t, n)

	resolved := firing("DiskFull", "host2")
	resolved.EndsAt = t0.Add(time.Minute)
	resolved.GeneratorURL = ""
	n.Send(firing("HighLoad", "host1"), resolved,
		Alert{Labels: map[string]string{"alertname": "Bare"}})
	delivered(t, n)

	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("have %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/api/v2/alerts" {
		t.Errorf("have %s %s, want POST /api/v2/alerts", r.method, r.path)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("have Content-Type %q, want application/json", ct)
	}
	if auth := r.header.Get("Authorization"); auth != "" {
		t.Errorf("have Authorization %q, want none", auth)
	}
	// Decoded into plain values, so that a renamed or extra field shows.
	want := `[
	  {
	    "labels": {"alertname": "HighLoad", "instance": "host1"},
	    "annotations": {"summary": "HighLoad on host1"},
	    "startsAt": "2026-11-25T16:00:00Z",
	    "endsAt": "2026-11-25T17:00:00Z",
	    "generatorURL": "http://mihari:9780/alerts"
	  },
	  {
	    "labels": {"alertname": "DiskFull", "instance": "host2"},
	    "annotations": {"summary": "DiskFull on host2"},
	    "startsAt": "2026-11-25T16:00:00Z",
	    "endsAt": "2026-11-25T16:01:00Z"
	  },
	  {
	    "labels": {"alertname": "Bare"},
	    "annotations": {}
	  }
	]`
	if diff := cmp.Diff(decode(t, []byte(want)), decode(t, r.body)); diff != "" {
		t.Errorf("body (-want +have):\n%s", diff)
	}
}

func decode(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

func TestAlertmanagerBasicAuthAndPrefix(t *testing.T) {
	rec := newRecorder(t, ok)
	u := strings.Replace(rec.URL, "http://", "http://mihari:s3cret@", 1) + "/am/"
	n := newTestNotifier(t, Options{Alertmanagers: []string{u}})
	run(t, n)
	n.Send(firing("HighLoad", "host1"))
	delivered(t, n)

	r := rec.requests()[0]
	if r.path != "/am/api/v2/alerts" {
		t.Errorf("have path %q, want /am/api/v2/alerts", r.path)
	}
	req := &http.Request{Header: r.header}
	user, pass, ok := req.BasicAuth()
	if !ok || user != "mihari" || pass != "s3cret" {
		t.Errorf("have basic auth %q %q %v, want mihari s3cret", user, pass, ok)
	}
}

func TestAlertmanagerBearerTokenIsReadAtEverySend(t *testing.T) {
	rec := newRecorder(t, ok)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}, BearerTokenFile: file})
	run(t, n)

	n.Send(firing("HighLoad", "host1"))
	delivered(t, n)
	if err := os.WriteFile(file, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.Send(firing("HighLoad", "host2"))
	delivered(t, n)

	var have []string
	for _, r := range rec.requests() {
		have = append(have, r.header.Get("Authorization"))
	}
	if diff := cmp.Diff([]string{"Bearer first", "Bearer second"}, have); diff != "" {
		t.Errorf("Authorization headers (-want +have):\n%s", diff)
	}
}

func TestAlertmanagerBatchesOf64InOrder(t *testing.T) {
	rec := newRecorder(t, ok)
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	var alerts []Alert
	for i := range 150 {
		alerts = append(alerts, firing("Many", fmt.Sprintf("host%03d", i)))
	}
	n.Send(alerts...) // queued before Run, so the batches are full
	run(t, n)
	delivered(t, n)

	var sizes []int
	var order []string
	for _, r := range rec.requests() {
		batch := r.alerts(t)
		sizes = append(sizes, len(batch))
		for _, a := range batch {
			order = append(order, a.Labels["instance"])
		}
	}
	if diff := cmp.Diff([]int{64, 64, 22}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +have):\n%s", diff)
	}
	var want []string
	for _, a := range alerts {
		want = append(want, a.Labels["instance"])
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +have):\n%s", diff)
	}
}

func TestAlertmanagerNewerStateReplacesQueuedOne(t *testing.T) {
	rec := newRecorder(t, ok)
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	old := firing("HighLoad", "host1")
	newer := firing("HighLoad", "host1")
	newer.EndsAt = t0.Add(2 * time.Hour)
	newer.Annotations["summary"] = "still high"
	n.Send(old, firing("HighLoad", "host2"))
	n.Send(newer)
	if q := n.Destinations()[0].Queued; q != 2 {
		t.Errorf("have %d queued, want 2", q)
	}
	run(t, n)
	delivered(t, n)

	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("have %d requests, want 1", len(reqs))
	}
	have := reqs[0].alerts(t)
	want := []postableAlert{
		{Labels: newer.Labels, Annotations: map[string]string{"summary": "still high"}, StartsAt: t0, EndsAt: t0.Add(2 * time.Hour), GeneratorURL: newer.GeneratorURL},
		{Labels: map[string]string{"alertname": "HighLoad", "instance": "host2"}, Annotations: map[string]string{"summary": "HighLoad on host2"}, StartsAt: t0, EndsAt: t0.Add(time.Hour), GeneratorURL: newer.GeneratorURL},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("alerts (-want +have):\n%s", diff)
	}
}

func TestAlertmanagerRetriesUntilItAnswers(t *testing.T) {
	rec := newRecorder(t, func(n int) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	run(t, n)
	a := firing("HighLoad", "host1")
	n.Send(a)
	delivered(t, n)

	reqs := rec.requests()
	if len(reqs) != 4 {
		t.Fatalf("have %d requests, want 3 refused and 1 accepted", len(reqs))
	}
	for _, r := range reqs {
		if diff := cmp.Diff([]postableAlert{{Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL}}, r.alerts(t)); diff != "" {
			t.Errorf("a retry posted something else (-want +have):\n%s", diff)
		}
	}
	want := Destination{URL: rec.URL + "/api/v2/alerts", Kind: KindAlertmanager, Up: true}
	if diff := cmp.Diff(want, n.Destinations()[0]); diff != "" {
		t.Errorf("destination (-want +have):\n%s", diff)
	}
}

func TestAlertmanagerDownThenUp(t *testing.T) {
	// Nothing listens on addr until the alert has been refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	n := newTestNotifier(t, Options{Alertmanagers: []string{"http://" + addr}})
	run(t, n)
	n.Send(firing("HighLoad", "host1"))
	waitFor(t, "the refused request", func() bool { return !n.Destinations()[0].Up })
	d := n.Destinations()[0]
	if !strings.Contains(d.LastError, "connection refused") || d.Queued != 1 {
		t.Errorf("have %+v, want connection refused and 1 queued", d)
	}
	n.Send(firing("HighLoad", "host2")) // fires while it is down

	l, err = net.Listen("tcp", addr)
	if err != nil {
		testenv.Skip(t, fmt.Sprintf("the port was taken meanwhile: %v", err))
	}
	rec := &recorder{}
	rec.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: rec}}
	rec.Start()
	t.Cleanup(rec.Close)
	delivered(t, n)

	var have []string
	for _, r := range rec.requests() {
		for _, a := range r.alerts(t) {
			have = append(have, a.Labels["instance"])
		}
	}
	if diff := cmp.Diff([]string{"host1", "host2"}, have); diff != "" {
		t.Errorf("delivered (-want +have):\n%s", diff)
	}
	if d := n.Destinations()[0]; !d.Up || d.LastError != "" {
		t.Errorf("have %+v, want up", d)
	}
}

func TestAlertmanagerTimeout(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // else the server does not notice the client leave
		if calls.Add(1) == 1 {
			<-r.Context().Done() // until mihari gives up
		}
	}))
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	n := newTestNotifier(t, Options{
		Alertmanagers: []string{srv.URL},
		Timeout:       50 * time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
	})
	run(t, n)
	n.Send(firing("HighLoad", "host1"))
	delivered(t, n)

	if c := calls.Load(); c != 2 {
		t.Errorf("have %d requests, want 2", c)
	}
	for _, want := range []string{
		`level=WARN msg="alert destination is down, retrying" destination=` + srv.URL + `/api/v2/alerts err="no answer within 50ms" queued=1`,
		`level=INFO msg="alert destination is up again" destination=` + srv.URL + `/api/v2/alerts queued=0`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s\nhave:\n%s", want, logs)
		}
	}
}

func TestAlertmanagerErrorQuotesTheAnswer(t *testing.T) {
	rec := newRecorder(t, func(int) int { return http.StatusServiceUnavailable })
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	run(t, n)
	n.Send(firing("HighLoad", "host1"))
	waitFor(t, "the failure", func() bool { return !n.Destinations()[0].Up })

	want := Destination{
		URL:       rec.URL + "/api/v2/alerts",
		Kind:      KindAlertmanager,
		LastError: "503 Service Unavailable: try again later",
		Queued:    1,
	}
	if diff := cmp.Diff(want, n.Destinations()[0]); diff != "" {
		t.Errorf("destination (-want +have):\n%s", diff)
	}
}

// A batch the destination refuses (400) is dropped and counted rather than
// retried for ever in front of every later alert.
func TestAlertmanagerRejectionDropsTheBatch(t *testing.T) {
	rec := newRecorder(t, func(n int) int {
		if n == 0 {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	n := newTestNotifier(t, Options{Alertmanagers: []string{rec.URL}})
	run(t, n)
	n.Send(firing("Refused", "host1"))
	waitFor(t, "the refusal", func() bool { return n.Destinations()[0].LastError != "" })
	if d := n.Destinations()[0]; !d.Up || d.Queued != 0 || d.LastError != "400 Bad Request: try again later" {
		t.Fatalf("after a refusal: %+v, want up, nothing queued, the refusal as last error", d)
	}
	n.Send(firing("Accepted", "host1"))
	waitFor(t, "the next alert", func() bool { return len(rec.requests()) == 2 })
	if b := string(rec.requests()[1].body); !strings.Contains(b, "Accepted") || strings.Contains(b, "Refused") {
		t.Fatalf("second request %s: want only the new alert", b)
	}
}
