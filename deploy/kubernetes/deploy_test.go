package kubernetes_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/mihari-dev/mihari/internal/cli"
)

// kustomization is the part of kustomize's Kustomization and Component
// (kustomize.config.k8s.io) that the manifests use; anything else is an
// unknown field.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources,omitempty"`
	Components []string `json:"components,omitempty"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
}

// object is one decoded document and where it came from.
type object struct {
	file string
	obj  runtime.Object
}

// manifests are every object of the base and of each component.
type manifests struct {
	base       kustomization
	objects    []object // base
	components map[string][]object
}

func strictYAML(b []byte, into any) error {
	j, err := sigsyaml.YAMLToJSONStrict(b)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, into, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := strictYAML(b, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return k
}

// decoder decodes the kinds the manifests may hold, strictly: unknown and
// duplicate fields are errors, as kubectl apply --validate=strict makes
// them.
func decoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	scheme.AddKnownTypes(monitoringV1, &ServiceMonitor{})
	metav1.AddToGroupVersion(scheme, monitoringV1)
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// decodeFile decodes every document of a manifest file.
func decodeFile(t *testing.T, dec runtime.Decoder, file string) []object {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []object
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		out = append(out, object{file: file, obj: obj})
	}
	return out
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for line := range bytes.Lines(doc) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			b.Write(line)
		}
	}
	return b.Bytes()
}

func load(t *testing.T) *manifests {
	t.Helper()
	dec := decoder(t)
	m := &manifests{base: readKustomization(t, "."), components: map[string][]object{}}
	if m.base.Kind != "Kustomization" || m.base.APIVersion != "kustomize.config.k8s.io/v1beta1" {
		t.Fatalf("kustomization.yaml: %s %s", m.base.APIVersion, m.base.Kind)
	}
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range m.base.Resources {
		listed[r] = true
		m.objects = append(m.objects, decodeFile(t, dec, r)...)
	}
	for _, c := range componentDirs(t) {
		k := readKustomization(t, c)
		if k.Kind != "Component" || k.APIVersion != "kustomize.config.k8s.io/v1alpha1" {
			t.Errorf("%s: %s %s, want a Component", c, k.APIVersion, k.Kind)
		}
		listed[path.Join(c, "kustomization.yaml")] = true
		for _, r := range k.Resources {
			listed[path.Join(c, r)] = true
			m.components[c] = append(m.components[c], decodeFile(t, dec, filepath.Join(c, r))...)
		}
	}
	// No manifest that no kustomization names: it would never be applied.
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && !listed[filepath.ToSlash(p)] {
			t.Errorf("%s is in no kustomization", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// componentDirs are the subdirectories with a kustomization.
func componentDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "kustomization.yaml")); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

func all[T runtime.Object](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func one[T runtime.Object](t *testing.T, objs []object) T {
	t.Helper()
	got := all[T](objs)
	if len(got) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(got), zero)
	}
	return got[0]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := load(t)
	kinds := map[string]int{}
	for _, o := range m.objects {
		kinds[o.obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	want := map[string]int{"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "DaemonSet": 1, "Service": 1}
	if !maps.Equal(kinds, want) {
		t.Errorf("base kinds %v, want %v", kinds, want)
	}
	if len(m.components["servicemonitor"]) != 1 || len(all[*ServiceMonitor](m.components["servicemonitor"])) != 1 {
		t.Errorf("servicemonitor component: %v", m.components["servicemonitor"])
	}
	if len(all[*rbacv1.ClusterRole](m.components["kubelet-nodes-proxy"])) != 1 {
		t.Errorf("kubelet-nodes-proxy component: %v", m.components["kubelet-nodes-proxy"])
	}
}

// The decoder is strict: these would pass a lenient one.
func TestDecoderRefusesMistakes(t *testing.T) {
	dec := decoder(t)
	for name, doc := range map[string]string{
		"unknown field":    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nautomountToken: true\n",
		"misspelt case":    "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec: {Selector: {}}\n",
		"duplicate field":  "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\nmetadata: {name: b}\n",
		"unknown kind":     "apiVersion: v1\nkind: Bogus\nmetadata: {name: a}\n",
		"servicemonitor":   "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: a}\nspec: {endpoints: [{port: x, intervall: 30s}], selector: {}}\n",
		"wrong field type": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: http}]}\n",
	} {
		if _, _, err := dec.Decode([]byte(doc), nil, nil); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	sm := &ServiceMonitor{Spec: ServiceMonitorSpec{Endpoints: []Endpoint{{Port: "x", Interval: "30s", ScrapeTimeout: "1m"}}}}
	if err := sm.Validate(); err == nil {
		t.Error("scrapeTimeout longer than interval passed")
	}
	sm.Spec.Endpoints[0] = Endpoint{Port: "x", Interval: "30 seconds"}
	if err := sm.Validate(); err == nil {
		t.Error("a bad interval passed")
	}
	sm.Spec.Endpoints[0] = Endpoint{Port: "x", Relabelings: []RelabelConfig{{SourceLabels: []string{"__meta_kubernetes_pod_node_name"}}}}
	if err := sm.Validate(); err == nil {
		t.Error("replace without targetLabel passed")
	}
}

// daemonSet returns the DaemonSet and its mihari container.
func daemonSet(t *testing.T, m *manifests) (*appsv1.DaemonSet, corev1.Container) {
	t.Helper()
	ds := one[*appsv1.DaemonSet](t, m.objects)
	if n := len(ds.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers", n)
	}
	return ds, ds.Spec.Template.Spec.Containers[0]
}

// expand does what the kubelet does to $(VAR) in args: the container's
// environment, with made-up values for the downward API's fields.
func expand(t *testing.T, c corev1.Container, s string) string {
	t.Helper()
	values := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			values[e.Name] = map[string]string{"spec.nodeName": "worker-7", "status.hostIP": "10.20.0.17"}[e.ValueFrom.FieldRef.FieldPath]
		default:
			values[e.Name] = e.Value
		}
	}
	return regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := values[name]
		if !ok {
			t.Errorf("%s: no such variable in the container's env (Kubernetes would pass it as is)", ref)
		}
		return v
	})
}

// flags returns the arguments after "serve" as name -> values; every one
// is --name=value or a boolean --name, so that this reading is the one
// pflag makes.
func flags(t *testing.T, c corev1.Container) map[string][]string {
	t.Helper()
	if len(c.Command) != 1 || path.Base(c.Command[0]) != "mihari" || len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("command %q args %q: want mihari serve", c.Command, c.Args)
	}
	out := map[string][]string{}
	for _, a := range c.Args[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			t.Errorf("argument %q: want --name=value", a)
			continue
		}
		if !ok {
			value = "true"
		}
		out[name] = append(out[name], expand(t, c, value))
	}
	return out
}

// The arguments are real flags of mihari serve, with values of their
// types: the command line is parsed by mihari's own command (with --help,
// which parses every flag and then only prints the help).
func TestArgsParseAsServeFlags(t *testing.T) {
	m := load(t)
	_, c := daemonSet(t, m)
	args := []string{"serve"}
	for _, a := range c.Args[1:] {
		args = append(args, expand(t, c, a))
	}
	run := func(args []string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Main(append(args, "--help"), cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb})
		return code, out.String(), errb.String()
	}
	code, out, errs := run(args)
	if code != 0 {
		t.Fatalf("mihari %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	for name := range flags(t, c) {
		if !strings.Contains(out, "--"+name+" ") {
			t.Errorf("--%s is not in mihari serve --help", name)
		}
	}
	// The kubelet's flags are there, and what the DaemonSet leaves to
	// their defaults.
	for _, f := range []string{"--kubelet.url", "--kubelet.token-file", "--kubelet.ca-file", "--kubelet.insecure-skip-verify", "--kubelet.timeout", "--kubelet.interval"} {
		if !strings.Contains(out, f+" ") {
			t.Errorf("%s is not a flag of mihari serve", f)
		}
	}
	// The check can fail: a misspelt flag and a bad value are refused.
	if code, _, _ := run(append(slices.Clone(args), "--path.proc=/host/proc")); code != 2 {
		t.Errorf("a misspelt flag: exit %d, want 2", code)
	}
	if code, _, _ := run(append(slices.Clone(args), "--interval=often")); code != 2 {
		t.Errorf("a bad duration: exit %d, want 2", code)
	}
}

// mountFor returns the volume mount that holds p inside the container (the
// deepest one) and the host path p is then, if the volume is a hostPath.
func mountFor(ds *appsv1.DaemonSet, c corev1.Container, p string) (*corev1.VolumeMount, string) {
	var best *corev1.VolumeMount
	for i, vm := range c.VolumeMounts {
		if p == vm.MountPath || strings.HasPrefix(p, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			if best == nil || len(vm.MountPath) > len(best.MountPath) {
				best = &c.VolumeMounts[i]
			}
		}
	}
	if best == nil {
		return nil, ""
	}
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.Name == best.Name && v.HostPath != nil {
			return best, path.Join(v.HostPath.Path, strings.TrimPrefix(p, best.MountPath))
		}
	}
	return best, ""
}

// Every --path.* flag is inside a read-only mount of the host path it
// stands for; the data directory is a writable one of the node's.
func TestPathsAreMounted(t *testing.T) {
	m := load(t)
	ds, c := daemonSet(t, m)
	f := flags(t, c)
	host := map[string]string{
		"path.procfs":    "/proc",
		"path.sysfs":     "/sys",
		"path.rootfs":    "/",
		"path.udev.data": "/run/udev/data",
	}
	for name := range f {
		if strings.HasPrefix(name, "path.") && host[name] == "" {
			t.Errorf("--%s: add it to this test", name)
		}
	}
	for name, want := range host {
		v := f[name]
		if len(v) != 1 {
			t.Errorf("--%s given %d times", name, len(v))
			continue
		}
		vm, got := mountFor(ds, c, v[0])
		switch {
		case vm == nil:
			t.Errorf("--%s=%s is in no volume", name, v[0])
		case got != want:
			t.Errorf("--%s=%s is the host's %q, want %q", name, v[0], got, want)
		case !vm.ReadOnly:
			t.Errorf("--%s=%s: mount %s is writable", name, v[0], vm.Name)
		}
	}
	// The cgroup tree the cgroup collector reads: <sysfs>/fs/cgroup.
	if vm, got := mountFor(ds, c, path.Join(f["path.sysfs"][0], "fs/cgroup")); vm == nil || got != "/sys/fs/cgroup" || !vm.ReadOnly {
		t.Errorf("cgroup tree: mount %v, host %q", vm, got)
	}
	// tracefs where mihari's tracing looks for it.
	if vm, got := mountFor(ds, c, "/sys/kernel/tracing"); vm == nil || got != "/sys/kernel/tracing" || !vm.ReadOnly {
		t.Errorf("tracefs: mount %v, host %q", vm, got)
	}
	storage := f["storage.path"]
	if len(storage) != 1 {
		t.Fatalf("--storage.path %q", storage)
	}
	if vm, got := mountFor(ds, c, storage[0]); vm == nil || vm.ReadOnly || got == "" {
		t.Errorf("--storage.path=%s: mount %v, host %q: want a writable host path", storage[0], vm, got)
	}
	// Every mount has its volume, and every host path but the data
	// directory is mounted read-only.
	vols := map[string]corev1.Volume{}
	for _, v := range ds.Spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			t.Errorf("mount %s: no such volume", vm.Name)
			continue
		}
		if v.HostPath != nil && !vm.ReadOnly && vm.MountPath != storage[0] {
			t.Errorf("host path %s mounted writable at %s", v.HostPath.Path, vm.MountPath)
		}
		if vm.RecursiveReadOnly != nil && (!vm.ReadOnly || (vm.MountPropagation != nil && *vm.MountPropagation != corev1.MountPropagationNone)) {
			t.Errorf("mount %s: recursiveReadOnly needs readOnly and no propagation (the API server refuses it)", vm.Name)
		}
	}
}

// Not privileged; the capabilities are exactly those docs/kubernetes.md
// and the comments justify.
func TestSecurityContext(t *testing.T) {
	m := load(t)
	ds, c := daemonSet(t, m)
	pod := ds.Spec.Template.Spec
	if !pod.HostPID || !pod.HostNetwork || pod.HostIPC {
		t.Errorf("hostPID %v hostNetwork %v hostIPC %v, want true true false", pod.HostPID, pod.HostNetwork, pod.HostIPC)
	}
	sc := c.SecurityContext
	if sc == nil || sc.Privileged == nil || *sc.Privileged {
		t.Fatal("privileged must be set to false")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the root file system must be read-only")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities drop %v, want ALL", sc.Capabilities)
	}
	got := slices.Clone(sc.Capabilities.Add)
	slices.Sort(got)
	want := []corev1.Capability{"BPF", "DAC_READ_SEARCH", "PERFMON", "SYSLOG", "SYS_PTRACE"}
	if !slices.Equal(got, want) {
		t.Errorf("capabilities %v, want %v", got, want)
	}
	// Every added capability is explained in the manifest.
	b, err := os.ReadFile("daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, cap := range want {
		if !regexp.MustCompile(`(?m)^\s+# .+\n(\s+#.*\n)*\s+- ` + string(cap) + `\n`).Match(b) {
			t.Errorf("capability %s has no comment above it", cap)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %v: want requests and a memory limit", c.Resources)
	}
	if c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
		t.Error("memory limit below the request")
	}
}

