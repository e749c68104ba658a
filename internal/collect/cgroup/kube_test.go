package cgroup

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
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
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/kubelet"
)

// A recorded answer of the kubelet's GET /pods for the node of a fixture
// tree (internal/kubelet/testdata).
func podsFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "kubelet", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeKubelet serves GET /pods over HTTPS from whatever body it holds.
type fakeKubelet struct {
	srv      *httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	status   int
	body     []byte
}

func newFakeKubelet(t *testing.T, body []byte) *fakeKubelet {
	t.Helper()
	k := &fakeKubelet{status: http.StatusOK, body: body}
	k.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.requests.Add(1)
		if r.URL.Path != "/pods" || r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		k.mu.Lock()
		status, body := k.status, k.body
		k.mu.Unlock()
		w.WriteHeader(status)
		w.Write(body)
	}))
	k.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	k.srv.StartTLS()
	t.Cleanup(k.srv.Close)
	return k
}

func (k *fakeKubelet) answer(status int, body []byte) {
	k.mu.Lock()
	k.status, k.body = status, body
	k.mu.Unlock()
}

func (k *fakeKubelet) client(t *testing.T, now func() time.Time) *kubelet.Client {
	t.Helper()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("t0ken"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := kubelet.New(kubelet.Options{
		URL: k.srv.URL, TokenFile: tok, InsecureSkipVerify: true,
		Interval: 30 * time.Second, Timeout: 2 * time.Second, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// names returns the namespace, pod and container labels of the one
// container_cpu_usage_seconds_total series of a cgroup.
func names(t *testing.T, got map[string][]sample, id string) [3]string {
	t.Helper()
	ss := find(t, got["container_cpu_usage_seconds_total"], map[string]string{"id": id})
	if len(ss) != 1 {
		t.Fatalf("%s: %d series", id, len(ss))
	}
	l := ss[0].labels
	for _, k := range []string{"namespace", "pod", "container"} {
		if _, ok := l[k]; !ok {
			t.Fatalf("%s: no %s label: %v", id, k, l)
		}
	}
	return [3]string{l["namespace"], l["pod"], l["container"]}
}

const (
	v2API      = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b8c3eda_25c8_494e_a84a_312d91869ad9.slice"
	v2APIApp   = v2API + "/cri-containerd-fcb14b1a6b052c2df81cbec7a92082d407fa3173368219a9b29ed159919fa4b6.scope"
	v2APIPause = v2API + "/cri-containerd-b1ace348372686dd1bda49add7fcaa28d29bf14641715eea9cbf29e54d9ef9c3.scope"
	v2Agent    = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod60f08f4b_3488_4dea_a641_e2e27c732be7.slice"
	v2MySQL    = "/kubepods.slice/kubepods-pod80a2dfd9_d0dc_4549_aa3f_72a53cf37e12.slice/cri-containerd-be88a3357f244b0297a92df72a43dd0834849a28759cd5407a6c1bb9a8070487.scope"
	v2Cleanup  = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod25a4dab1_25d7_48c7_a6a5_5cc520b3920d.slice/cri-containerd-5e9deb2a861d49e6805cb10f9f2a30e40019ad25b87da95be4e5af0a0d509646.scope"
)

func TestKubeletNamesContainers(t *testing.T) {
	for _, tc := range []struct {
		tree, answer string
		want         map[string][3]string // by cgroup
	}{
		{"v2", "pods-v2.json", map[string][3]string{
			v2APIApp:   {"shop", "api-5c8d7b9f6-tq4wz", "api"},
			v2APIPause: {"shop", "api-5c8d7b9f6-tq4wz", ""}, // the sandbox: the kubelet does not list it
			v2API:      {"shop", "api-5c8d7b9f6-tq4wz", ""}, // the pod's own cgroup
			v2Agent + "/crio-fcfc7aee345848bb1465ec619d217bf1ee0915a0770d91dda0b69b1ba09756fa.scope":        {"monitoring", "metrics-agent-7b6d9c5f8-2lkjh", "agent"},
			v2Agent + "/crio-conmon-fcfc7aee345848bb1465ec619d217bf1ee0915a0770d91dda0b69b1ba09756fa.scope": {"monitoring", "metrics-agent-7b6d9c5f8-2lkjh", ""},
			v2MySQL:                         {"db", "mysql-0", "mysql"},                     // guaranteed
			v2Cleanup:                       {"batch", "cleanup-28472220-8xk2m", "cleanup"}, // best effort
			"/system.slice/kubelet.service": {"", "", ""},
			"/kubepods.slice":               {"", "", ""},
		}},
		{"v1", "pods-v1.json", map[string][3]string{
			"/kubepods/burstable/podf63b565b-430b-43e4-a7c6-c2029c88601c/f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837":  {"vms", "virt-launcher-db-replica-2-kc9wz", "compute"},
			"/kubepods/burstable/podf63b565b-430b-43e4-a7c6-c2029c88601c/45e6e9811b6107e523c8494b4b7340c4c77d3e633100ec6eb710ad65ada11bcd":  {"vms", "virt-launcher-db-replica-2-kc9wz", ""},
			"/kubepods/poda664dae7-e475-4e12-a07a-81de7f47ff2b/d64f9818a31998aacde0d0a241fa3a7e129e7604ffd2cb20caf1cbcec793e0f2":            {"db", "postgres-0", "postgres"},
			"/kubepods/besteffort/podb16dbf8c-16b5-40a7-a6b5-501f30844b43/46d209427d58d5fde89e1932689c774da9b1f7e684878b23f59a5ad2bf6af52e": {"reports", "backfill-28472160-zq7vd", "backfill"},
		}},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			k := newFakeKubelet(t, podsFixture(t, tc.answer))
			c := newCollector(fixture(t, tc.tree), 5, k.client(t, nil))
			got := gather(t, c)
			for id, want := range tc.want {
				if _, ok := c.labels[id]; !ok {
					t.Errorf("%s: not a cgroup of the fixture", id)
					continue
				}
				if n := names(t, got, id); n != want {
					t.Errorf("%s: %q, want %q", id, n, want)
				}
			}
			// What the path says is still there.
			ss := find(t, got["container_memory_working_set_bytes"], map[string]string{"pod": "mysql-0", "container": "mysql"})
			if tc.tree == "v2" && (len(ss) != 1 || ss[0].labels["qos_class"] != "guaranteed" ||
				ss[0].labels["pod_uid"] != "80a2dfd9-d0dc-4549-aa3f-72a53cf37e12" || ss[0].labels["container_id"] != "be88a3357f244b0297a92df72a43dd0834849a28759cd5407a6c1bb9a8070487") {
				t.Errorf("mysql: %v", ss)
			}
			// Every series of every family carries the names, the blkio
			// ones (with device labels) included.
			for name, ss := range got {
				if !strings.HasPrefix(name, "container_") && name != "mihari_cgroup_blkio_ios_total" {
					continue
				}
				for _, s := range ss {
					if _, ok := s.labels["namespace"]; !ok {
						t.Fatalf("%s%v: no namespace label", name, s.labels)
					}
				}
			}
			if v := value(t, got, "mihari_kubelet_up", nil); v != 1 {
				t.Errorf("mihari_kubelet_up %v", v)
			}
			if v := value(t, got, "mihari_kubelet_requests_total", map[string]string{"result": "success"}); v != 1 {
				t.Errorf("requests %v, want 1", v)
			}
		})
	}
	// Every Docker scope of the v2 tree is outside Kubernetes: no names.
	k := newFakeKubelet(t, podsFixture(t, "pods-v2.json"))
	got := gather(t, newCollector(fixture(t, "v2"), 5, k.client(t, nil)))
	docker := 0
	for _, s := range got["container_cpu_usage_seconds_total"] {
		if strings.HasPrefix(s.labels["id"], "/system.slice/docker-") {
			docker++
			if s.labels["namespace"] != "" || s.labels["pod"] != "" || s.labels["container"] != "" || s.labels["container_id"] == "" {
				t.Errorf("docker scope labelled %v", s.labels)
			}
		}
	}
	if docker != 1 {
		t.Errorf("%d docker scopes, want 1", docker)
	}
}

// When the kubelet does not answer (forbidden, unreachable, garbage), the
// series keep what their paths say, and the failure is counted.
func TestKubeletFallsBackToThePath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		result string
	}{
		{"forbidden", 403, "Forbidden (user=system:serviceaccount:mihari:mihari, verb=get, resource=nodes, subresource(s)=[pods])", "forbidden"},
		{"not found", 404, "404 page not found", "http_error"},
		{"garbage", 200, `{"kind":"PodList","items":[{"metad`, "invalid_response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKubelet(t, []byte(tc.body))
			k.answer(tc.status, []byte(tc.body))
			got := gather(t, newCollector(fixture(t, "v2"), 5, k.client(t, nil)))
			if n := names(t, got, v2MySQL); n != [3]string{} {
				t.Errorf("names %q without an answer", n)
			}
			s := find(t, got["container_cpu_usage_seconds_total"], map[string]string{"id": v2MySQL})[0].labels
			if s["pod_uid"] != "80a2dfd9-d0dc-4549-aa3f-72a53cf37e12" || s["qos_class"] != "guaranteed" || s["container_id"] == "" {
				t.Errorf("path labels lost: %v", s)
			}
			if v := value(t, got, "mihari_kubelet_requests_total", map[string]string{"result": tc.result}); v != 1 {
				t.Errorf("%s: %v, want 1", tc.result, v)
			}
			if v := value(t, got, "mihari_kubelet_up", nil); v != 0 {
				t.Errorf("up %v", v)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		k := newFakeKubelet(t, nil)
		c := k.client(t, nil)
		k.srv.Close()
		got := gather(t, newCollector(fixture(t, "v2"), 5, c))
		if n := names(t, got, v2APIApp); n != [3]string{} {
			t.Errorf("names %q", n)
		}
		if v := value(t, got, "mihari_kubelet_requests_total", map[string]string{"result": "unreachable"}); v != 1 {
			t.Errorf("unreachable %v", v)
		}
	})
}

// A pod that starts between two answers asks the kubelet again at once
// (not after the 30 s interval), so its series carry its names from its
// first collection; a cgroup the new answer still cannot name (a pause
// container) does not ask again.
func TestKubeletNewPodAsksAgain(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	// The first answer lacks mysql-0.
	full := podsFixture(t, "pods-v2.json")
	var list map[string]any
	if err := json.Unmarshal(full, &list); err != nil {
		t.Fatal(err)
	}
	var items []any
	for _, it := range list["items"].([]any) {
		if it.(map[string]any)["metadata"].(map[string]any)["name"] != "mysql-0" {
			items = append(items, it)
		}
	}
	list["items"] = items
	partial, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}

	// The tree without the mysql pod first: a copy in which it is added
	// later.
	src := fixture(t, "v2")
	sys := t.TempDir()
	if err := os.CopyFS(filepath.Join(sys, "fs/cgroup"), os.DirFS(src.Sys("fs/cgroup"))); err != nil {
		t.Fatal(err)
	}
	mysqlPod := filepath.Join(sys, "fs/cgroup/kubepods.slice/kubepods-pod80a2dfd9_d0dc_4549_aa3f_72a53cf37e12.slice")
	hidden := filepath.Join(sys, "hidden")
	if err := os.Rename(mysqlPod, hidden); err != nil {
		t.Fatal(err)
	}
	paths := src
	paths.Sysfs = sys

	k := newFakeKubelet(t, partial)
	c := newCollector(paths, 5, k.client(t, clock))
	got := gather(t, c)
	if n := names(t, got, v2APIApp); n[2] != "api" {
		t.Fatalf("api: %q", n)
	}
	if k.requests.Load() != 1 {
		t.Fatalf("%d requests", k.requests.Load())
	}

	// 15 s later, the pod has started and the kubelet lists it.
	advance(15 * time.Second)
	if err := os.Rename(hidden, mysqlPod); err != nil {
		t.Fatal(err)
	}
	k.answer(200, full)
	got = gather(t, c)
	if n := names(t, got, v2MySQL); n != [3]string{"db", "mysql-0", "mysql"} {
		t.Errorf("new pod: %q, want its names at once", n)
	}
	if n := k.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// Its sandbox is not in the answer, and does not ask again.
	advance(15 * time.Second)
	gather(t, c)
	if n := k.requests.Load(); n != 2 {
		t.Errorf("%d requests after a collection with nothing new, want 2", n)
	}
	// The interval still applies.
	advance(20 * time.Second)
	gather(t, c)
	deadline := time.Now().Add(10 * time.Second)
	for k.requests.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := k.requests.Load(); n != 3 {
		t.Errorf("%d requests after the interval, want 3", n)
	}
}

