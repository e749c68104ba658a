package rules

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestTestPasses(t *testing.T) {
	var out bytes.Buffer
	ok := Test(&out, "testdata/unit/pass_test.yml", "testdata/unit/tolerance_test.yml")
	want := `Unit Testing:  testdata/unit/pass_test.yml
  SUCCESS
Unit Testing:  testdata/unit/tolerance_test.yml
  SUCCESS
`
	if !ok || out.String() != want {
		t.Errorf("Test = %v, output:\n%s\nwant true, output:\n%s", ok, out.String(), want)
	}
}

// Every kind of failure, in a golden file: go test -run TestTestFails -update
// rewrites it.
func TestTestFails(t *testing.T) {
	var out bytes.Buffer
	if Test(&out, "testdata/unit/fail_test.yml", "testdata/unit/pass_test.yml") {
		t.Error("Test passed")
	}
	const golden = "testdata/unit/fail_test.out"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("output:\n%s\nwant (%s):\n%s", out.String(), golden, want)
	}
}

func TestTestFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"missing_rules.yml", "rule_files: [nosuch.yml]\n", `rule file "` + dir + `/nosuch.yml": file does not exist`},
		{"bad_rules.yml", "rule_files: [" + mustAbs(t, "testdata/check/bad_expr.yml") + "]\n", `could not parse expression`},
		{"unknown_field.yml", "rule_file: [defaults]\n", "field rule_file not found"},
		{"bad_order.yml", "rule_files: [defaults]\ngroup_eval_order: [mihari-hots]\n", `group_eval_order: no rule group "mihari-hots" in the rule files`},
		{"bad_url.yml", "tests:\n  - external_url: \"http://[::1\"\n", `test 1, external_url "http://[::1": parse`},
		{"bad_labels.yml", "tests:\n  - promql_expr_test:\n      - {expr: up, exp_samples: [{labels: 'up{'}]}\n", `test 1, expr: "up", time: 0s: exp_samples labels "up{"`},
		{"matrix.yml", "tests:\n  - promql_expr_test:\n      - {expr: 'up[5m]'}\n", `the expression is a matrix; want an instant vector or a scalar`},
	} {
		var out bytes.Buffer
		p := write(tc.name, tc.content)
		if Test(&out, p) || !strings.Contains(out.String(), "  FAILED:\n") || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: output:\n%s\nwant FAILED and %q", tc.name, out.String(), tc.want)
		}
	}
	var out bytes.Buffer
	if Test(&out, dir+"/nosuch_test.yml") || !strings.Contains(out.String(), "no such file or directory") {
		t.Errorf("missing test file: output:\n%s", out.String())
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd + "/" + path
}

func TestAlmostEqual(t *testing.T) {
	nan := func() float64 { z := 0.0; return z / z }()
	for _, tc := range []struct {
		a, b float64
		want bool
	}{
		{1, 1, true},
		{1.0 / 3, 0.3333333333, true},
		{1.0 / 3, 0.3333, false},
		{0, 1e-300, false},
		{nan, nan, true},
		{nan, 0, false},
		{-2, 2, false},
	} {
		if have := almostEqual(tc.a, tc.b); have != tc.want {
			t.Errorf("almostEqual(%v, %v) = %v, want %v", tc.a, tc.b, have, tc.want)
		}
	}
}

// In rule_files, "defaults" is the embedded pack, and so is
// mihari-defaults.yml until a file of that name lies beside the test file.
func TestTestRuleFilesDefaults(t *testing.T) {
	dir := t.TempDir()
	const tests = `
tests:
  - alert_rule_test:
      - {eval_time: 1m, alertname: HostCPUUsageHigh, exp_alerts: []}
`
	for _, name := range []string{DefaultsArg, DefaultsName} {
		if err := os.WriteFile(dir+"/"+name+"_test.yml", []byte("rule_files: ["+name+"]\n"+tests), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if !Test(&out, dir+"/defaults_test.yml", dir+"/mihari-defaults.yml_test.yml") {
		t.Errorf("embedded pack: %s", out.String())
	}
	if err := os.WriteFile(dir+"/"+DefaultsName, []byte("groups: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if !Test(&out, dir+"/defaults_test.yml") {
		t.Errorf("defaults with a file of that name beside: %s", out.String())
	}
	out.Reset()
	if Test(&out, dir+"/mihari-defaults.yml_test.yml") || !strings.Contains(out.String(), "alertname: HostCPUUsageHigh, time: 1m: no alerting rule of that name") {
		t.Errorf("mihari-defaults.yml with a file of that name beside: %s", out.String())
	}
}

// As with promtool, a group's own interval does not matter in a test:
// every group is evaluated every evaluation_interval.
func TestTestIgnoresGroupInterval(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"rules.yml": "groups:\n  - name: slow\n    interval: 5m\n    rules:\n      - {alert: Always, expr: vector(1), for: 1m}\n",
		"interval_test.yml": "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n" +
			"  - alert_rule_test:\n      - {eval_time: 1m, alertname: Always, exp_alerts: [{}]}\n",
	}
	for name, content := range files {
		if err := os.WriteFile(dir+"/"+name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if !Test(&out, dir+"/interval_test.yml") {
		t.Errorf("%s", out.String())
	}
}
