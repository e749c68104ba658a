// Package testenv decides what a test may skip. Locally, a test that needs
// root or a program that is not installed skips with a message that says
// how to run it; in CI (CI=true) the same test fails instead, because CI
// runs as root after `make test` has installed everything.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// skip skips locally and fails in CI.
func skip(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s (CI=true: this test must run here)", msg)
	}
	t.Skip(msg)
}

// Skip skips locally and fails in CI, for a test that cannot run on this
// machine as it is (a kernel setting, a missing mount, a port taken).
func Skip(t testing.TB, msg string) {
	t.Helper()
	skip(t, msg)
}

// RequireRoot skips unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "needs root: run `sudo make test`, or set CI=true as root")
	}
}

// RequireProgram returns the path of a program the test runs against, or
// skips when it is missing; pkg names the Debian package `make test`
// installs it from.
func RequireProgram(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		skip(t, name+" not installed: run `make test-deps` (Debian package "+pkg+")")
	}
	return p
}
