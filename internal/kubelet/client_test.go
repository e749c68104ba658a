package kubelet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fakeKubelet is an HTTPS server that answers GET /pods as told.
type fakeKubelet struct {
	srv      *httptest.Server
	caFile   string
	requests atomic.Int64

	mu      sync.Mutex
	handler http.HandlerFunc
	auth    []string // Authorization headers seen
}

func newFakeKubelet(t *testing.T, tlsOn bool) *fakeKubelet {
	t.Helper()
	k := &fakeKubelet{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.requests.Add(1)
		k.mu.Lock()
		k.auth = append(k.auth, r.Header.Get("Authorization"))
		h := k.handler
		k.mu.Unlock()
		if r.Method != http.MethodGet || r.URL.Path != "/pods" {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		h(w, r)
	})
	k.srv = httptest.NewUnstartedServer(h)
	k.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake errors are what some tests are about
	if tlsOn {
		k.srv.StartTLS()
		k.caFile = filepath.Join(t.TempDir(), "ca.crt")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.srv.Certificate().Raw})
		if err := os.WriteFile(k.caFile, pemBytes, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		k.srv.Start()
	}
	t.Cleanup(k.srv.Close)
	return k
}

func (k *fakeKubelet) serve(h http.HandlerFunc) {
	k.mu.Lock()
	k.handler = h
	k.mu.Unlock()
}

func (k *fakeKubelet) serveFile(t *testing.T, name string) {
	b := readFixture(t, name)
	k.serve(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

func (k *fakeKubelet) authHeaders() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.auth...)
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func tokenFile(t *testing.T, tok string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func newClient(t *testing.T, k *fakeKubelet, clk *clock, mod func(*Options)) *Client {
	t.Helper()
	o := Options{
		URL:       k.srv.URL,
		TokenFile: tokenFile(t, "s3cr3t"),
		CAFile:    k.caFile,
		Interval:  30 * time.Second,
		Timeout:   2 * time.Second,
		Now:       clk.now,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// settle waits for the request in flight, if any.
func settle(t *testing.T, c *Client) {
	t.Helper()
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("request still in flight after 10s")
	}
}

// metrics returns the client's metrics as name{result} -> value.
func metrics(t *testing.T, c *Client) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 32)
	c.Collect(ch)
	close(ch)
	out := map[string]float64{}
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		name := m.Desc().String()
		name = name[strings.Index(name, `fqName: "`)+9:]
		name = name[:strings.IndexByte(name, '"')]
		for _, l := range pb.GetLabel() {
			name += "{" + l.GetValue() + "}"
		}
		if pb.Counter != nil {
			out[name] = pb.GetCounter().GetValue()
		} else {
			out[name] = pb.GetGauge().GetValue()
		}
	}
	return out
}

var start = time.Date(2026, 11, 25, 18, 21, 46, 0, time.UTC)

