package rules

import (
	"bytes"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		files []string
		ok    bool
		want  string
	}{
		{[]string{"testdata/check/good.yml", "defaults"}, true, `Checking testdata/check/good.yml
  SUCCESS: 2 rules found
Checking mihari-defaults.yml (built in)
  SUCCESS: 9 rules found
`},
		{[]string{"testdata/check/bad_expr.yml"}, false, `Checking testdata/check/bad_expr.yml
  FAILED:
    testdata/check/bad_expr.yml: 5:15: group "example", rule 1, "Broken": could not parse expression: 1:13: parse error: unexpected "(" in grouping opts, expected "," or ")"
`},
		{[]string{"testdata/check/dup_group.yml"}, false, `Checking testdata/check/dup_group.yml
  FAILED:
    testdata/check/dup_group.yml: 0:0: groupname: "example" is repeated in the same file
`},
		{[]string{"testdata/check/recording_for.yml"}, false, `Checking testdata/check/recording_for.yml
  FAILED:
    testdata/check/recording_for.yml: 4:17: group "example", rule 1, "job:up:sum": invalid field 'for' in recording rule
    testdata/check/recording_for.yml: 7:17: group "example", rule 2, "job:up:max": invalid field 'keep_firing_for' in recording rule
`},
		{[]string{"testdata/check/bad_template.yml"}, false, `Checking testdata/check/bad_template.yml
  FAILED:
    testdata/check/bad_template.yml: group "example", rule 1, "JobDown": annotation "summary": template: __alert_JobDown:1: function "is" not defined
`},
		{[]string{"testdata/check/unknown_field.yml"}, false, `Checking testdata/check/unknown_field.yml
  FAILED:
    testdata/check/unknown_field.yml: yaml: unmarshal errors:
      line 6: field fro not found in type rulefmt.Rule
`},
		{[]string{"testdata/check/nosuch.yml", "testdata/check/good.yml"}, false, `Checking testdata/check/nosuch.yml
  FAILED:
    testdata/check/nosuch.yml: open testdata/check/nosuch.yml: no such file or directory
Checking testdata/check/good.yml
  SUCCESS: 2 rules found
`},
	} {
		var out bytes.Buffer
		ok := Check(&out, tc.files...)
		if ok != tc.ok || out.String() != tc.want {
			t.Errorf("Check(%q) = %v, output:\n%s\nwant %v, output:\n%s", tc.files, ok, out.String(), tc.ok, tc.want)
		}
	}
}