// One port from the listen address to the ServiceMonitor; the probes ask
// it; the names and the service account hang together.
func TestConsistency(t *testing.T) {
	m := load(t)
	ds, c := daemonSet(t, m)
	f := flags(t, c)
	svc := one[*corev1.Service](t, m.objects)
	sa := one[*corev1.ServiceAccount](t, m.objects)
	ns := one[*corev1.Namespace](t, m.objects)
	sm := one[*ServiceMonitor](t, m.components["servicemonitor"])
	if err := sm.Validate(); err != nil {
		t.Errorf("ServiceMonitor: %v", err)
	}

	// The port.
	listen := f["web.listen-address"]
	if len(listen) != 1 || !strings.HasPrefix(listen[0], ":") {
		t.Fatalf("--web.listen-address %q: want :PORT (all of the node's addresses)", listen)
	}
	port := strings.TrimPrefix(listen[0], ":")
	if len(c.Ports) != 1 || c.Ports[0].Name != "http-metrics" || itoa(c.Ports[0].ContainerPort) != port {
		t.Errorf("container ports %v, want http-metrics %s", c.Ports, port)
	}
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "http-metrics" {
			t.Errorf("probe %v: want an HTTP GET of http-metrics", p)
		}
	}
	if c.ReadinessProbe.HTTPGet.Path != "/-/ready" || c.LivenessProbe.HTTPGet.Path != "/-/healthy" {
		t.Errorf("probes ask %s and %s", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
	if len(svc.Spec.Ports) != 1 || itoa(svc.Spec.Ports[0].Port) != port || svc.Spec.Ports[0].TargetPort.String() != "http-metrics" || svc.Spec.Ports[0].Name != "http-metrics" {
		t.Errorf("service ports %v, want http-metrics %s", svc.Spec.Ports, port)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name {
		t.Errorf("ServiceMonitor endpoints %v, want port %s", sm.Spec.Endpoints, svc.Spec.Ports[0].Name)
	}
	if p := sm.Spec.Endpoints[0].Path; p != "" && p != "/metrics" {
		t.Errorf("ServiceMonitor path %s", p)
	}

	// The selectors.
	podLabels := labels.Set(ds.Spec.Template.Labels)
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || !sel.Matches(podLabels) {
		t.Errorf("the DaemonSet's selector does not select its pods: %v", err)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || len(svc.Spec.Selector) == 0 {
		t.Error("the Service does not select the pods")
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service clusterIP %q, want None (one endpoint per node)", svc.Spec.ClusterIP)
	}
	smSel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil || smSel.Empty() || !smSel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("the ServiceMonitor does not select the Service: %v", err)
	}
	if sm.Spec.NamespaceSelector != nil || sm.Namespace != svc.Namespace {
		t.Errorf("the ServiceMonitor looks in %v/%s, the Service is in %s", sm.Spec.NamespaceSelector, sm.Namespace, svc.Namespace)
	}
	if job := svc.Labels[sm.Spec.JobLabel]; job != "mihari" {
		t.Errorf("job label %q from the Service's %q, want mihari (what mihari stores as job)", job, sm.Spec.JobLabel)
	}
	relabelled := map[string]string{}
	for _, r := range sm.Spec.Endpoints[0].Relabelings {
		if len(r.SourceLabels) == 1 {
			relabelled[r.TargetLabel] = r.SourceLabels[0]
		}
	}
	if relabelled["instance"] != "__meta_kubernetes_pod_node_name" {
		t.Errorf("instance is not the node's name: %v", relabelled)
	}

	// The node's name is the instance mihari stores; NODE_IP turns the
	// kubelet on.
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			env[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	if env["NODE_NAME"] != "spec.nodeName" || env["NODE_IP"] != "status.hostIP" {
		t.Errorf("env %v: want NODE_NAME from spec.nodeName and NODE_IP from status.hostIP", env)
	}
	if c.Args[slices.IndexFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--instance=") })] != "--instance=$(NODE_NAME)" {
		t.Error("--instance is not $(NODE_NAME)")
	}
	if u := f["kubelet.url"]; len(u) != 0 && u[0] != "auto" {
		t.Errorf("--kubelet.url %q: the DaemonSet relies on auto (https://$NODE_IP:10250, IPv6 included)", u)
	}

	// Namespaces and names.
	for _, o := range m.objects {
		meta, err := metaOf(o.obj)
		if err != nil {
			t.Fatal(err)
		}
		_, cluster := o.obj.(*rbacv1.ClusterRole)
		_, binding := o.obj.(*rbacv1.ClusterRoleBinding)
		_, isNS := o.obj.(*corev1.Namespace)
		if scoped := !cluster && !binding && !isNS; scoped && meta.GetNamespace() != m.base.Namespace {
			t.Errorf("%s %s in namespace %q, the kustomization's is %q", o.file, meta.GetName(), meta.GetNamespace(), m.base.Namespace)
		}
	}
	if ns.Name != m.base.Namespace || ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("namespace %s %v", ns.Name, ns.Labels)
	}
	if sm.Namespace != m.base.Namespace {
		t.Errorf("ServiceMonitor in %s", sm.Namespace)
	}
	if ds.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Errorf("the pods run as %q, the ServiceAccount is %q", ds.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}
	// The kustomization's image is the container's.
	if len(m.base.Images) != 1 || m.base.Images[0].Name != c.Image {
		t.Errorf("images %v, container image %q", m.base.Images, c.Image)
	}
}

// RBAC: the service account may get nodes/pods and nothing else; the
// legacy component adds get on nodes/proxy and nothing else.
func TestRBAC(t *testing.T) {
	m := load(t)
	sa := one[*corev1.ServiceAccount](t, m.objects)
	check := func(objs []object, resource string) {
		t.Helper()
		role := one[*rbacv1.ClusterRole](t, objs)
		binding := one[*rbacv1.ClusterRoleBinding](t, objs)
		if len(role.Rules) != 1 {
			t.Fatalf("%s: %d rules", role.Name, len(role.Rules))
		}
		r := role.Rules[0]
		if !slices.Equal(r.APIGroups, []string{""}) || !slices.Equal(r.Resources, []string{resource}) || !slices.Equal(r.Verbs, []string{"get"}) ||
			len(r.ResourceNames) != 0 || len(r.NonResourceURLs) != 0 {
			t.Errorf("%s: rule %+v, want get on %s only", role.Name, r, resource)
		}
		if binding.RoleRef.Kind != "ClusterRole" || binding.RoleRef.Name != role.Name || binding.RoleRef.APIGroup != rbacv1.GroupName {
			t.Errorf("%s: roleRef %+v", binding.Name, binding.RoleRef)
		}
		if len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" || binding.Subjects[0].Name != sa.Name || binding.Subjects[0].Namespace != sa.Namespace {
			t.Errorf("%s: subjects %+v, want the ServiceAccount %s/%s", binding.Name, binding.Subjects, sa.Namespace, sa.Name)
		}
	}
	check(m.objects, "nodes/pods")
	check(m.components["kubelet-nodes-proxy"], "nodes/proxy")
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func metaOf(o runtime.Object) (metav1.Object, error) {
	if m, ok := o.(metav1.Object); ok {
		return m, nil
	}
	return nil, errors.New("no metadata")
}
