package kubelet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxBody is the largest /pods answer read: a node at the default 110 pods
// answers about a megabyte.
const MaxBody = 32 << 20

// minRefresh is the least time between two requests that a pod missing from
// the list may ask for.
const minRefresh = 5 * time.Second

// Results of a request, the values of mihari_kubelet_requests_total's
// result label.
const (
	ResultSuccess         = "success"
	ResultTimeout         = "timeout"
	ResultUnreachable     = "unreachable"      // connection refused, no route, DNS
	ResultTLS             = "tls_error"        // the certificate did not verify, handshake failed
	ResultUnauthorized    = "unauthorized"     // 401: the token was refused
	ResultForbidden       = "forbidden"        // 403: RBAC says no
	ResultHTTPError       = "http_error"       // any other status but 200
	ResultInvalidResponse = "invalid_response" // not a PodList, or too large
	ResultError           = "error"            // anything else (the token file unreadable, ...)
)

var results = []string{ResultSuccess, ResultTimeout, ResultUnreachable, ResultTLS, ResultUnauthorized,
	ResultForbidden, ResultHTTPError, ResultInvalidResponse, ResultError}

var (
	requestsDesc = prometheus.NewDesc("mihari_kubelet_requests_total",
		"Requests for the node's pods (GET /pods) to the kubelet, by result.", []string{"result"}, nil)
	upDesc = prometheus.NewDesc("mihari_kubelet_up",
		"1 if the latest request to the kubelet succeeded, else 0.", nil, nil)
	lastSuccessDesc = prometheus.NewDesc("mihari_kubelet_last_success_timestamp_seconds",
		"When the kubelet last answered with the node's pods (Unix time; 0: never).", nil, nil)
	podsDesc = prometheus.NewDesc("mihari_kubelet_pods",
		"Pods in the kubelet's latest answer; they name the containers of the cgroup metrics.", nil, nil)
)

