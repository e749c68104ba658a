package rules

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/mihari-dev/mihari/test/testenv"
)

// Every alert of the default pack fires on the series it is for, with the
// labels and annotations it should have, and stays quiet otherwise.
func TestDefaultPack(t *testing.T) {
	var out bytes.Buffer
	if !Test(&out, "testdata/defaults_test.yml") {
		t.Errorf("%s", out.String())
	}
}

func TestCheckDefaults(t *testing.T) {
	var out bytes.Buffer
	if !Check(&out, DefaultsArg) || out.String() != "Checking mihari-defaults.yml (built in)\n  SUCCESS: 9 rules found\n" {
		t.Errorf("%s", out.String())
	}
}

// The test file runs the rules from disk, so that promtool can run it too;
// the binary has them embedded. They must be the same.
func TestDefaultsEmbedded(t *testing.T) {
	b, err := os.ReadFile("defaults.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, Defaults()) {
		t.Error("Defaults() differs from defaults.yml")
	}
}

// promtool, Prometheus's own tool, agrees: the default pack is a valid rule
// file and passes its tests.
func TestPromtoolAgrees(t *testing.T) {
	promtool := testenv.RequireProgram(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "defaults.yml"},
		{"test", "rules", "testdata/defaults_test.yml"},
		{"test", "rules", "testdata/unit/pass_test.yml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
