package procfs

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// KernelSymbol is one line of /proc/kallsyms: a symbol of the running
// kernel, of a module, or of code the kernel made at run time (BPF
// programs, ftrace trampolines).
type KernelSymbol struct {
	// Addr is the symbol's address, 0 when kptr_restrict hides it from the reader.
	Addr uint64
	// Type is nm(1)'s symbol type: 'T' or 't' for text (code), 'W' or 'w' for weak, 'D' for data, ...
	Type byte
	// Name is the symbol's name, e.g. "vfs_read".
	Name string
	// Module is "" for the kernel itself, else the module without brackets, e.g. "ext4" or "bpf".
	Module string
}

// ParseKallsyms parses /proc/kallsyms, "address type name" a line with a
// tab and "[module]" after the symbols of modules, BPF programs and other
// code made at run time. It is lenient: blank lines are skipped silently, a
// malformed line is skipped and reported in the error, and the good lines
// are returned in file order whatever the error.
//
// Names and modules are substrings of one copy of b, so keeping one keeps
// the whole copy alive: some 5 MB for a kernel's 120,000 symbols.
func ParseKallsyms(b []byte) ([]KernelSymbol, error) {
	return kerneltext.ParseLines(b, "0 T x", parseKallsymsLine)
}

// parseKallsymsLine parses "address type name" and an optional "[module]".
func parseKallsymsLine(line string) (KernelSymbol, error) {
	addr, rest := kerneltext.NextField(line)
	typ, rest := kerneltext.NextField(rest)
	name, rest := kerneltext.NextField(rest)
	if name == "" {
		have := 1
		if typ != "" {
			have = 2
		}
		return KernelSymbol{}, fmt.Errorf("want address, type and name, have %d fields", have)
	}
	a, err := strconv.ParseUint(addr, 16, 64)
	if err != nil {
		return KernelSymbol{}, fmt.Errorf("address: %w", err)
	}
	if len(typ) != 1 {
		return KernelSymbol{}, fmt.Errorf("type %q: want one letter", typ)
	}
	sym := KernelSymbol{Addr: a, Type: typ[0], Name: name}
	mod, rest := kerneltext.NextField(rest)
	if mod == "" {
		return sym, nil
	}
	if len(mod) < 3 || mod[0] != '[' || mod[len(mod)-1] != ']' {
		return KernelSymbol{}, fmt.Errorf("module %q: want [name]", mod)
	}
	if extra, _ := kerneltext.NextField(rest); extra != "" {
		return KernelSymbol{}, fmt.Errorf("%q after the module", extra)
	}
	sym.Module = mod[1 : len(mod)-1]
	return sym, nil
}

// maxSymbolSize bounds how far past a symbol's address Lookup looks for
// it. No kernel function comes near 1 MiB; an address further than that
// past the last symbol before it is in a gap (between modules, between
// the kernel's text and the modules' area) or past the last symbol of
// the table, in nothing the table knows.
const maxSymbolSize = 1 << 20

// Kallsyms is a sorted table of the kernel's text symbols for looking up
// addresses.
type Kallsyms struct {
	// syms is sorted by address, and the symbols at one address by
	// preference, the one Lookup returns first.
	syms   []KernelSymbol
	hidden bool
}

// NewKallsyms keeps the text symbols (types T, t, W, w) with a non-zero
// address, sorted by address. syms is left as it is.
func NewKallsyms(syms []KernelSymbol) *Kallsyms {
	k := &Kallsyms{hidden: len(syms) > 0}
	n := 0
	for _, s := range syms {
		if s.Addr != 0 {
			k.hidden = false
			if isText(s.Type) {
				n++
			}
		}
	}
	k.syms = make([]KernelSymbol, 0, n)
	for _, s := range syms {
		if s.Addr != 0 && isText(s.Type) {
			k.syms = append(k.syms, s)
		}
	}
	// The kernel's own symbols come sorted, but those of modules and BPF
	// programs follow them in load order.
	if !slices.IsSortedFunc(k.syms, compareSymbols) {
		slices.SortStableFunc(k.syms, compareSymbols)
	}
	return k
}