// Options configure a Client.
type Options struct {
	// URL is the kubelet's base URL, such as https://10.0.0.7:10250.
	URL string
	// TokenFile holds the bearer token, read at each request (service
	// account tokens are rotated); "" sends none. Never sent over http.
	TokenFile string
	// CAFile holds the CA certificates for https; "" uses the system's.
	// Not read for an http URL.
	CAFile             string
	InsecureSkipVerify bool
	Interval, Timeout  time.Duration
	Logger             *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Client asks the kubelet for the node's pods every Interval, at most
// Timeout a request, and keeps the last answer. It starts no goroutine of
// its own between requests: a request is started by a collection that
// finds the answer due.
type Client struct {
	url, tokenFile    string
	interval, timeout time.Duration
	maxBody           int64
	http              *http.Client
	log               *slog.Logger
	now               func() time.Time

	mu          sync.Mutex
	pods        *Pods
	gen         uint64
	done        chan struct{} // the request in flight, if any
	attempted   bool          // a request was started
	lastAttempt time.Time
	lastSuccess time.Time
	lastResult  string // "" before the first answer
	counts      map[string]uint64
}

// New builds a client; it sends nothing yet.
func New(o Options) (*Client, error) {
	if o.Interval <= 0 || o.Timeout <= 0 {
		return nil, errors.New("kubelet: interval and timeout must be positive")
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify}
	if o.CAFile != "" && !o.InsecureSkipVerify && strings.HasPrefix(o.URL, "https://") {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--kubelet.ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--kubelet.ca-file %s: no PEM certificate in it", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	tr := &http.Transport{
		// The kubelet is on this node: never through HTTP(S)_PROXY.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: o.Timeout,
		MaxIdleConns:        1,
		IdleConnTimeout:     o.Interval + 30*time.Second,
		ForceAttemptHTTP2:   true,
	}
	c := &Client{
		url:       strings.TrimSuffix(o.URL, "/"),
		tokenFile: o.TokenFile,
		interval:  o.Interval,
		timeout:   o.Timeout,
		maxBody:   MaxBody,
		http: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			// A redirect is not the kubelet's answer; do not follow it
			// with the token.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:    log,
		now:    now,
		counts: map[string]uint64{},
	}
	return c, nil
}

// URL is the kubelet's base URL.
func (c *Client) URL() string { return c.url }

// Pods returns the latest answer (nil before the first success), asking
// the kubelet again when the answer is older than the interval, or when
// complete says the answer lacks something and it is at least 5 s old. It
// waits for that request only for the first answer, or when the kubelet
// answered last time and complete asked for it, and then at most until ctx
// ends or the timeout passes; otherwise the request goes on in the
// background and the next collection gets its answer. complete may be nil.
func (c *Client) Pods(ctx context.Context, complete func(*Pods) bool) *Pods {
	c.mu.Lock()
	now := c.now()
	since := now.Sub(c.lastAttempt)
	missing := complete != nil && c.pods != nil && !complete(c.pods)
	wait := false
	switch {
	case c.done != nil:
		// A request is in flight: wait for it if it is the first one.
		wait = c.lastResult == ""
	case !c.attempted:
		wait = true
		c.start(now)
	case missing && c.lastResult == ResultSuccess && since >= minRefresh:
		wait = true
		c.start(now)
	case since >= c.interval:
		c.start(now)
	}
	done := c.done
	c.mu.Unlock()
	if wait && done != nil {
		t := time.NewTimer(c.timeout)
		select {
		case <-done:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pods
}

// start sends a request in the background; c.mu is held.
func (c *Client) start(now time.Time) {
	done := make(chan struct{})
	c.done, c.attempted, c.lastAttempt = done, true, now
	go func() {
		defer close(done)
		pods, result, err := c.fetch()
		c.finish(pods, result, err)
	}()
}

// finish records a request's outcome.
func (c *Client) finish(pods *Pods, result string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = nil
	c.counts[result]++
	prev := c.lastResult
	c.lastResult = result
	if result == ResultSuccess {
		c.gen++
		pods.gen = c.gen
		c.pods = pods
		c.lastSuccess = c.now()
		if prev != ResultSuccess {
			c.log.Info("kubelet answered; cgroup metrics are labelled with namespace, pod and container", "url", c.url, "pods", pods.Len())
		}
		return
	}
	// One line per change of result, not one per request.
	if result != prev {
		msg := "kubelet did not answer with the node's pods; cgroup metrics keep the names of its last answer, or only what their paths say"
		if c.pods == nil {
			msg = "kubelet did not answer with the node's pods; cgroup metrics get only what their paths say (pod UID, container ID, QoS)"
		}
		args := []any{"url", c.url, "result", result, "err", err}
		if h := hint(result); h != "" {
			args = append(args, "hint", h)
		}
		c.log.Warn(msg, args...)
	}
}

// hint says what usually fixes a result.
func hint(result string) string {
	switch result {
	case ResultUnauthorized:
		return "the kubelet refused the token: it needs --authentication-token-webhook (kubeadm sets it), and --kubelet.token-file a service account token"
	case ResultForbidden:
		return "the service account may not read the kubelet's pods: grant get on nodes/pods (Kubernetes 1.33 and later) or nodes/proxy (before); see deploy/kubernetes"
	case ResultTLS:
		return "the kubelet's certificate did not verify against --kubelet.ca-file: self-signed kubelet certificates (kubeadm without serverTLSBootstrap) need --kubelet.insecure-skip-verify"
	case ResultTimeout:
		return "the kubelet took longer than --kubelet.timeout"
	case ResultUnreachable:
		return "nothing answers at --kubelet.url (is NODE_IP the node's address, is port 10250 reachable from the pod?)"
	}
	return ""
}

// fetch sends one GET /pods.
func (c *Client) fetch() (*Pods, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/pods", nil)
	if err != nil {
		return nil, ResultError, err
	}
	req.Header.Set("Accept", "application/json")
	if c.tokenFile != "" && req.URL.Scheme == "https" {
		tok, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, ResultError, fmt.Errorf("reading the token: %w", err)
		}
		if t := strings.TrimSpace(string(tok)); t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, classify(ctx, err), err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		err := fmt.Errorf("GET %s/pods: %s", c.url, resp.Status)
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return nil, ResultUnauthorized, err
		case http.StatusForbidden:
			return nil, ResultForbidden, err
		}
		return nil, ResultHTTPError, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, classify(ctx, err), err
	}
	if int64(len(body)) > c.maxBody {
		return nil, ResultInvalidResponse, fmt.Errorf("GET %s/pods: answer larger than %d bytes", c.url, c.maxBody)
	}
	pods, err := ParsePods(body)
	if err != nil {
		return nil, ResultInvalidResponse, fmt.Errorf("GET %s/pods: %w", c.url, err)
	}
	return pods, ResultSuccess, nil
}

// classify names a transport error.
func classify(ctx context.Context, err error) string {
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var opErr *net.OpError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return ResultTimeout
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &recordErr), errors.As(err, &alertErr):
		return ResultTLS
	case errors.As(err, &opErr):
		return ResultUnreachable
	}
	return ResultError
}

// Collect sends the client's metrics: requests by result, whether the last
// one succeeded, when one last did, and how many pods it named.
func (c *Client) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range results {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(c.counts[r]), r)
	}
	up := 0.0
	if c.lastResult == ResultSuccess {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up)
	last := 0.0
	if !c.lastSuccess.IsZero() {
		last = float64(c.lastSuccess.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(podsDesc, prometheus.GaugeValue, float64(c.pods.Len()))
}
