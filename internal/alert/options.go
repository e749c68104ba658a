package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Notifier.
type Options struct {
	// Alertmanagers are base URLs, such as http://127.0.0.1:9093 or
	// https://user:pass@am:9093/prefix; /api/v2/alerts is appended. A user
	// and password in the URL are sent as basic authentication.
	Alertmanagers []string
	// BearerTokenFile holds a token sent to the Alertmanagers as
	// "Authorization: Bearer <token>". It is read at every request, so a
	// rotated token is picked up.
	BearerTokenFile string
	// Webhooks are full URLs that receive Alertmanager's webhook payload.
	// A user and password in the URL are sent as basic authentication.
	Webhooks []string
	// ExternalURL is the webhook payload's externalURL.
	ExternalURL string
	// Timeout bounds every request; 10s if zero.
	Timeout time.Duration
	// QueueCapacity is how many alerts each destination keeps while it is
	// down; 10000 if zero. Beyond that the oldest are dropped and counted.
	QueueCapacity int
	// Logger receives state changes of destinations; none if nil.
	Logger *slog.Logger
	// Registerer receives the mihari_alerts_* metrics; none if nil.
	Registerer prometheus.Registerer
}

// Destination kinds.
const (
	KindAlertmanager = "alertmanager"
	KindWebhook      = "webhook"
)

const (
	defaultTimeout       = 10 * time.Second
	defaultQueueCapacity = 10000
)

// target is a destination URL checked and split for use.
type target struct {
	kind string
	// url is where to post, without user information.
	url string
	// name is the URL as shown in logs, metrics and the API.
	name string
	// user and password are for basic authentication, when basicAuth.
	user, password string
	basicAuth      bool
}

// parseTarget checks one --alertmanager or --webhook value. Its errors
// quote the value with any credentials masked.
func parseTarget(kind, raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		shown := redactRaw(raw)
		if shown != raw {
			// Parse errors can quote a piece of the password.
			return target{}, fmt.Errorf("%s %q is not a valid URL", kind, shown)
		}
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err // without the URL, quoted already
		}
		return target{}, fmt.Errorf("%s %q: %w", kind, raw, err)
	}
	bad := func(problem string) error {
		return fmt.Errorf("%s %q: %s", kind, redact(u), problem)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return target{}, bad("the scheme must be http or https")
	case u.Host == "":
		return target{}, bad("there is no host")
	case u.Fragment != "":
		return target{}, bad("a URL to post to cannot have a fragment (#...)")
	case kind == KindAlertmanager && (u.RawQuery != "" || u.ForceQuery):
		return target{}, bad("an Alertmanager's base URL cannot have a query (?...)")
	}
	t := target{kind: kind}
	if u.User != nil {
		t.basicAuth = true
		t.user = u.User.Username()
		t.password, _ = u.User.Password()
	}
	if kind == KindAlertmanager {
		u.Path = strings.TrimSuffix(u.Path, "/") + apiPath
		u.RawPath = ""
	}
	t.name = redact(u)
	u.User = nil
	t.url = u.String()
	return t, nil
}

// targets checks every destination of opts.
func (opts Options) targets() ([]target, error) {
	var out []target
	seen := map[string]bool{}
	add := func(kind string, raws []string) error {
		for _, raw := range raws {
			t, err := parseTarget(kind, raw)
			if err != nil {
				return err
			}
			if t.basicAuth && kind == KindAlertmanager && opts.BearerTokenFile != "" {
				return fmt.Errorf("%s %q: a user in the URL and a bearer token file are two ways to authenticate; use one", kind, t.name)
			}
			if seen[t.name] {
				// Logs, metrics and the API could not tell them apart.
				return fmt.Errorf("%s %q is given twice (perhaps with different credentials)", kind, t.name)
			}
			seen[t.name] = true
			out = append(out, t)
		}
		return nil
	}
	if err := add(KindAlertmanager, opts.Alertmanagers); err != nil {
		return nil, err
	}
	if err := add(KindWebhook, opts.Webhooks); err != nil {
		return nil, err
	}
	return out, nil
}

// readToken reads a bearer token file, as at every request to an
// Alertmanager.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading bearer token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("bearer token file %q is empty", path)
	}
	return tok, nil
}
