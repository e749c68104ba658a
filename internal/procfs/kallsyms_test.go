package procfs

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mihari-dev/mihari/test/testenv"
)

// readKallsymsFixture returns testdata/kallsyms/name; see its README.md.
func readKallsymsFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "kallsyms", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Addresses of the excerpt fixture.
const (
	addrFirst       = 0xffffffff81000000 // srso_alias_untrain_ret, _stext, _text, __pi__text
	addrVfsRead     = 0xffffffff816d86b0
	addrEtext       = 0xffffffff82269a88
	addrSinittext   = 0xffffffff8377c000 // also __pfx_set_reset_devices
	addrEinittext   = 0xffffffff837f26a0
	addrFtraceTramp = 0xffffffffc0201000
	addrBPF99       = 0xffffffffc00237e8
	addrBPF100      = 0xffffffffc00273dc
)

func TestParseKallsyms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []KernelSymbol
		wantErr string
	}{{
		name: "kernel and module symbols, blank line",
		in: "ffffffff81000000 T _text\nffffffff81000010 t __pfx_x\n\n" +
			"ffffffffc0a01000 t ext4_fill_super\t[ext4]\n" +
			"ffffffffc00237e8 t bpf_prog_c075e30696e36a4e_99\t[bpf]\n",
		want: []KernelSymbol{
			{Addr: 0xffffffff81000000, Type: 'T', Name: "_text"},
			{Addr: 0xffffffff81000010, Type: 't', Name: "__pfx_x"},
			{Addr: 0xffffffffc0a01000, Type: 't', Name: "ext4_fill_super", Module: "ext4"},
			{Addr: 0xffffffffc00237e8, Type: 't', Name: "bpf_prog_c075e30696e36a4e_99", Module: "bpf"},
		},
	}, {
		name: "hidden addresses, 32-bit addresses, no final newline",
		in:   "0000000000000000 T _text\n0000000000000000 d x\t[m]\nc1000000 W y",
		want: []KernelSymbol{
			{Type: 'T', Name: "_text"},
			{Type: 'd', Name: "x", Module: "m"},
			{Addr: 0xc1000000, Type: 'W', Name: "y"},
		},
	}, {
		name: "empty",
		in:   "",
		want: []KernelSymbol{},
	}, {
		name: "bad lines among good ones",
		in: "ffffffff81000000 T _text\n" +
			"ffffffff81000000 T\n" +
			"zzzzffff81000000 T x\n" +
			"ffffffff81000010 TT x\n" +
			"ffffffff81000020 t x [m\n" +
			"ffffffff81000030 t y\n",
		want: []KernelSymbol{
			{Addr: 0xffffffff81000000, Type: 'T', Name: "_text"},
			{Addr: 0xffffffff81000030, Type: 't', Name: "y"},
		},
		wantErr: `4 malformed lines, the first: line 2 "ffffffff81000000 T": want address, type and name, have 2 fields`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, err := ParseKallsyms([]byte(tt.in))
			if have, want := errString(err), tt.wantErr; have != want {
				t.Errorf("error: have %q, want %q", have, want)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseKallsyms() mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

func TestParseKallsymsBadLineErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"ffffffff81000000", `line 1 "ffffffff81000000": want address, type and name, have 1 fields`},
		{"ffffffff81000000 T", `line 1 "ffffffff81000000 T": want address, type and name, have 2 fields`},
		{"0xffffffff8100000 T x", `line 1 "0xffffffff8100000 T x": address: strconv.ParseUint: parsing "0xffffffff8100000": invalid syntax`},
		{"1ffffffff81000000 T x", `line 1 "1ffffffff81000000 T x": address: strconv.ParseUint: parsing "1ffffffff81000000": value out of range`},
		{"ffffffff81000000 Tt x", `line 1 "ffffffff81000000 Tt x": type "Tt": want one letter`},
		{"ffffffff81000000 t x ext4", `line 1 "ffffffff81000000 t x ext4": module "ext4": want [name]`},
		{"ffffffff81000000 t x []", `line 1 "ffffffff81000000 t x []": module "[]": want [name]`},
		{"ffffffff81000000 t x\t[ext4] y", `line 1 "ffffffff81000000 t x\t[ext4] y": "y" after the module`},
	}
	for _, tt := range tests {
		_, err := ParseKallsyms([]byte(tt.in))
		if have := errString(err); have != tt.wantErr {
			t.Errorf("ParseKallsyms(%q) error: have %q, want %q", tt.in, have, tt.wantErr)
		}
	}
}

