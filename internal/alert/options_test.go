package alert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Alertmanagers: []string{"am:9093"}}, `alertmanager "am:9093": the scheme must be http or https`},
		{Options{Alertmanagers: []string{"ftp://am:9093"}}, `alertmanager "ftp://am:9093": the scheme must be http or https`},
		{Options{Alertmanagers: []string{"http:///x"}}, `alertmanager "http:///x": there is no host`},
		{Options{Alertmanagers: []string{"http://am:9093?x=1"}}, `alertmanager "http://am:9093?x=xxxxx": an Alertmanager's base URL cannot have a query (?...)`},
		{Options{Webhooks: []string{"http://hook/x#y"}}, `webhook "http://hook/x#y": a URL to post to cannot have a fragment (#...)`},
		{Options{Webhooks: []string{"http://hook:port/x"}}, `webhook "http://hook:port/x": invalid port ":port" after host`},
		{Options{Webhooks: []string{"http://user:s3cret%zz@hook/x"}}, `webhook "http://xxxxx@hook/x" is not a valid URL`},
		{
			Options{Alertmanagers: []string{"http://u:s3cret@am:9093"}, BearerTokenFile: token},
			`alertmanager "http://xxxxx:xxxxx@am:9093/api/v2/alerts": a user in the URL and a bearer token file are two ways to authenticate; use one`,
		},
		{
			Options{Alertmanagers: []string{"http://am:9093", "http://am:9093/"}},
			`alertmanager "http://am:9093/api/v2/alerts" is given twice (perhaps with different credentials)`,
		},
		{
			Options{Webhooks: []string{"http://hook/x?token=s3cret", "http://hook/x?token=other"}},
			`webhook "http://hook/x?token=xxxxx" is given twice (perhaps with different credentials)`,
		},
		{Options{Alertmanagers: []string{"http://am:9093"}, BearerTokenFile: empty}, `bearer token file "` + empty + `" is empty`},
		{
			Options{Alertmanagers: []string{"http://am:9093"}, BearerTokenFile: filepath.Join(dir, "missing")},
			`reading bearer token file: open ` + filepath.Join(dir, "missing") + `: no such file or directory`,
		},
		{Options{Timeout: -1}, `alert timeout -1ns: it must be positive`},
		{Options{QueueCapacity: -1}, `alert queue capacity -1: it must be positive`},
	} {
		_, err := New(tt.opts)
		if err == nil {
			t.Errorf("%+v: no error, want %s", tt.opts, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("have error\n%s\nwant\n%s", err, tt.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the secret: %s", err)
		}
	}
}

func TestNewDestinations(t *testing.T) {
	n, err := New(Options{
		Alertmanagers: []string{"http://127.0.0.1:9093", "https://user:pass@am:9093/prefix/"},
		Webhooks:      []string{"https://hooks.example/services/1?token=abc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Destination{
		{URL: "http://127.0.0.1:9093/api/v2/alerts", Kind: KindAlertmanager, Up: true},
		{URL: "https://xxxxx:xxxxx@am:9093/prefix/api/v2/alerts", Kind: KindAlertmanager, Up: true},
		{URL: "https://hooks.example/services/1?token=xxxxx", Kind: KindWebhook, Up: true},
	}
	if diff := cmp.Diff(want, n.Destinations()); diff != "" {
		t.Errorf("destinations (-want +have):\n%s", diff)
	}
	if n.timeout != defaultTimeout || n.dests[0].q.capacity != defaultQueueCapacity {
		t.Errorf("have timeout %s and capacity %d, want the defaults", n.timeout, n.dests[0].q.capacity)
	}
	// Requests go without the user information, which is sent as basic
	// authentication instead.
	if have := n.dests[1].url; have != "https://am:9093/prefix/api/v2/alerts" {
		t.Errorf("have request URL %s", have)
	}
}
