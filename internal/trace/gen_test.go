package trace

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mihari-dev/mihari/test/testenv"
)

// TestGeneratedInSync compiles the BPF programs again, as `go generate`
// does (the command is read from gen.go), into a directory of the test's,
// and requires the result to be byte for byte the committed
// trace_bpfel.go and trace_bpfel.o: an edit to the C source must come with
// its objects.
func TestGeneratedInSync(t *testing.T) {
	testenv.RequireProgram(t, "clang-19", "clang-19")
	testenv.RequireProgram(t, "llvm-strip-19", "llvm-19")
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for line := range strings.Lines(string(src)) {
		if rest, ok := strings.CutPrefix(line, "//go:generate go tool bpf2go "); ok {
			args = splitQuoted(t, strings.TrimSpace(rest))
		}
	}
	if args == nil {
		t.Fatal("gen.go has no //go:generate go tool bpf2go line")
	}
	out := t.TempDir()
	cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, args...)...)
	cmd.Env = append(os.Environ(), "GOPACKAGE=trace", "GOFILE=gen.go")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, b)
	}
	for _, name := range []string{"trace_bpfel.go", "trace_bpfel.o"} {
		have, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s is not what bpf/trace.bpf.c compiles to: run `go generate ./internal/trace` and commit the result", name)
		}
	}
}

// splitQuoted splits a go:generate line into words, as go generate does:
// at spaces, with double-quoted words kept whole.
func splitQuoted(t *testing.T, s string) []string {
	var words []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, `"`) {
			end := strings.Index(s[1:], `"`)
			if end < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			words = append(words, s[1:end+1])
			s = s[end+2:]
			continue
		}
		w, rest, _ := strings.Cut(s, " ")
		words = append(words, w)
		s = rest
	}
	return words
}
