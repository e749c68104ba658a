package procfs

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// procsDir is testdata/procs, the per-process fixtures; see its README.md.
var procsDir = filepath.Join("..", "..", "testdata", "procs")

// realPIDs are the processes captured in testdata/procs/real.
var realPIDs = []string{"1", "2", "12540", "12545"}

// readProcsFixture returns name of testdata/procs, e.g. "real/1/stat" or
// "3323/status".
func readProcsFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(procsDir, filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// procsFixturePIDs returns the process directories of testdata/procs in
// ascending order.
func procsFixturePIDs(tb testing.TB) []int {
	tb.Helper()
	entries, err := os.ReadDir(procsDir)
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// addProcsSeeds adds file of every process of testdata/procs/real, then
// extra, to f's corpus.
func addProcsSeeds(f *testing.F, file string, extra ...string) {
	for _, pid := range realPIDs {
		if b, err := os.ReadFile(filepath.Join(procsDir, "real", pid, file)); err == nil {
			f.Add(b)
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}
