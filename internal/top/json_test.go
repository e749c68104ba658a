package top

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTopWriteJSON(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, compute(), View{Sort: SortIO}, 2); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want one line, have %q", out)
	}
	var have map[string]any
	if err := json.Unmarshal([]byte(out), &have); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"time": "2026-11-25T16:39:32Z", "interval_seconds": 2.0, "sort": "io", "filter": "",
		"host": map[string]any{
			"cpu":  map[string]any{"user": 20.0, "nice": 0.0, "system": 10.0, "idle": 68.0, "iowait": 1.0, "irq": 0.5, "softirq": 0.3, "steal": 0.2},
			"cpus": 4.0, "load1": 0.52, "load5": 0.48, "load15": 0.4,
			"memory":    map[string]any{"total": float64(16 << 30), "available": float64(12 << 30), "used": float64(4 << 30)},
			"processes": 6.0, "running": 2.0,
		},
		"monitoring": map[string]any{
			"self_pid": 400.0, "self_cpu_percent": 0.6, "sources_cpu_seconds_per_second": 0.000385,
			"costliest_source": "/proc/[pid]/status", "costliest_cpu_seconds_per_second": 0.00021, "costliest_reads": 1312.0,
			"other_mihari": []any{map[string]any{"pid": 401.0, "cpu_percent": 1.0}},
		},
		"processes": []any{
			map[string]any{"pid": 100.0, "user": "postgres", "uid": 999.0, "cpu_percent": 75.0, "user_percent": 50.0, "system_percent": 25.0,
				"rss_bytes": float64(100 << 20), "read_bytes_per_second": float64(2 << 20), "write_bytes_per_second": 4096.0,
				"threads": 1.0, "state": "S", "container": "postgresql.service", "cgroup": "/system.slice/postgresql.service", "comm": "postgres"},
			map[string]any{"pid": 300.0, "user": "1000", "uid": 1000.0, "cpu_percent": 15.0, "user_percent": 10.0, "system_percent": 5.0,
				"rss_bytes": 4096.0, "read_bytes_per_second": 4096.0, "write_bytes_per_second": 0.0,
				"threads": 1.0, "state": "R", "container": "4f1c5a0e8d2b",
				"cgroup": "/kubepods/burstable/pod0f0e1d2c-3b4a-5968-7788-99aabbccddee/" + containerID, "comm": "new"},
		},
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("JSON (-want +have):\n%s", diff)
	}
}

// Unknown I/O is null, not 0.
func TestTopWriteJSONUnknownIO(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, compute(), View{Filter: "kubelet"}, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"read_bytes_per_second":null,"write_bytes_per_second":null`) {
		t.Errorf("kubelet's I/O is not null: %s", b.String())
	}
}

// The shape in the help has the keys of the real thing.
func TestTopJSONShapeDocumented(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, compute(), View{}, 1); err != nil {
		t.Fatal(err)
	}
	var have, doc map[string]any
	if err := json.Unmarshal([]byte(b.String()), &have); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(JSONShape), &doc); err != nil {
		t.Fatalf("JSONShape is not JSON: %v", err)
	}
	if diff := cmp.Diff(keys(doc, ""), keys(have, "")); diff != "" {
		t.Errorf("keys (-documented +written):\n%s", diff)
	}
}

// keys lists the paths of the keys in v, the first element of a list
// standing for all.
func keys(v any, prefix string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, prefix+k)
			out = append(out, keys(v[k], prefix+k+".")...)
		}
	case []any:
		if len(v) > 0 {
			out = append(out, keys(v[0], prefix+"[].")...)
		}
	}
	return out
}