func TestParseKallsymsFixtures(t *testing.T) {
	for _, name := range []string{"excerpt", "hidden"} {
		t.Run(name, func(t *testing.T) {
			syms, err := ParseKallsyms(readKallsymsFixture(t, name))
			if err != nil {
				t.Errorf("error: have %v, want nil", err)
			}
			if have, want := len(syms), 3170; have != want {
				t.Fatalf("have %d symbols, want %d", have, want)
			}
			types := map[byte]int{}
			modules := map[string]int{}
			var zero int
			for _, s := range syms {
				types[s.Type]++
				modules[s.Module]++
				if s.Addr == 0 {
					zero++
				}
			}
			wantTypes := map[byte]int{'T': 390, 't': 2731, 'W': 2, 'D': 29, 'R': 17, 'B': 1}
			if diff := cmp.Diff(wantTypes, types); diff != "" {
				t.Errorf("types mismatch (-want +have):\n%s", diff)
			}
			wantModules := map[string]int{"": 3166, "__builtin__ftrace": 1, "bpf": 3}
			if diff := cmp.Diff(wantModules, modules); diff != "" {
				t.Errorf("modules mismatch (-want +have):\n%s", diff)
			}
			wantZero := 0
			if name == "hidden" {
				wantZero = len(syms)
			}
			if zero != wantZero {
				t.Errorf("have %d zero addresses, want %d", zero, wantZero)
			}
			want := map[int]KernelSymbol{
				0:    {Addr: addrFirst, Type: 'T', Name: "srso_alias_untrain_ret"},
				531:  {Addr: 0xffffffff812077c0, Type: 'W', Name: "abort"},
				3015: {Addr: addrVfsRead, Type: 'T', Name: "vfs_read"},
				3087: {Addr: addrEtext, Type: 'T', Name: "_etext"},
				3088: {Addr: 0xffffffff82400000, Type: 'D', Name: "__start_rodata"},
				3166: {Addr: addrFtraceTramp, Type: 't', Name: "ftrace_trampoline", Module: "__builtin__ftrace"},
				3169: {Addr: addrBPF100, Type: 't', Name: "bpf_prog_5736f2a0499462c6_100", Module: "bpf"},
			}
			for i, w := range want {
				if name == "hidden" {
					w.Addr = 0
				}
				if diff := cmp.Diff(w, syms[i]); diff != "" {
					t.Errorf("symbol %d mismatch (-want +have):\n%s", i, diff)
				}
			}
		})
	}
}

func TestNewKallsyms(t *testing.T) {
	sym := func(addr uint64, typ byte, name string) KernelSymbol {
		return KernelSymbol{Addr: addr, Type: typ, Name: name}
	}
	tests := []struct {
		name       string
		in         []KernelSymbol
		want       []KernelSymbol
		wantHidden bool
	}{{
		name: "empty: nothing hidden",
	}, {
		name:       "every address zero: hidden",
		in:         []KernelSymbol{sym(0, 'T', "_text"), sym(0, 't', "x"), sym(0, 'D', "y")},
		wantHidden: true,
	}, {
		name: "some addresses zero: not hidden, zeros dropped",
		in:   []KernelSymbol{sym(0, 'T', "_text"), sym(0x10, 'D', "y")},
	}, {
		name: "text kept, data dropped, sorted",
		in: []KernelSymbol{
			sym(0x30, 'w', "d"), sym(0x10, 'T', "a"), sym(0x18, 'D', "data"), sym(0x18, 'r', "ro"),
			sym(0x20, 't', "b"), sym(0x28, 'W', "c"), sym(0x40, 'b', "bss"), sym(0x5, 'A', "abs"),
			sym(0x40, 'U', "u"),
		},
		want: []KernelSymbol{sym(0x10, 'T', "a"), sym(0x20, 't', "b"), sym(0x28, 'W', "c"), sym(0x30, 'w', "d")},
	}, {
		name: "aliases: fewest underscores, then T, t, W, w, end markers last",
		in: []KernelSymbol{
			sym(0x10, 'T', "_etext"), sym(0x10, 'w', "e"), sym(0x10, 'W', "d"), sym(0x10, 't', "c"),
			sym(0x10, 'T', "__b"), sym(0x10, 'T', "_a"), sym(0x10, 't', "__pfx_f"), sym(0x10, 'T', "b"),
		},
		want: []KernelSymbol{
			sym(0x10, 'T', "b"), sym(0x10, 't', "c"), sym(0x10, 't', "__pfx_f"), sym(0x10, 'W', "d"),
			sym(0x10, 'w', "e"), sym(0x10, 'T', "_a"), sym(0x10, 'T', "__b"), sym(0x10, 'T', "_etext"),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]KernelSymbol(nil), tt.in...)
			k := NewKallsyms(in)
			if diff := cmp.Diff(tt.in, in); diff != "" {
				t.Errorf("NewKallsyms changed its input (-before +after):\n%s", diff)
			}
			if have, want := k.Hidden(), tt.wantHidden; have != want {
				t.Errorf("Hidden(): have %v, want %v", have, want)
			}
			if have, want := k.Len(), len(tt.want); have != want {
				t.Errorf("Len(): have %d, want %d", have, want)
			}
			if diff := cmp.Diff(tt.want, k.syms, cmpEmptyAsNil); diff != "" {
				t.Errorf("table mismatch (-want +have):\n%s", diff)
			}
		})
	}
}

