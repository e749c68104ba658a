package profile

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
)

// objFile is what symbolizing needs of one executable or shared library:
// its loadable segments (to turn a file offset into the address the
// symbols use), its symbol tables, and, for a Go program, its pclntab,
// which even a stripped Go binary keeps.
type objFile struct {
	buildID string
	loads   []elf.ProgHeader
	syms    []elfSym // functions of .symtab, else .dynsym, by address
	goTab   *gosym.Table
}

type elfSym struct {
	addr, size uint64
	name       string
}

// openObj reads the symbols of the ELF file at path.
func openObj(path string) (*objFile, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o := &objFile{buildID: buildID(f)}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			o.loads = append(o.loads, p.ProgHeader)
		}
	}
	syms, err := f.Symbols()
	if err != nil || len(syms) == 0 {
		syms, _ = f.DynamicSymbols()
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Name != "" {
			o.syms = append(o.syms, elfSym{addr: s.Value, size: s.Size, name: s.Name})
		}
	}
	sort.Slice(o.syms, func(i, j int) bool { return o.syms[i].addr < o.syms[j].addr })
	o.goTab = goTable(f)
	return o, nil
}

// goTable reads a Go binary's function table from .gopclntab, or nil.
func goTable(f *elf.File) *gosym.Table {
	pcln := f.Section(".gopclntab")
	text := f.Section(".text")
	if pcln == nil || text == nil {
		return nil
	}
	data, err := pcln.Data()
	if err != nil {
		return nil
	}
	// runtime.text, where Go's PCs count from, is the start of .text.
	t, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil
	}
	return t
}

// buildID is the GNU build ID as hex, else a Go build ID, else "".
func buildID(f *elf.File) string {
	for _, name := range []string{".note.gnu.build-id", ".note.go.buildid"} {
		s := f.Section(name)
		if s == nil {
			continue
		}
		b, err := s.Data()
		if err != nil || len(b) < 12 {
			continue
		}
		bo := f.ByteOrder
		namesz, descsz := bo.Uint32(b), bo.Uint32(b[4:])
		start := 12 + (uint64(namesz)+3)&^3
		if start+uint64(descsz) > uint64(len(b)) {
			continue
		}
		desc := b[start : start+uint64(descsz)]
		if name == ".note.go.buildid" {
			return string(bytes.TrimRight(desc, "\x00"))
		}
		return hex.EncodeToString(desc)
	}
	return ""
}

// vaddr turns an offset in the file into the address the symbols use.
func (o *objFile) vaddr(off uint64) (uint64, bool) {
	for _, p := range o.loads {
		if off >= p.Off && off < p.Off+p.Filesz {
			return off - p.Off + p.Vaddr, true
		}
	}
	return 0, false
}

// frame is one function of a symbolized address.
type frame struct {
	fn, file string
	line     int
}

// lookup names the function at vaddr: from the pclntab for Go code, else
// from the ELF symbols.
func (o *objFile) lookup(vaddr uint64) (frame, bool) {
	if o.goTab != nil {
		if file, line, fn := o.goTab.PCToLine(vaddr); fn != nil {
			return frame{fn: fn.Name, file: file, line: line}, true
		}
	}
	i, found := slices.BinarySearchFunc(o.syms, vaddr, func(s elfSym, a uint64) int {
		switch {
		case s.addr > a:
			return 1
		case s.addr < a:
			return -1
		}
		return 0
	})
	if !found {
		i--
	}
	if i < 0 {
		return frame{}, false
	}
	s := o.syms[i]
	if s.size != 0 && vaddr >= s.addr+s.size {
		return frame{}, false
	}
	return frame{fn: s.name}, true
}

// isKernelName tells a mapping name the kernel gave rather than a file.
func isKernelName(path string) bool {
	return strings.HasPrefix(path, "[") || strings.HasPrefix(path, "//anon")
}
