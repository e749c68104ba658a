package profile

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mihari-dev/mihari/test/testenv"
)

// symbolAddr is the address of a function in an ELF file's symbol table.
func symbolAddr(t *testing.T, path, name string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("%s has no symbol %s", path, name)
	return 0
}

func build(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", append(append([]string{"build", "-o", out}, args...), "github.com/mihari-dev/mihari/test/workload")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// A Go binary is named from its pclntab, stripped or not, and carries a
// build ID: the GNU one its linker writes (Go 1.24 and later), else its Go
// build ID.
func TestObjGo(t *testing.T) {
	dir := t.TempDir()
	full := build(t, dir, "full")
	stripped := build(t, dir, "stripped", "-ldflags=-s -w")
	addr := symbolAddr(t, full, "main.spinUserFunction")
	buildID := regexp.MustCompile(`^([0-9a-f]{40}|[\w-]+/[\w-]+/[\w-]+/[\w-]+)$`)
	for _, bin := range []string{full, stripped} {
		o, err := openObj(bin)
		if err != nil {
			t.Fatal(err)
		}
		if o.goTab == nil {
			t.Fatalf("%s: no Go table", bin)
		}
		if !buildID.MatchString(o.buildID) {
			t.Errorf("%s: build ID %q, want a GNU or Go build ID", bin, o.buildID)
		}
		// The function's entry and an address inside it.
		for _, a := range []uint64{addr, addr + 4} {
			f, ok := o.lookup(a)
			if !ok || f.fn != "main.spinUserFunction" || !strings.HasSuffix(f.file, "test/workload/main.go") || f.line == 0 {
				t.Errorf("%s: lookup(%#x) = %+v, %v; want main.spinUserFunction in main.go", filepath.Base(bin), a, f, ok)
			}
		}
		// A Go binary is not position-independent: addresses are file
		// offsets plus the text segment's base.
		if va, ok := o.vaddr(addr - 0x400000); !ok || va != addr {
			t.Errorf("%s: vaddr(%#x) = %#x, %v; want %#x", filepath.Base(bin), addr-0x400000, va, ok, addr)
		}
	}
	if o, _ := openObj(stripped); len(o.syms) != 0 {
		t.Errorf("the stripped binary has %d ELF symbols; the test needs none", len(o.syms))
	}
}

// A C program (position-independent, as gcc builds by default) is named
// from .symtab, through its load segments, and carries its GNU build ID.
func TestObjC(t *testing.T) {
	gcc := testenv.RequireProgram(t, "gcc", "gcc")
	bin := filepath.Join(t.TempDir(), "cspin")
	src := filepath.Join("..", "..", "test", "e2e", "testdata", "spin.c")
	if b, err := exec.Command(gcc, "-O0", "-fno-omit-frame-pointer", "-Wl,--build-id", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, b)
	}
	o, err := openObj(bin)
	if err != nil {
		t.Fatal(err)
	}
	if o.goTab != nil {
		t.Error("a C program with a Go table")
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(o.buildID) {
		t.Errorf("build ID %q, want 40 hex digits", o.buildID)
	}
	addr := symbolAddr(t, bin, "spin_in_c_function")
	for _, tc := range []struct {
		addr uint64
		want string
	}{
		{addr, "spin_in_c_function"},
		{addr + 8, "spin_in_c_function"},
		{symbolAddr(t, bin, "main"), "main"},
	} {
		if f, ok := o.lookup(tc.addr); !ok || f.fn != tc.want {
			t.Errorf("lookup(%#x) = %+v, %v; want %s", tc.addr, f, ok, tc.want)
		}
	}
	if _, ok := o.lookup(1); ok {
		t.Error("an address before every symbol was named")
	}
}