// isText reports whether a symbol of type t is code that a sample can
// be in.
func isText(t byte) bool {
	return t == 'T' || t == 't' || t == 'W' || t == 'w'
}

// compareSymbols orders symbols by address, then the aliases at one address
// by preference, so that Lookup names code rather than the section markers
// that share its address: fewest leading underscores first (not counting
// the __pfx_ or __cfi_ that names the padding before a function), then
// global text, local text, weak, and the end markers last. So
// srso_alias_untrain_ret comes before _stext, _text and __pi__text, and
// __pfx_run_init_process before __split_text_start and
// __unlikely_text_start.
func compareSymbols(a, b KernelSymbol) int {
	if c := cmp.Compare(a.Addr, b.Addr); c != 0 {
		return c
	}
	if ea, eb := isEndMarker(a), isEndMarker(b); ea != eb {
		if ea {
			return 1
		}
		return -1
	}
	return cmp.Or(
		cmp.Compare(leadingUnderscores(a.Name), leadingUnderscores(b.Name)),
		cmp.Compare(typeRank(a.Type), typeRank(b.Type)),
	)
}

// typeRank orders the text types: global, local, weak.
func typeRank(t byte) int {
	return strings.IndexByte("TtWw", t)
}

// isEndMarker reports whether s marks the end of the kernel's text
// (_etext) or of its init text (_einittext): no code starts there, and
// what follows up to the next symbol is not code.
func isEndMarker(s KernelSymbol) bool {
	return s.Module == "" && (s.Name == "_etext" || s.Name == "_einittext")
}

// leadingUnderscores counts the underscores name starts with, after the
// __pfx_ or __cfi_ of a function's padding.
func leadingUnderscores(name string) int {
	for _, p := range [...]string{"__pfx_", "__cfi_"} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			name = rest
			break
		}
	}
	n := 0
	for n < len(name) && name[n] == '_' {
		n++
	}
	return n
}

// Hidden reports whether every address NewKallsyms got was zero, and there
// was at least one: the kernel hid the addresses from whoever opened
// /proc/kallsyms, and the table is empty. It does so when
// kernel.kptr_restrict=2; when kernel.kptr_restrict=1 and the opener lacks
// CAP_SYSLOG; and, for the same opener, when kernel.kptr_restrict=0 but
// kernel.perf_event_paranoid is above 1, as it is by default. Root sees
// the addresses unless kptr_restrict is 2.
func (k *Kallsyms) Hidden() bool { return k.hidden }

// Len returns the number of symbols in the table.
func (k *Kallsyms) Len() int { return len(k.syms) }

// Lookup returns the symbol that contains addr (the last one at or before
// it) and addr's offset in it. Of several symbols at one address it returns
// the preferred one: the fewest leading underscores, then global, local,
// weak; so code rather than a section marker such as _stext. ok is false
// when addr is before the first symbol; at or past _etext, which ends the
// kernel's text, or _einittext, which ends its init text, and before the
// next symbol; or 1 MiB or more past the last symbol before it, which is
// how far the last symbol of the table, or of a module, is taken to reach.
func (k *Kallsyms) Lookup(addr uint64) (sym KernelSymbol, off uint64, ok bool) {
	// i is the first symbol past addr, so syms[i-1] is the last at or
	// before it and first is the first one at its address.
	i := sort.Search(len(k.syms), func(i int) bool { return k.syms[i].Addr > addr })
	if i == 0 {
		return KernelSymbol{}, 0, false
	}
	at := k.syms[i-1].Addr
	first := sort.Search(i, func(i int) bool { return k.syms[i].Addr >= at })
	sym, off = k.syms[first], addr-at
	if isEndMarker(sym) || off >= maxSymbolSize {
		return KernelSymbol{}, 0, false
	}
	return sym, off, true
}