// Without the kubelet the label set is what it always was: the output of
// hosts outside Kubernetes (and the golden files) does not change.
func TestNoKubeletNoNewLabels(t *testing.T) {
	got := collectCgroups(t, fixture(t, "v2"), 5)
	for name, ss := range got {
		for _, s := range ss {
			for _, l := range []string{"namespace", "pod", "container"} {
				if _, ok := s.labels[l]; ok {
					t.Fatalf("%s has a %s label without the kubelet", name, l)
				}
			}
		}
		if strings.HasPrefix(name, "mihari_kubelet_") {
			t.Errorf("%s exported without the kubelet", name)
		}
	}
}

// The flags reach the collector: --kubelet.url turns the names on, "none"
// and the default outside Kubernetes leave them off, a bad URL fails.
func TestKubeletFlags(t *testing.T) {
	k := newFakeKubelet(t, podsFixture(t, "pods-v2.json"))
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("t0ken"), 0o600)
	paths := fixture(t, "v2")
	build := func(args ...string) (*collect.Node, error) {
		var o collect.Options
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		o.AddFlags(fs)
		args = append(args, "--collector.disable-defaults", "--collector.cgroup",
			"--path.sysfs="+paths.Sysfs, "--path.procfs="+paths.Procfs, "--path.rootfs="+t.TempDir())
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		n, _, err := o.Build(slog.New(slog.DiscardHandler))
		return n, err
	}
	series := func(n *collect.Node) map[string][]sample {
		return gather(t, nodeCollector{n})
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	n, err := build()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := series(n)["mihari_kubelet_up"]; ok {
		t.Error("kubelet asked by default outside Kubernetes")
	}
	n, err = build("--kubelet.url="+k.srv.URL, "--kubelet.insecure-skip-verify", "--kubelet.token-file="+tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := series(n); names(t, got, v2MySQL) != [3]string{"db", "mysql-0", "mysql"} {
		t.Errorf("with --kubelet.url: %q", names(t, got, v2MySQL))
	}
	// In a pod, auto asks https://$NODE_IP:10250 (here, without a service
	// account token, the request fails before it is sent: only loopback
	// could be reached anyway).
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	t.Setenv("NODE_IP", "127.0.0.1")
	n, err = build("--kubelet.insecure-skip-verify", "--kubelet.timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	if got := series(n); len(got["mihari_kubelet_up"]) != 1 {
		t.Error("auto in a pod did not ask the kubelet")
	}
	n, err = build("--kubelet.url=none")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := series(n)["mihari_kubelet_up"]; ok {
		t.Error("kubelet asked with --kubelet.url=none")
	}
	for _, bad := range [][]string{{"--kubelet.url=ftp://x"}, {"--kubelet.timeout=0s"}, {"--kubelet.url=https://x", "--kubelet.ca-file=/no/such/ca.crt"}} {
		if _, err := build(bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// nodeCollector runs a Node as a collect.Collector.
type nodeCollector struct{ n *collect.Node }

func (c nodeCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	c.n.Collect(ctx, ch)
	return nil
}
