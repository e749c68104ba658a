package runner

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/internal/investigate"
)

// get asks the runner's API and returns the status, content type and body.
func get(t *testing.T, h http.Handler, method, path string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Header().Get("Content-Type"), string(b)
}

func TestAPI(t *testing.T) {
	f := newFixture(t, "wait", Options{})
	a := alert("HostSystemCPUHigh")
	f.Notify(a)
	id := f.only(t).ID
	started := f.only(t).Started

	// While it runs.
	code, ctype, body := get(t, f, "GET", APIPath+"/"+id)
	want := `{"data":{"id":"` + id + `","started":"` + started.Format(time.RFC3339Nano) + `","status":"running"},"status":"success"}` + "\n"
	if code != 200 || ctype != "application/json" || canonical(t, body) != canonical(t, want) {
		t.Errorf("running: %d %s %s\nwant %s", code, ctype, body, want)
	}
	code, ctype, body = get(t, f, "GET", APIPath+"/"+id+"?format=html")
	if code != 200 || ctype != "text/html; charset=utf-8" || !strings.Contains(body, "is <strong>running</strong>") || !strings.Contains(body, "Reload this page") {
		t.Errorf("running, HTML: %d %s\n%s", code, ctype, body)
	}
	code, ctype, body = get(t, f, "GET", APIPath+"/"+id+"?format=md")
	if code != 200 || ctype != "text/markdown; charset=utf-8" || !strings.Contains(body, "Running since") {
		t.Errorf("running, Markdown: %d %s\n%s", code, ctype, body)
	}

	os.WriteFile(f.release, nil, 0o644)
	f.wait()

	// The list.
	code, ctype, body = get(t, f, "GET", APIPath)
	var list struct {
		Status string
		Data   []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || ctype != "application/json" {
		t.Fatalf("list: %d %s %s: %v", code, ctype, body, err)
	}
	if len(list.Data) != 1 {
		t.Fatalf("list: %s", body)
	}
	item := list.Data[0]
	for _, k := range []string{"started", "finished"} {
		if _, err := time.Parse(time.RFC3339Nano, item[k].(string)); err != nil {
			t.Errorf("list: %s %v: %v", k, item[k], err)
		}
		delete(item, k)
	}
	wantItem := map[string]any{
		"id": id, "status": "done",
		"trigger":    map[string]any{"alertname": "HostSystemCPUHigh", "instance": "host1"},
		"summary":    fakeSummary("HostSystemCPUHigh"),
		"confidence": "high",
		"cause":      map[string]any{"kind": "process", "name": "fake-burner", "pid": float64(4242)},
	}
	if diff := cmp.Diff(wantItem, item); diff != "" || list.Status != "success" {
		t.Errorf("list item (-want +have):\n%s", diff)
	}

	// The report.
	code, ctype, body = get(t, f, "GET", APIPath+"/"+id)
	var rep struct {
		Status string
		Data   investigate.Report
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || code != 200 || ctype != "application/json" {
		t.Fatalf("report: %d %s %s: %v", code, ctype, body, err)
	}
	if rep.Status != "success" || rep.Data.ID != id || rep.Data.Conclusion.Summary != fakeSummary("HostSystemCPUHigh") || rep.Data.Suspects[0].Comm != "fake-burner" {
		t.Errorf("report: %s", body)
	}
	code, ctype, body = get(t, f, "GET", APIPath+"/"+id+"?format=html")
	if code != 200 || ctype != "text/html; charset=utf-8" || !strings.Contains(body, "<html") || !strings.Contains(body, fakeSummary("HostSystemCPUHigh")) {
		t.Errorf("report, HTML: %d %s\n%s", code, ctype, body)
	}
	code, ctype, body = get(t, f, "GET", APIPath+"/"+id+"?format=md")
	if code != 200 || ctype != "text/markdown; charset=utf-8" || !strings.Contains(body, fakeSummary("HostSystemCPUHigh")) {
		t.Errorf("report, Markdown: %d %s\n%s", code, ctype, body)
	}

	// Errors, in Prometheus's shape.
	for _, c := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", APIPath + "/20261203T101500Z-Nothing-0000", 404, `{"status":"error","errorType":"not_found","error":"no investigation \"20261203T101500Z-Nothing-0000\" (it may have been pruned: see --investigate.retention.*)"}`},
		{"GET", APIPath + "/..%2F..%2Fetc%2Fpasswd", 400, `{"status":"error","errorType":"bad_data","error":"invalid investigation ID \"../../etc/passwd\": IDs are letters, digits and dashes"}`},
		{"GET", APIPath + "/" + id + ".meta", 400, `{"status":"error","errorType":"bad_data","error":"invalid investigation ID \"` + id + `.meta\": IDs are letters, digits and dashes"}`},
		{"GET", APIPath + "/a/b", 400, `{"status":"error","errorType":"bad_data","error":"invalid investigation ID \"a/b\": IDs are letters, digits and dashes"}`},
		{"GET", APIPath + "/" + id + "?format=pdf", 400, `{"status":"error","errorType":"bad_data","error":"format \"pdf\": want json, html or md"}`},
		{"POST", APIPath, 405, `{"status":"error","errorType":"bad_data","error":"use GET"}`},
	} {
		code, ctype, body := get(t, f, c.method, c.path)
		if code != c.code || ctype != "application/json" || canonical(t, body) != canonical(t, c.want) {
			t.Errorf("%s %s: %d %s %s\nwant %d %s", c.method, c.path, code, ctype, body, c.code, c.want)
		}
	}
}

func TestAPIFailedRun(t *testing.T) {
	f := newFixture(t, "fail", Options{})
	f.Notify(alert("HostSystemCPUHigh"))
	f.wait()
	m := f.only(t)
	code, _, body := get(t, f, "GET", APIPath+"/"+m.ID)
	var resp struct{ Data statusData }
	if err := json.Unmarshal([]byte(body), &resp); err != nil || code != 200 {
		t.Fatalf("%d %s: %v", code, body, err)
	}
	if resp.Data.Status != StatusFailed || !strings.HasPrefix(resp.Data.Error, "mihari investigate exited with status 1") || resp.Data.Stderr == "" {
		t.Errorf("failed run: %s", body)
	}
	code, ctype, body := get(t, f, "GET", APIPath+"/"+m.ID+"?format=html")
	if code != 200 || ctype != "text/html; charset=utf-8" || !strings.Contains(body, "<strong>failed</strong>") || !strings.Contains(body, "permission denied") {
		t.Errorf("failed run, HTML: %d %s\n%s", code, ctype, body)
	}
}

func TestAPIEmpty(t *testing.T) {
	f := newFixture(t, "report", Options{})
	code, _, body := get(t, f, "GET", APIPath)
	if code != 200 || body != `{"data":[],"status":"success"}`+"\n" {
		t.Errorf("empty list: %d %s", code, body)
	}
}

// canonical is JSON with its keys sorted, to compare answers.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
