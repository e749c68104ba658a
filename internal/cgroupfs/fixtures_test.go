package cgroupfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// cgroupsDir is testdata/cgroups; see its README.md.
var cgroupsDir = filepath.Join("..", "..", "testdata", "cgroups")

// incidentFile is the 2,071-line blkio file of testdata/cgroups.
const incidentFile = "blkio.throttle.io_serviced.2071"

// readFixture returns name of testdata/cgroups, e.g. "real/cpu/cpu.stat".
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(cgroupsDir, filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixtureFiles returns the files of testdata/cgroups named one of names,
// by path relative to testdata/cgroups. It does not follow the cpu and
// cpuacct symbolic links, so each file is there once.
func fixtureFiles(tb testing.TB, names ...string) map[string][]byte {
	tb.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(cgroupsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !want[d.Name()] {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(cgroupsDir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// addFixtureSeeds adds the files of testdata/cgroups named name (at most
// a few dozen), then extra, to f's corpus.
func addFixtureSeeds(f *testing.F, name string, extra ...string) {
	n := 0
	for _, b := range fixtureFiles(f, name) {
		if n++; n > 40 {
			break
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// lineCount is the most records a lenient parser may return for b: one a
// line.
func lineCount(b []byte) int {
	n := 1
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
