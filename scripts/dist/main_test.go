package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/mihari-dev/mihari/test/testenv"
)

func TestDebVersion(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-dirty", "1.2.3+dirty"},
		{"v1.2.3-4-gabc1234", "1.2.3+git4.abc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+git4.abc1234.dirty"},
		{"v1.2.0-rc.1", "1.2.0~rc.1"},
		{"v1.2.0-rc-1", "1.2.0~rc.1"},
		{"v1.2.0-rc.1-3-g0123abcd", "1.2.0~rc.1+git3.0123abcd"},
		{"7dead69", "0.0.0~git7dead69"},
		{"7dead69-dirty", "0.0.0~git7dead69+dirty"},
		{"1234567", "0.0.0~git1234567"},
		{"devel", "0.0.0~devel"},
	} {
		got, err := debVersion(c.in)
		if err != nil || got != c.want {
			t.Errorf("debVersion(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "-", "-dirty"} {
		if v, err := debVersion(bad); err == nil {
			t.Errorf("debVersion(%q) = %q, want an error", bad, v)
		}
	}
}

// TestDebVersionOrder checks with dpkg itself that the versions sort as the
// builds do: pre-release, release, commits after it; untagged first.
func TestDebVersionOrder(t *testing.T) {
	dpkg := testenv.RequireProgram(t, "dpkg", "dpkg")
	order := []string{"7dead69", "v0.9.0", "v1.0.0-rc.1", "v1.0.0-rc.1-2-gabcdef0", "v1.0.0", "v1.0.0-dirty", "v1.0.0-1-gabcdef0", "v1.0.0-1-gabcdef0-dirty", "v1.0.1"}
	for i := 1; i < len(order); i++ {
		a, _ := debVersion(order[i-1])
		b, _ := debVersion(order[i])
		if out, err := exec.Command(dpkg, "--compare-versions", a, "lt", b).CombinedOutput(); err != nil {
			t.Errorf("%s (%s) does not sort before %s (%s): %v %s", a, order[i-1], b, order[i], err, strings.TrimSpace(string(out)))
		}
	}
}