func TestClientAnswers(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.serveFile(t, "pods-v2.json")
	clk := &clock{t: start}
	c := newClient(t, k, clk, nil)

	// Before any request: nothing known, every result at 0.
	m := metrics(t, c)
	if m["mihari_kubelet_up"] != 0 || m["mihari_kubelet_last_success_timestamp_seconds"] != 0 || m["mihari_kubelet_requests_total{success}"] != 0 {
		t.Errorf("before the first request: %v", m)
	}
	for _, r := range results {
		if _, ok := m["mihari_kubelet_requests_total{"+r+"}"]; !ok {
			t.Errorf("result %q not exported before it happens", r)
		}
	}

	// The first call waits for the first answer.
	p := c.Pods(context.Background(), nil)
	if p.Len() != 5 || p.Gen() != 1 {
		t.Fatalf("first answer: %d pods, gen %d", p.Len(), p.Gen())
	}
	if c, ok := p.Container("fcb14b1a6b052c2df81cbec7a92082d407fa3173368219a9b29ed159919fa4b6"); !ok || c.Name != "api" {
		t.Errorf("api container: %+v", c)
	}
	if got := k.authHeaders(); len(got) != 1 || got[0] != "Bearer s3cr3t" {
		t.Errorf("Authorization headers %q, want one Bearer s3cr3t", got)
	}
	m = metrics(t, c)
	want := map[string]float64{
		"mihari_kubelet_requests_total{success}":        1,
		"mihari_kubelet_up":                             1,
		"mihari_kubelet_last_success_timestamp_seconds": float64(start.Unix()),
		"mihari_kubelet_pods":                           5,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}

	// Within the interval: no new request.
	clk.add(29 * time.Second)
	if p := c.Pods(context.Background(), nil); p.Gen() != 1 {
		t.Errorf("gen %d within the interval", p.Gen())
	}
	settle(t, c)
	if n := k.requests.Load(); n != 1 {
		t.Errorf("%d requests within the interval, want 1", n)
	}

	// After it: asked again, in the background; the token is read again
	// (service account tokens rotate).
	if err := os.WriteFile(c.tokenFile, []byte("rotated"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Second)
	c.Pods(context.Background(), nil)
	settle(t, c)
	if p := c.Pods(context.Background(), nil); p.Gen() != 2 {
		t.Errorf("gen %d after the interval, want 2", p.Gen())
	}
	if got := k.authHeaders(); len(got) != 2 || got[1] != "Bearer rotated" {
		t.Errorf("Authorization headers %q", got)
	}
}

func TestClientFailures(t *testing.T) {
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			w.Write([]byte(body))
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		url     func(k *fakeKubelet) string
		result  string
	}{
		{"401", status(401, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`), nil, ResultUnauthorized},
		{"403", status(403, "Forbidden (user=system:serviceaccount:mihari:mihari, verb=get, resource=nodes, subresource(s)=[pods])"), nil, ResultForbidden},
		{"404", nil, func(k *fakeKubelet) string { return k.srv.URL + "/not-the-kubelet" }, ResultHTTPError},
		{"500", status(500, "internal error"), nil, ResultHTTPError},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.invalid/pods", http.StatusFound)
		}, nil, ResultHTTPError},
		{"garbage JSON", status(200, `{"kind":"PodList","items":[{"metadata":`), nil, ResultInvalidResponse},
		{"not JSON", status(200, "<html>hello</html>"), nil, ResultInvalidResponse},
		{"a Status with 200", status(200, `{"kind":"Status","status":"Failure"}`), nil, ResultInvalidResponse},
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"kind":"PodList","items":[` + strings.Repeat(" ", 4096) + `]}`))
		}, nil, ResultInvalidResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKubelet(t, true)
			k.serveFile(t, "pods-v1.json")
			clk := &clock{t: start}
			c := newClient(t, k, clk, func(o *Options) {
				if tc.url != nil {
					o.URL = tc.url(k)
				}
			})
			if tc.url == nil {
				// A good answer first: a failure keeps it.
				if p := c.Pods(context.Background(), nil); p.Len() != 6 {
					t.Fatalf("first answer: %d pods", p.Len())
				}
			}
			c.maxBody = 4096
			k.serve(tc.handler)
			clk.add(time.Minute)
			c.Pods(context.Background(), nil)
			settle(t, c)
			p := c.Pods(context.Background(), nil)
			m := metrics(t, c)
			if m["mihari_kubelet_requests_total{"+tc.result+"}"] != 1 {
				t.Errorf("result: %v, want one %s", m, tc.result)
			}
			if m["mihari_kubelet_up"] != 0 {
				t.Error("up after a failure")
			}
			if tc.url == nil {
				if p.Len() != 6 || p.Gen() != 1 {
					t.Errorf("after a failure: %d pods gen %d, want the first answer kept", p.Len(), p.Gen())
				}
				if m["mihari_kubelet_last_success_timestamp_seconds"] != float64(start.Unix()) || m["mihari_kubelet_pods"] != 6 {
					t.Errorf("after a failure: %v", m)
				}
			} else if p != nil {
				t.Errorf("never answered, yet %d pods", p.Len())
			}
		})
	}
}

