package kubelet

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestFlags(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	c := AddFlags(fs)
	if c.URL != "auto" || c.TokenFile != DefaultTokenFile || c.CAFile != DefaultCAFile || c.InsecureSkipVerify ||
		c.Interval != DefaultInterval || c.Timeout != DefaultTimeout {
		t.Errorf("defaults: %+v", c)
	}
	if err := fs.Parse([]string{"--kubelet.url=https://10.0.0.7:10250", "--kubelet.insecure-skip-verify",
		"--kubelet.interval=1m", "--kubelet.timeout=2s", "--kubelet.token-file=/t", "--kubelet.ca-file=/c"}); err != nil {
		t.Fatal(err)
	}
	if c.URL != "https://10.0.0.7:10250" || !c.InsecureSkipVerify || c.Interval != time.Minute || c.Timeout != 2*time.Second ||
		c.TokenFile != "/t" || c.CAFile != "/c" {
		t.Errorf("parsed: %+v", c)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
	c.Timeout = 0
	if err := c.Check(); err == nil {
		t.Error("a zero timeout passed")
	}
	c.Timeout, c.Interval = time.Second, -1
	if err := c.Check(); err == nil {
		t.Error("a negative interval passed")
	}
}

func TestResolve(t *testing.T) {
	inK8s := map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "NODE_IP": "10.20.0.17"}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	yes := func(string) bool { return true }
	no := func(string) bool { return false }
	for _, tc := range []struct {
		name    string
		cfg     Config
		env     map[string]string
		exists  func(string) bool
		want    string
		wantErr string
		explain string
	}{
		{"auto outside Kubernetes", Config{URL: "auto"}, map[string]string{"NODE_IP": "10.0.0.1"}, yes, "", "", ""},
		{"auto in a pod", Config{URL: "auto"}, inK8s, yes, "https://10.20.0.17:10250", "", ""},
		{"auto, IPv6 node", Config{URL: "auto"}, map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "NODE_IP": "fd00:10::17"}, yes, "https://[fd00:10::17]:10250", "", ""},
		{"auto without NODE_IP", Config{URL: "auto"}, map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, yes, "", "", "NODE_IP is not set"},
		{"auto with a bad NODE_IP", Config{URL: "auto"}, map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "NODE_IP": "$(NODE_IP)"}, yes, "", "", "not an IP address"},
		{"auto without the CA", Config{URL: "auto", CAFile: "/ca"}, inK8s, no, "", "", "no CA file at /ca"},
		{"auto without the CA, not verifying", Config{URL: "auto", InsecureSkipVerify: true}, inK8s, no, "https://10.20.0.17:10250", "", ""},
		{"none", Config{URL: "none"}, inK8s, yes, "", "", ""},
		{"empty", Config{URL: ""}, inK8s, yes, "", "", ""},
		{"explicit", Config{URL: "https://kubelet.local:10250/"}, nil, no, "https://kubelet.local:10250", "", ""},
		{"read-only port", Config{URL: "http://127.0.0.1:10255"}, nil, no, "http://127.0.0.1:10255", "", ""},
		{"no scheme", Config{URL: "10.0.0.1:10250"}, nil, no, "", "--kubelet.url", ""},
		{"host only", Config{URL: "kubelet.local"}, nil, no, "", "want https://HOST:PORT", ""},
		{"other scheme", Config{URL: "unix:///run/kubelet.sock"}, nil, no, "", "want https://HOST:PORT", ""},
		{"credentials", Config{URL: "https://u:p@10.0.0.1:10250"}, nil, no, "", "want https://HOST:PORT", ""},
		{"unparsable", Config{URL: "https://[::1"}, nil, no, "", "--kubelet.url", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cfg.Resolve(env(tc.env), tc.exists)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
			ex := tc.cfg.Explain(env(tc.env), tc.exists)
			if (tc.explain == "") != (ex == "") || !strings.Contains(ex, tc.explain) {
				t.Errorf("Explain = %q, want %q", ex, tc.explain)
			}
		})
	}
}
