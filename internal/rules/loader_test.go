package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	promrules "github.com/prometheus/prometheus/rules"
)

func TestLoaderDefaults(t *testing.T) {
	rgs, errs := Loader{}.Load(DefaultsName, false, model.UTF8Validation)
	if len(errs) > 0 {
		t.Fatalf("Load(%q): %v", DefaultsName, errs)
	}
	var have []string
	for _, g := range rgs.Groups {
		for _, r := range g.Rules {
			have = append(have, g.Name+"/"+r.Alert+r.Record)
		}
	}
	want := []string{
		"mihari-host/HostCPUUsageHigh",
		"mihari-host/HostSystemCPUHigh",
		"mihari-host/ProcessGroupSystemCPUHigh",
		"mihari-host/FilesystemWillFill",
		"mihari-host/MemoryPressure",
		"mihari-host/LoadAboveCores",
		"mihari-self/MonitoringSourceSlow",
		"mihari-self/MonitoringSourceCostly",
		"mihari-self/MihariCPUHigh",
	}
	if !slices.Equal(have, want) {
		t.Errorf("rules\nhave %q\nwant %q", have, want)
	}
}

func TestLoaderFileErrors(t *testing.T) {
	_, errs := Loader{}.Load("testdata/check/bad_expr.yml", false, model.UTF8Validation)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), `testdata/check/bad_expr.yml: 5:15: group "example", rule 1, "Broken": could not parse expression`) {
		t.Errorf("errors %v", errs)
	}
	_, errs = Loader{}.Load("testdata/check/unknown_field.yml", true, model.UTF8Validation)
	if len(errs) != 0 {
		t.Errorf("ignoreUnknownFields: errors %v", errs)
	}
}

func TestLoaderParse(t *testing.T) {
	expr, err := Loader{}.Parse(`sum by (job) (rate(x[5m]))`)
	if err != nil || expr.String() != `sum by (job) (rate(x[5m]))` {
		t.Errorf("Parse: %v, %v", expr, err)
	}
	if _, err := (Loader{}).Parse(`sum(`); err == nil {
		t.Error("Parse(`sum(`): no error")
	}
}

// The Loader is what the rules.Manager of mihari serve uses: the defaults
// by name beside files from disk.
func TestLoaderInManager(t *testing.T) {
	m := promrules.NewManager(&promrules.ManagerOptions{GroupLoader: Loader{}})
	groups, errs := m.LoadGroups(time.Minute, labels.EmptyLabels(), "", nil, false, DefaultsName, "testdata/check/good.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for key, rules := range map[string]int{
		promrules.GroupKey(DefaultsName, "mihari-host"):          6,
		promrules.GroupKey(DefaultsName, "mihari-self"):          3,
		promrules.GroupKey("testdata/check/good.yml", "example"): 2,
	} {
		g, ok := groups[key]
		if !ok {
			t.Errorf("no group %s", key)
			continue
		}
		if n := len(g.Rules()); n != rules {
			t.Errorf("group %s: %d rules, want %d", key, n, rules)
		}
	}
	if g := groups[promrules.GroupKey("testdata/check/good.yml", "example")]; g != nil && g.Interval() != 30*time.Second {
		t.Errorf("group interval %v, want the file's 30s", g.Interval())
	}
	err := m.Update(time.Minute, []string{DefaultsName, "testdata/check/bad_expr.yml"}, labels.EmptyLabels(), "", nil)
	if err == nil {
		t.Error("Update with a bad file: no error")
	}
}

func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.yml", "a.yml", "c.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("groups: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(name string) string { return filepath.Join(dir, name) }

	have, err := ExpandFiles([]string{j("*.yml"), j("a.yml"), j("c.yaml")})
	want := []string{j("a.yml"), j("b.yml"), j("c.yaml")}
	if err != nil || !slices.Equal(have, want) {
		t.Errorf("ExpandFiles: %q, %v; want %q", have, err, want)
	}

	// A copy of the defaults in the working directory is that file, not
	// the embedded pack Loader serves for DefaultsName.
	t.Chdir(dir)
	if err := os.WriteFile(DefaultsName, []byte("groups: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	have, err = ExpandFiles([]string{"mihari-*.yml"})
	if want := []string{"./" + DefaultsName}; err != nil || !slices.Equal(have, want) {
		t.Errorf("ExpandFiles: %q, %v; want %q", have, err, want)
	}
	if rgs, errs := (Loader{}).Load(have[0], false, model.UTF8Validation); len(errs) > 0 || len(rgs.Groups) != 0 {
		t.Errorf("Load(%q): %v, %v; want the empty file", have[0], rgs, errs)
	}

	_, err = ExpandFiles([]string{j("*.yml"), j("*.json")})
	if !errors.Is(err, ErrNoMatch) || err.Error() != `rule files "`+j("*.json")+`": pattern matches no file` {
		t.Errorf("pattern without match: %v", err)
	}
	_, err = ExpandFiles([]string{j("d.yml")})
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != `rule file "`+j("d.yml")+`": file does not exist` {
		t.Errorf("missing file: %v", err)
	}
	_, err = ExpandFiles([]string{j("[")})
	if !errors.Is(err, filepath.ErrBadPattern) {
		t.Errorf("bad pattern: %v", err)
	}
	if have, err := ExpandFiles(nil); err != nil || len(have) != 0 {
		t.Errorf("ExpandFiles(nil): %q, %v", have, err)
	}
}