// hang answers nothing until release is closed or the client goes, and
// then drops the connection rather than send an empty 200 (which a client
// that half-closed its side could still read).
func hang(release chan struct{}) http.HandlerFunc {
	return func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler)
	}
}

// TestClientTimeout: a kubelet that accepts the connection and never
// answers costs a collection at most the timeout, once; later collections
// do not wait for it.
func TestClientTimeout(t *testing.T) {
	k := newFakeKubelet(t, true)
	release := make(chan struct{})
	defer close(release)
	k.serve(hang(release))
	clk := &clock{t: start}
	c := newClient(t, k, clk, func(o *Options) { o.Timeout = 300 * time.Millisecond })
	t0 := time.Now()
	if p := c.Pods(context.Background(), nil); p != nil {
		t.Fatalf("pods from a kubelet that never answered: %d", p.Len())
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("first call took %v with a 300ms timeout", d)
	}
	settle(t, c)
	if m := metrics(t, c); m["mihari_kubelet_requests_total{timeout}"] != 1 {
		t.Errorf("metrics %v, want one timeout", m)
	}
	// The next due request goes on in the background: the caller does
	// not wait, even when asking for a missing pod.
	clk.add(time.Minute)
	t0 = time.Now()
	c.Pods(context.Background(), func(*Pods) bool { return false })
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("second call waited %v for a kubelet that failed", d)
	}
	settle(t, c)
	if m := metrics(t, c); m["mihari_kubelet_requests_total{timeout}"] != 2 {
		t.Errorf("metrics %v, want two timeouts", m)
	}
}

// TestClientContextBoundsTheWait: the collection's own deadline ends the
// wait for the first answer even before the client's timeout.
func TestClientContextBoundsTheWait(t *testing.T) {
	k := newFakeKubelet(t, true)
	release := make(chan struct{})
	defer close(release)
	k.serve(hang(release))
	c := newClient(t, k, &clock{t: start}, func(o *Options) { o.Timeout = 5 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	c.Pods(ctx, nil)
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("waited %v past a 100ms context", d)
	}
}

func TestClientMissingPodAsksSooner(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.serveFile(t, "pods-v1.json")
	clk := &clock{t: start}
	c := newClient(t, k, clk, nil)
	c.Pods(context.Background(), nil)
	newPod := "e8d0cba1-b85c-42fa-a1a0-fba86c17cc9e" // in pods-v2.json only
	complete := func(p *Pods) bool { _, ok := p.Pod(newPod); return ok }

	// Less than 5s after the last request: not yet.
	clk.add(3 * time.Second)
	if p := c.Pods(context.Background(), complete); p.Gen() != 1 {
		t.Fatalf("gen %d", p.Gen())
	}
	settle(t, c)
	if n := k.requests.Load(); n != 1 {
		t.Fatalf("%d requests 3s after the first, want 1", n)
	}
	// Then: asked at once, and waited for, well within the interval.
	k.serveFile(t, "pods-v2.json")
	clk.add(3 * time.Second)
	p := c.Pods(context.Background(), complete)
	if p.Gen() != 2 {
		t.Fatalf("gen %d, want 2: the missing pod did not ask", p.Gen())
	}
	if _, ok := p.Pod(newPod); !ok {
		t.Error("the new pod is not in the new answer")
	}
	// A complete answer does not ask again.
	clk.add(10 * time.Second)
	c.Pods(context.Background(), complete)
	settle(t, c)
	if n := k.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestClientTLS(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.serveFile(t, "pods-docker.json")
	otherCA := selfSignedCA(t) // does not sign k's certificate

	c := newClient(t, k, &clock{t: start}, func(o *Options) { o.CAFile = otherCA })
	if p := c.Pods(context.Background(), nil); p != nil {
		t.Error("answer accepted from a kubelet whose certificate did not verify")
	}
	if m := metrics(t, c); m["mihari_kubelet_requests_total{tls_error}"] != 1 {
		t.Errorf("metrics %v, want one tls_error", m)
	}
	if n := k.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the kubelet (the token was sent to an unverified server)", n)
	}

	c = newClient(t, k, &clock{t: start}, func(o *Options) { o.CAFile = otherCA; o.InsecureSkipVerify = true })
	if p := c.Pods(context.Background(), nil); p.Len() != 3 {
		t.Errorf("with --kubelet.insecure-skip-verify: %d pods, want 3", p.Len())
	}

	// Plain HTTP to a TLS port.
	c = newClient(t, k, &clock{t: start}, func(o *Options) { o.URL = strings.Replace(k.srv.URL, "https:", "http:", 1) })
	if p := c.Pods(context.Background(), nil); p != nil {
		t.Error("pods over plain HTTP from an HTTPS server")
	}
	if m := metrics(t, c); m["mihari_kubelet_requests_total{success}"] != 0 {
		t.Errorf("metrics %v", m)
	}
}

// selfSignedCA writes a CA certificate of its own and returns its file.
func selfSignedCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kubernetes"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestClientUnreachable(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.srv.Close()
	c := newClient(t, k, &clock{t: start}, nil)
	if p := c.Pods(context.Background(), nil); p != nil {
		t.Error("pods from a closed server")
	}
	if m := metrics(t, c); m["mihari_kubelet_requests_total{unreachable}"] != 1 {
		t.Errorf("metrics %v, want one unreachable", m)
	}
}

