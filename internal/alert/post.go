package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/version"
)

// newClient is the Notifier's own client: its own transport, so that Run
// can close its idle connections, and no redirects, which would carry the
// credentials to another URL and hide a wrong one.
func newClient() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// maxErrorBody is how much of a failed response's body goes into the error.
const maxErrorBody = 256

// post sends one batch to d. Its errors never contain d's credentials.
func (n *Notifier) post(ctx context.Context, d *destination, batch []entry) error {
	var body []byte
	var err error
	switch d.kind {
	case KindAlertmanager:
		body, err = encodeAlertmanager(batch)
	case KindWebhook:
		body, err = encodeWebhook(batch, n.now(), n.externalURL)
	}
	if err != nil {
		return fmt.Errorf("encoding alerts: %w", err)
	}
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > n.timeout {
		// Not when ctx ends sooner, so that a request cut short by
		// ctx fails with ctx's error, whichever timer fires first.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("building the request failed") // d.url was checked by New
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", version.ComponentUserAgent("mihari"))
	if d.basicAuth {
		req.SetBasicAuth(d.user, d.password)
	}
	if d.bearerTokenFile != "" {
		tok, err := readToken(d.bearerTokenFile)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, query and all.
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s", n.timeout)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Read to the end so that the connection is reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	err = fmt.Errorf("%s: %s", resp.Status, sanitize(msg))
	if c := resp.StatusCode; c/100 == 4 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests {
		return rejectedError{err}
	}
	return err
}

// rejectedError is a destination's refusal of a batch itself (400 and
// other client errors but 408 and 429): sending it again cannot succeed.
type rejectedError struct{ error }

func (e rejectedError) Unwrap() error { return e.error }

// sanitize makes a response body fit a log line.
func sanitize(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), string(utf8.RuneError))), " ")
	if s == "" {
		return "(empty body)"
	}
	return s
}
