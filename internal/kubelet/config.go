package kubelet

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// The service account's files, as Kubernetes mounts them in every pod.
const (
	DefaultTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultCAFile    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
)

// Defaults of the flags.
const (
	DefaultInterval = 30 * time.Second
	DefaultTimeout  = 5 * time.Second
	// Port is the kubelet's HTTPS port.
	Port = "10250"
)

// Config is what --kubelet.* say.
type Config struct {
	// URL is the kubelet's base URL, "auto" (the default) or "none".
	URL                string
	TokenFile          string
	CAFile             string
	InsecureSkipVerify bool
	Interval           time.Duration
	Timeout            time.Duration
}

// AddFlags registers the --kubelet.* flags on fs.
func AddFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.URL, "kubelet.url", "auto",
		"kubelet whose pods (GET /pods) name the containers of cgroup metrics (namespace, pod and container labels), e.g. https://10.0.0.7:10250; "+
			"auto: https://$NODE_IP:10250 when running in a Kubernetes pod (KUBERNETES_SERVICE_HOST set) with NODE_IP set from status.hostIP, else none; none: off")
	fs.StringVar(&c.TokenFile, "kubelet.token-file", DefaultTokenFile,
		"bearer token for the kubelet, read at every request (a service account token: the service account needs get on nodes/pods, or nodes/proxy before Kubernetes 1.33)")
	fs.StringVar(&c.CAFile, "kubelet.ca-file", DefaultCAFile,
		"CA certificates that sign the kubelet's serving certificate")
	fs.BoolVar(&c.InsecureSkipVerify, "kubelet.insecure-skip-verify", false,
		"do not verify the kubelet's certificate (kubelets whose serving certificate is self-signed, as kubeadm's are unless serverTLSBootstrap is set)")
	fs.DurationVar(&c.Interval, "kubelet.interval", DefaultInterval,
		"how often the pod list is asked for again; a pod seen in the cgroups but not in the list asks sooner")
	fs.DurationVar(&c.Timeout, "kubelet.timeout", DefaultTimeout,
		"longest a request to the kubelet may take; a collection never waits longer for it")
	return c
}

// Resolve returns the kubelet's base URL, or "" when asking the kubelet is
// off. getenv reads the environment (os.Getenv); fileExists tells whether
// a file is there (for "auto", which needs the service account's CA unless
// verification is off).
func (c *Config) Resolve(getenv func(string) string, fileExists func(string) bool) (string, error) {
	switch c.URL {
	case "", "none":
		return "", nil
	case "auto":
		if getenv("KUBERNETES_SERVICE_HOST") == "" {
			return "", nil
		}
		ip := strings.TrimSpace(getenv("NODE_IP"))
		if ip == "" || net.ParseIP(ip) == nil {
			return "", nil
		}
		if !c.InsecureSkipVerify && !fileExists(c.CAFile) {
			return "", nil
		}
		return "https://" + net.JoinHostPort(ip, Port), nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", fmt.Errorf("--kubelet.url %q: %w", c.URL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--kubelet.url %q: want https://HOST:PORT (or http:// for a read-only port), auto or none", c.URL)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// Check verifies the durations.
func (c *Config) Check() error {
	if c.Interval <= 0 {
		return fmt.Errorf("--kubelet.interval %v: want a positive duration such as 30s", c.Interval)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--kubelet.timeout %v: want a positive duration such as 5s", c.Timeout)
	}
	return nil
}

// Explain says why "auto" left the kubelet off, for a log line; "" when
// there is nothing to say (not in Kubernetes, or on).
func (c *Config) Explain(getenv func(string) string, fileExists func(string) bool) string {
	if c.URL != "auto" || getenv("KUBERNETES_SERVICE_HOST") == "" {
		return ""
	}
	ip := strings.TrimSpace(getenv("NODE_IP"))
	switch {
	case ip == "":
		return "running in Kubernetes but NODE_IP is not set (set it from status.hostIP with the downward API, or give --kubelet.url); cgroup metrics get no pod names"
	case net.ParseIP(ip) == nil:
		return fmt.Sprintf("NODE_IP %q is not an IP address; cgroup metrics get no pod names", ip)
	case !c.InsecureSkipVerify && !fileExists(c.CAFile):
		return fmt.Sprintf("no CA file at %s (is the service account token mounted?); give --kubelet.ca-file or --kubelet.insecure-skip-verify; cgroup metrics get no pod names", c.CAFile)
	}
	return ""
}

// FileExists is the fileExists of Resolve on the local file system.
func FileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}
