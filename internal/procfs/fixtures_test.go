package procfs

import (
	"os"
	"path/filepath"
	"testing"
)

// trees are the fixture hosts of testdata/hosts; see its README.md.
var trees = []string{"vm", "big", "malformed"}

// readFixture returns the file name (e.g. "stat", "net/dev") of tree's proc
// directory.
func readFixture(tb testing.TB, tree, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hosts", tree, "proc", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// addFixtureSeeds adds name of every fixture tree, then extra, to f's
// corpus.
func addFixtureSeeds(f *testing.F, name string, extra ...string) {
	for _, tree := range trees {
		f.Add(readFixture(f, tree, name))
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

// errString is err's message, or "" for nil, so that tables can say which
// error they want as a string.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