func TestClientNoTokenOverHTTP(t *testing.T) {
	k := newFakeKubelet(t, false)
	k.serveFile(t, "pods-v1.json")
	c := newClient(t, k, &clock{t: start}, nil)
	if p := c.Pods(context.Background(), nil); p.Len() != 6 {
		t.Fatalf("%d pods", p.Len())
	}
	if got := k.authHeaders(); len(got) != 1 || got[0] != "" {
		t.Errorf("Authorization %q sent over plain HTTP", got)
	}
}

func TestClientTokenFileMissing(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.serveFile(t, "pods-v1.json")
	c := newClient(t, k, &clock{t: start}, func(o *Options) { o.TokenFile = filepath.Join(t.TempDir(), "none") })
	if p := c.Pods(context.Background(), nil); p != nil {
		t.Error("pods without a token")
	}
	if m := metrics(t, c); m["mihari_kubelet_requests_total{error}"] != 1 {
		t.Errorf("metrics %v, want one error", m)
	}
}

func TestNewChecksCA(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.crt")
	os.WriteFile(bad, []byte("not a certificate"), 0o644)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"missing CA", Options{URL: "https://x", CAFile: filepath.Join(dir, "none"), Interval: time.Second, Timeout: time.Second}, "--kubelet.ca-file"},
		{"not PEM", Options{URL: "https://x", CAFile: bad, Interval: time.Second, Timeout: time.Second}, "no PEM certificate"},
		{"no interval", Options{URL: "https://x", Timeout: time.Second}, "positive"},
	} {
		if _, err := New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Without verification, or without TLS, the CA is not read.
	if _, err := New(Options{URL: "https://x", CAFile: bad, InsecureSkipVerify: true, Interval: time.Second, Timeout: time.Second}); err != nil {
		t.Error(err)
	}
	if _, err := New(Options{URL: "http://x:10255", CAFile: filepath.Join(dir, "none"), Interval: time.Second, Timeout: time.Second}); err != nil {
		t.Error(err)
	}
}

// A failure is logged once with what usually fixes it, not at every
// request; the recovery once too.
func TestClientLogsChanges(t *testing.T) {
	k := newFakeKubelet(t, true)
	k.serve(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "Forbidden", http.StatusForbidden) })
	var buf syncBuffer
	clk := &clock{t: start}
	c := newClient(t, k, clk, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	for range 3 {
		c.Pods(context.Background(), nil)
		settle(t, c)
		clk.add(time.Minute)
	}
	k.serveFile(t, "pods-v1.json")
	c.Pods(context.Background(), nil)
	settle(t, c)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "result=forbidden") || !strings.Contains(lines[0], "nodes/pods") {
		t.Errorf("failure line: %s", lines[0])
	}
	if !strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "pods=6") {
		t.Errorf("recovery line: %s", lines[1])
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