// cmpEmptyAsNil makes cmp.Diff take an empty slice for a nil one.
var cmpEmptyAsNil = cmp.FilterValues(func(a, b []KernelSymbol) bool {
	return len(a) == 0 && len(b) == 0
}, cmp.Ignore())

func TestKallsymsLookup(t *testing.T) {
	syms, err := ParseKallsyms(readKallsymsFixture(t, "excerpt"))
	if err != nil {
		t.Fatal(err)
	}
	k := NewKallsyms(syms)
	if have, want := k.Len(), 390+2731+2; have != want {
		t.Errorf("Len(): have %d, want %d", have, want)
	}
	if k.Hidden() {
		t.Error("Hidden(): have true, want false")
	}
	type found struct {
		Name, Module string
		Off          uint64
	}
	tests := []struct {
		name string
		addr uint64
		want *found // nil: not found
	}{
		{"vfs_read", addrVfsRead, &found{Name: "vfs_read"}},
		{"vfs_read+5", addrVfsRead + 5, &found{Name: "vfs_read", Off: 5}},
		{"vfs_read's last byte", 0xffffffff816d8a7f, &found{Name: "vfs_read", Off: 0x3cf}},
		{"vfs_read's padding", addrVfsRead - 1, &found{Name: "__pfx_vfs_read", Off: 0xf}},
		{"ksys_read", 0xffffffff816d94e0 + 0x40, &found{Name: "ksys_read", Off: 0x40}},
		{"seq_read_iter", 0xffffffff817184a0, &found{Name: "seq_read_iter"}},
		{"the first address: code, not _stext or _text", addrFirst, &found{Name: "srso_alias_untrain_ret"}},
		{"a weak symbol", 0xffffffff812077c0 + 2, &found{Name: "abort", Off: 2}},
		{"a local function before section markers", 0xffffffff81200000, &found{Name: "__pfx_run_init_process"}},
		{"before the first symbol", addrFirst - 1, nil},
		{"zero", 0, nil},
		{"the last byte before _etext", addrEtext - 1, &found{Name: "__SCT__tp_func_ma_write", Off: 7}},
		{"_etext", addrEtext, nil},
		{"just past _etext", addrEtext + 0x10, nil},
		{"rodata, past _etext", 0xffffffff82400000, nil},
		{"init text, code rather than _sinittext", addrSinittext + 0x14, &found{Name: "set_reset_devices", Off: 4}},
		{"init text's first padding", addrSinittext + 3, &found{Name: "__pfx_set_reset_devices", Off: 3}},
		{"the last init function", addrEinittext - 1, &found{Name: "use_tpause_delay", Off: 0x1f}},
		{"_einittext", addrEinittext, nil},
		{"past _einittext", addrEinittext + 0x100, nil},
		{"a BPF program", addrBPF99 + 0x10, &found{Name: "bpf_prog_c075e30696e36a4e_99", Module: "bpf", Off: 0x10}},
		{"the last BPF program", addrBPF100 + 0x20, &found{Name: "bpf_prog_5736f2a0499462c6_100", Module: "bpf", Off: 0x20}},
		{"1 MiB past the last BPF program", addrBPF100 + 1<<20, nil},
		{"an ftrace trampoline", addrFtraceTramp + 0x30, &found{Name: "ftrace_trampoline", Module: "__builtin__ftrace", Off: 0x30}},
		{"just under 1 MiB past the last symbol", addrFtraceTramp + 1<<20 - 1, &found{Name: "ftrace_trampoline", Module: "__builtin__ftrace", Off: 1<<20 - 1}},
		{"1 MiB past the last symbol", addrFtraceTramp + 1<<20, nil},
		{"the top of the address space", math.MaxUint64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sym, off, ok := k.Lookup(tt.addr)
			var have *found
			if ok {
				have = &found{Name: sym.Name, Module: sym.Module, Off: off}
				if sym.Addr+off != tt.addr {
					t.Errorf("Lookup(%#x): symbol at %#x + offset %#x", tt.addr, sym.Addr, off)
				}
			} else if sym != (KernelSymbol{}) || off != 0 {
				t.Errorf("Lookup(%#x) not found, but have %+v, %#x", tt.addr, sym, off)
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("Lookup(%#x) mismatch (-want +have):\n%s", tt.addr, diff)
			}
		})
	}
}

