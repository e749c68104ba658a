package kubelet

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixturesArePodLists decodes every recorded answer strictly (unknown
// or duplicate fields are errors) into Kubernetes's own core/v1 PodList,
// so that the fixtures have the kubelet's shape and not only the fields
// the parser reads.
func TestFixturesArePodLists(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	files, err := filepath.Glob("testdata/pods-*.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := dec.Decode(b, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		l, ok := obj.(*corev1.PodList)
		if !ok {
			t.Errorf("%s: %T, want a PodList", f, obj)
			continue
		}
		ours, err := ParsePods(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ours.Len() != len(l.Items) {
			t.Errorf("%s: %d pods parsed, Kubernetes reads %d", f, ours.Len(), len(l.Items))
		}
		for _, p := range l.Items {
			got, ok := ours.Pod(string(p.UID))
			if !ok || got.Name != p.Name || got.Namespace != p.Namespace || got.QOSClass != string(p.Status.QOSClass) {
				t.Errorf("%s: pod %s: got %+v", f, p.UID, got)
			}
			for _, cs := range append(append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...), p.Status.EphemeralContainerStatuses...) {
				if cs.ContainerID == "" {
					continue
				}
				c, ok := ours.Container(cs.ContainerID[strings.Index(cs.ContainerID, "://")+3:])
				if !ok || c.Name != cs.Name || c.Pod != p.Name || c.Namespace != p.Namespace || c.PodUID != string(p.UID) {
					t.Errorf("%s: container %s: got %+v", f, cs.ContainerID, c)
				}
			}
		}
	}
}

func TestParsePods(t *testing.T) {
	type want struct{ ns, pod, container string }
	for _, tc := range []struct {
		file       string
		pods       int
		containers map[string]want // by ID
		podsByUID  map[string]Pod
		absent     []string // IDs that must not be found
	}{
		{
			file: "pods-v2.json",
			pods: 5,
			containers: map[string]want{
				// containerd, burstable, restarted once after an OOM kill
				"fcb14b1a6b052c2df81cbec7a92082d407fa3173368219a9b29ed159919fa4b6": {"shop", "api-5c8d7b9f6-tq4wz", "api"},
				// the instance before the restart (lastState.terminated)
				"31295d1735cd87eb2ee1c0a4fad81530d67c0642908807fe5d5e15d70abf5e85": {"shop", "api-5c8d7b9f6-tq4wz", "api"},
				// its init container, completed
				"09a6154fb3db7d32e36f5515564479059bff6d73ec94491f82e8d6048aadb8fc": {"shop", "api-5c8d7b9f6-tq4wz", "migrate"},
				// CRI-O
				"fcfc7aee345848bb1465ec619d217bf1ee0915a0770d91dda0b69b1ba09756fa": {"monitoring", "metrics-agent-7b6d9c5f8-2lkjh", "agent"},
				// best effort
				"5e9deb2a861d49e6805cb10f9f2a30e40019ad25b87da95be4e5af0a0d509646": {"batch", "cleanup-28472220-8xk2m", "cleanup"},
				// guaranteed
				"be88a3357f244b0297a92df72a43dd0834849a28759cd5407a6c1bb9a8070487": {"db", "mysql-0", "mysql"},
			},
			podsByUID: map[string]Pod{
				"1b8c3eda-25c8-494e-a84a-312d91869ad9": {UID: "1b8c3eda-25c8-494e-a84a-312d91869ad9", Namespace: "shop", Name: "api-5c8d7b9f6-tq4wz", QOSClass: "Burstable"},
				"80a2dfd9-d0dc-4549-aa3f-72a53cf37e12": {UID: "80a2dfd9-d0dc-4549-aa3f-72a53cf37e12", Namespace: "db", Name: "mysql-0", QOSClass: "Guaranteed"},
				"25a4dab1-25d7-48c7-a6a5-5cc520b3920d": {UID: "25a4dab1-25d7-48c7-a6a5-5cc520b3920d", Namespace: "batch", Name: "cleanup-28472220-8xk2m", QOSClass: "BestEffort"},
				// pending: known, but its container has no ID yet
				"e8d0cba1-b85c-42fa-a1a0-fba86c17cc9e": {UID: "e8d0cba1-b85c-42fa-a1a0-fba86c17cc9e", Namespace: "shop", Name: "api-5c8d7b9f6-zz9k2", QOSClass: "Burstable"},
			},
			// the pause containers: the kubelet does not report sandboxes
			absent: []string{"b1ace348372686dd1bda49add7fcaa28d29bf14641715eea9cbf29e54d9ef9c3", "298ac21fb9b72b17ca920b3e5330f591088b3a25f0fb3d0ef059aaedc728babf", ""},
		},
		{
			file: "pods-v1.json",
			pods: 6,
			containers: map[string]want{
				"d64f9818a31998aacde0d0a241fa3a7e129e7604ffd2cb20caf1cbcec793e0f2": {"db", "postgres-0", "postgres"},
				"2726415a2eb97ab55264e565583a08c4f724fbcd6ad14da0b2c66d5d95501f08": {"shop", "orders-7d9f8b6c5-vw2lq", "orders"},
				"f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837": {"vms", "virt-launcher-db-replica-2-kc9wz", "compute"},
				"46d209427d58d5fde89e1932689c774da9b1f7e684878b23f59a5ad2bf6af52e": {"reports", "backfill-28472160-zq7vd", "backfill"},
			},
			absent: []string{"45e6e9811b6107e523c8494b4b7340c4c77d3e633100ec6eb710ad65ada11bcd"},
		},
		{
			file: "pods-docker.json",
			pods: 3,
			containers: map[string]want{
				"523f3f432f4dbaf15407c65e5aca2830891474c1c10490f4b9e768e30051c19f": {"kube-system", "kube-proxy-x7k2p", "kube-proxy"},
				"ee08e1704ebe856ff8ac4781c3602cad11d790293966e1d4015cd3bbec794244": {"kube-system", "coredns-6f6b679f8f-4nq9d", "coredns"},
				"ac3507dfda05396d51c47a67cdcbf0fbc391141c1cae1a2ef00414a6ed6a704d": {"kube-system", "etcd-edge-1", "etcd"},
			},
			podsByUID: map[string]Pod{
				// a static pod: its UID is the kubelet's hash of its manifest,
				// as in its cgroup path
				"1a7541c3edb947a1a05b99b674ee48d0": {UID: "1a7541c3edb947a1a05b99b674ee48d0", Namespace: "kube-system", Name: "etcd-edge-1", QOSClass: "Burstable"},
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := ParsePods(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != tc.pods {
				t.Errorf("%d pods, want %d", p.Len(), tc.pods)
			}
			for id, w := range tc.containers {
				c, ok := p.Container(id)
				if !ok || (want{c.Namespace, c.Pod, c.Name}) != w {
					t.Errorf("container %s: %+v %v, want %+v", id[:12], c, ok, w)
				}
				// IDs are matched whatever their case.
				if _, ok := p.Container(strings.ToUpper(id)); !ok {
					t.Errorf("container %s: not found in upper case", id[:12])
				}
			}
			for uid, w := range tc.podsByUID {
				if got, ok := p.Pod(uid); !ok || got != w {
					t.Errorf("pod %s: %+v %v, want %+v", uid, got, ok, w)
				}
			}
			for _, id := range tc.absent {
				if c, ok := p.Container(id); ok {
					t.Errorf("container %q found: %+v", id, c)
				}
			}
		})
	}
}

func TestParsePodsRejects(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		notList    bool
	}{
		{"empty", "", false},
		{"garbage", "\x00\x01garbage{", false},
		{"html", "<html><body>404 page not found</body></html>", false},
		{"truncated", `{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"a"`, false},
		{"array", `[{"kind":"PodList"}]`, false},
		{"items not a list", `{"kind":"PodList","items":{"a":1}}`, false},
		{"uid not a string", `{"kind":"PodList","items":[{"metadata":{"uid":7}}]}`, false},
		{"empty object", `{}`, true},
		{"status", `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Forbidden (user=system:serviceaccount:mihari:mihari, verb=get, resource=nodes, subresource(s)=[pods])","reason":"Forbidden","code":403}`, true},
		{"a pod", `{"kind":"Pod","apiVersion":"v1","metadata":{"uid":"x"}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePods([]byte(tc.body))
			if err == nil {
				t.Fatalf("no error; parsed %d pods", p.Len())
			}
			if got := errors.Is(err, ErrNotPodList); got != tc.notList {
				t.Errorf("errors.Is(ErrNotPodList) = %v, want %v (%v)", got, tc.notList, err)
			}
		})
	}
}

func TestParsePodsSkipsWhatCannotName(t *testing.T) {
	p, err := ParsePods([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[
		{"metadata":{"name":"no-uid","namespace":"a"},"status":{"containerStatuses":[{"name":"c","containerID":"containerd://aa"}]}},
		{"metadata":{"name":"p","namespace":"b","uid":"0AB-CD"},"status":{"containerStatuses":[
			{"name":"waiting","containerID":""},
			{"name":"odd","containerID":"no-scheme"},
			{"name":"ok","containerID":"containerd://ABCDEF"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 {
		t.Errorf("%d pods, want 1 (the pod without a UID is left out)", p.Len())
	}
	if got, ok := p.Pod("0ab-cd"); !ok || got.Name != "p" {
		t.Errorf("pod by lower-case UID: %+v %v", got, ok)
	}
	if _, ok := p.Container("aa"); ok {
		t.Error("the container of a pod without UID was kept")
	}
	if c, ok := p.Container("abcdef"); !ok || c.Name != "ok" || c.PodUID != "0ab-cd" {
		t.Errorf("container: %+v %v", c, ok)
	}
	if len(p.containers) != 1 {
		t.Errorf("containers %v, want only abcdef", p.containers)
	}
	var nilPods *Pods
	if _, ok := nilPods.Pod("x"); ok || nilPods.Len() != 0 || nilPods.Gen() != 0 {
		t.Error("a nil *Pods must answer nothing")
	}
	if _, ok := nilPods.Container("x"); ok {
		t.Error("a nil *Pods must answer nothing")
	}
}

func FuzzParsePods(f *testing.F) {
	for _, name := range []string{"pods-v1.json", "pods-v2.json", "pods-docker.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"kind":"PodList","items":[{"metadata":{"uid":"U"},"status":{"containerStatuses":[{"name":"c","containerID":"x://Y","lastState":{"terminated":{"containerID":"x://z"}}}]}}]}`))
	f.Add([]byte(`{"kind":"Status","code":403}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePods(b)
		if err != nil {
			if p != nil {
				t.Fatal("pods returned with an error")
			}
			return
		}
		if !json.Valid(b) {
			t.Fatal("accepted invalid JSON")
		}
		for id, c := range p.containers {
			if id != strings.ToLower(id) || id == "" {
				t.Fatalf("container ID %q not normalised", id)
			}
			pod, ok := p.Pod(c.PodUID)
			if !ok {
				t.Fatalf("container %q of an unknown pod %q", id, c.PodUID)
			}
			if pod.Name != c.Pod || pod.Namespace != c.Namespace {
				t.Fatalf("container %q names %s/%s, its pod is %s/%s", id, c.Namespace, c.Pod, pod.Namespace, pod.Name)
			}
			if got, ok := p.Container(id); !ok || got != c {
				t.Fatalf("lookup of %q: %+v %v", id, got, ok)
			}
		}
		for uid, pod := range p.pods {
			if uid == "" || uid != pod.UID || uid != strings.ToLower(uid) {
				t.Fatalf("pod keyed %q has UID %q", uid, pod.UID)
			}
		}
	})
}