func TestKallsymsHidden(t *testing.T) {
	syms, err := ParseKallsyms(readKallsymsFixture(t, "hidden"))
	if err != nil {
		t.Fatal(err)
	}
	k := NewKallsyms(syms)
	if !k.Hidden() {
		t.Error("Hidden(): have false, want true")
	}
	if have := k.Len(); have != 0 {
		t.Errorf("Len(): have %d, want 0", have)
	}
	for _, addr := range []uint64{0, addrVfsRead, math.MaxUint64} {
		if sym, off, ok := k.Lookup(addr); ok {
			t.Errorf("Lookup(%#x): have %+v+%#x, want not found", addr, sym, off)
		}
	}
}

// TestKallsymsLive looks up vfs_read in the running kernel's table.
func TestKallsymsLive(t *testing.T) {
	testenv.RequireRoot(t)
	b, err := os.ReadFile("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	syms, err := ParseKallsyms(b)
	if err != nil {
		t.Errorf("ParseKallsyms(/proc/kallsyms): %v", err)
	}
	k := NewKallsyms(syms)
	if k.Hidden() {
		testenv.Skip(t, "/proc/kallsyms hides its addresses even from root: kernel.kptr_restrict=2")
	}
	var vfsRead uint64
	for _, s := range syms {
		if s.Name == "vfs_read" && s.Module == "" {
			vfsRead = s.Addr
		}
	}
	if vfsRead == 0 {
		t.Fatalf("no vfs_read among the %d symbols of /proc/kallsyms", len(syms))
	}
	for _, off := range []uint64{0, 5} {
		sym, haveOff, ok := k.Lookup(vfsRead + off)
		if !ok || sym.Name != "vfs_read" || haveOff != off {
			t.Errorf("Lookup(vfs_read+%d = %#x): have %+v, %d, %v; want vfs_read, %d, true", off, vfsRead+off, sym, haveOff, ok, off)
		}
	}
	t.Logf("%d symbols, %d in the table", len(syms), k.Len())
}

func FuzzParseKallsyms(f *testing.F) {
	for _, name := range []string{"excerpt", "hidden"} {
		f.Add(readKallsymsFixture(f, name), uint64(addrVfsRead))
	}
	for _, s := range []string{
		"ffffffff81000000 T _text\nffffffff81000010 T _etext\nffffffff81000010 t x\n",
		"1 t a\t[m]\n2 W b\nffffffffffffffff w c\n0 T d\n",
		"10 T _einittext\n10 T _einittext\n\n10 T",
	} {
		f.Add([]byte(s), uint64(0x10))
	}
	f.Fuzz(func(t *testing.T, b []byte, addr uint64) {
		syms, _ := ParseKallsyms(b)
		if len(syms) > lineCount(b) {
			t.Fatalf("%d symbols from %d lines", len(syms), lineCount(b))
		}
		k := NewKallsyms(syms)
		if k.Len() > len(syms) || (k.Hidden() && k.Len() != 0) {
			t.Fatalf("%d symbols in the table of %d, hidden %v", k.Len(), len(syms), k.Hidden())
		}
		for _, a := range []uint64{addr, 0, math.MaxUint64, addr - 1, addr + 1} {
			sym, off, ok := k.Lookup(a)
			if !ok {
				continue
			}
			if sym.Addr == 0 || sym.Addr+off != a || off >= maxSymbolSize || !isText(sym.Type) || isEndMarker(sym) {
				t.Fatalf("Lookup(%#x): have %+v, %#x", a, sym, off)
			}
		}
	})
}

func BenchmarkParseKallsyms(b *testing.B) {
	in := readKallsymsFixture(b, "excerpt")
	b.Run("excerpt", func(b *testing.B) { benchmarkKallsyms(b, in) })
	b.Run("live", func(b *testing.B) {
		testenv.RequireRoot(b)
		in, err := os.ReadFile("/proc/kallsyms")
		if err != nil {
			b.Fatal(err)
		}
		benchmarkKallsyms(b, in)
	})
}

// benchmarkKallsyms measures ParseKallsyms and NewKallsyms on in.
func benchmarkKallsyms(b *testing.B, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		syms, err := ParseKallsyms(in)
		if err != nil {
			b.Fatal(err)
		}
		if NewKallsyms(syms).Len() == 0 {
			b.Fatal("empty table")
		}
	}
}

func BenchmarkKallsymsLookup(b *testing.B) {
	syms, err := ParseKallsyms(readKallsymsFixture(b, "excerpt"))
	if err != nil {
		b.Fatal(err)
	}
	k := NewKallsyms(syms)
	for b.Loop() {
		if _, _, ok := k.Lookup(addrVfsRead + 5); !ok {
			b.Fatal("vfs_read not found")
		}
	}
}
