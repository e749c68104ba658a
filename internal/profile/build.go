package profile

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/procfs"
)

// KernelMapping is the Mapping.File of the locations of kernel frames.
const KernelMapping = "[kernel]"

// builder turns the collected stacks into a pprof profile, naming frames.
type builder struct {
	p       *profile.Profile
	kernel  *procfs.Kallsyms
	kmap    *profile.Mapping
	objs    map[fileKey]*objFile // nil: could not be read
	maps    map[mapKey]*profile.Mapping
	funcs   map[frame]*profile.Function
	locs    map[locKey]*profile.Location
	missing map[string]error // files that could not be read, for a warning
}

type mapKey struct {
	pid   uint32
	start uint64
}

type locKey struct {
	m    *profile.Mapping
	addr uint64
	leaf bool
}

// build makes the profile. Frames that cannot be named keep their address
// and mapping, so that a tool with the symbols can name them later.
func (c *collector) build(elapsed time.Duration, freq int) (*profile.Profile, []string) {
	b := &builder{
		p: &profile.Profile{
			SampleType: []*profile.ValueType{
				{Type: "samples", Unit: "count"},
				{Type: "cpu", Unit: "nanoseconds"},
			},
			DefaultSampleType: "cpu",
			PeriodType:        &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
			Period:            int64(time.Second) / int64(freq),
			TimeNanos:         time.Now().Add(-elapsed).UnixNano(),
			DurationNanos:     elapsed.Nanoseconds(),
		},
		objs:    make(map[fileKey]*objFile),
		maps:    make(map[mapKey]*profile.Mapping),
		funcs:   make(map[frame]*profile.Function),
		locs:    make(map[locKey]*profile.Location),
		missing: make(map[string]error),
	}
	var warnings []string
	if w := b.loadKernel(); w != "" {
		warnings = append(warnings, w)
	}
	stacks := make([]*stack, 0, len(c.stacks))
	for _, st := range c.stacks {
		stacks = append(stacks, st)
	}
	// A stable order, so that the same samples give the same profile.
	slices.SortFunc(stacks, func(x, y *stack) int {
		return cmp.Or(cmp.Compare(x.pid, y.pid), cmp.Compare(x.tid, y.tid), slices.Compare(x.kernel, y.kernel), slices.Compare(x.user, y.user))
	})
	for _, st := range stacks {
		p := c.procs[st.pid]
		if p == nil {
			p = &proc{comm: "?"}
		}
		s := &profile.Sample{
			Value:    []int64{st.count, st.period},
			Label:    map[string][]string{"comm": {p.comm}, "space": {"user"}},
			NumLabel: map[string][]int64{"pid": {int64(st.pid)}, "tid": {int64(st.tid)}},
		}
		if len(st.kernel) > 0 {
			s.Label["space"] = []string{"kernel"}
		}
		for i, a := range st.kernel {
			s.Location = append(s.Location, b.kernelLoc(a, i == 0))
		}
		for i, a := range st.user {
			s.Location = append(s.Location, b.userLoc(st.pid, p, a, i == 0 && len(st.kernel) == 0))
		}
		b.p.Sample = append(b.p.Sample, s)
	}
	var files []string
	for f := range b.missing {
		files = append(files, f)
	}
	slices.Sort(files)
	for i, f := range files {
		if i == 3 {
			warnings = append(warnings, fmt.Sprintf("and %d more files could not be read; their frames are addresses", len(files)-3))
			break
		}
		warnings = append(warnings, fmt.Sprintf("%s: %v; its frames are addresses", f, b.missing[f]))
	}
	return b.p, warnings
}

// loadKernel reads the kernel's symbols; the warning says why kernel
// frames will not be named, if they will not.
func (b *builder) loadKernel() string {
	b.kmap = &profile.Mapping{ID: uint64(len(b.p.Mapping) + 1), File: KernelMapping, Start: 1 << 63, Limit: 1<<64 - 1, HasFunctions: true}
	b.p.Mapping = append(b.p.Mapping, b.kmap)
	data, err := readKallsyms()
	if err != nil {
		return fmt.Sprintf("reading /proc/kallsyms: %v; kernel frames are addresses", err)
	}
	syms, _ := procfs.ParseKallsyms(data) // the good lines are enough
	b.kernel = procfs.NewKallsyms(syms)
	if b.kernel.Hidden() {
		return "the kernel hides its addresses (kernel.kptr_restrict is 2, or 1 and mihari lacks CAP_SYSLOG): kernel frames are addresses; run as root with sysctl kernel.kptr_restrict=1 to name them"
	}
	return ""
}

// kernelLoc names a kernel address; a return address (not the leaf) is
// looked up one byte back, in the call instruction, as pprof does.
func (b *builder) kernelLoc(addr uint64, leaf bool) *profile.Location {
	k := locKey{b.kmap, addr, leaf}
	if l := b.locs[k]; l != nil {
		return l
	}
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Mapping: b.kmap, Address: addr}
	if b.kernel != nil && !b.kernel.Hidden() {
		if sym, _, ok := b.kernel.Lookup(lookupAddr(addr, leaf)); ok {
			name := sym.Name
			if sym.Module != "" {
				name += " [" + sym.Module + "]"
			}
			l.Line = []profile.Line{{Function: b.function(frame{fn: name})}}
		}
	}
	b.locs[k] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

// readKallsyms reads /proc/kallsyms, which says it is empty: os.ReadFile
// would grow its buffer from 512 bytes, copying megabytes many times over.
func readKallsyms() ([]byte, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, 8<<20))
	_, err = buf.ReadFrom(f)
	return buf.Bytes(), err
}

func lookupAddr(addr uint64, leaf bool) uint64 {
	if leaf || addr == 0 {
		return addr
	}
	return addr - 1
}

// userLoc names an address of process pid, through the mapping that
// holds it.
func (b *builder) userLoc(pid uint32, p *proc, addr uint64, leaf bool) *profile.Location {
	var m *procfs.MapsEntry
	for i := range p.maps {
		if addr >= p.maps[i].Start && addr < p.maps[i].End {
			m = &p.maps[i]
			break
		}
	}
	var pm *profile.Mapping
	if m != nil {
		pm = b.mapping(pid, p, m)
	}
	k := locKey{pm, addr, leaf}
	if pm == nil {
		// No mapping known: the address alone, kept apart per process.
		k.addr ^= uint64(pid) << 48
	}
	if l := b.locs[k]; l != nil {
		return l
	}
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Mapping: pm, Address: addr}
	if m != nil {
		if o := b.obj(p, m.Path); o != nil {
			if va, ok := o.vaddr(lookupAddr(addr, leaf) - m.Start + m.Offset); ok {
				if f, ok := o.lookup(va); ok {
					l.Line = []profile.Line{{Function: b.function(f), Line: int64(f.line)}}
				}
			}
		}
	}
	b.locs[k] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

func (b *builder) mapping(pid uint32, p *proc, m *procfs.MapsEntry) *profile.Mapping {
	k := mapKey{pid, m.Start}
	if pm := b.maps[k]; pm != nil {
		return pm
	}
	pm := &profile.Mapping{ID: uint64(len(b.p.Mapping) + 1), Start: m.Start, Limit: m.End, Offset: m.Offset, File: m.Path}
	if o := b.obj(p, m.Path); o != nil {
		pm.BuildID = o.buildID
		pm.HasFunctions = len(o.syms) > 0 || o.goTab != nil
		pm.HasFilenames = o.goTab != nil
		pm.HasLineNumbers = o.goTab != nil
	}
	b.maps[k] = pm
	b.p.Mapping = append(b.p.Mapping, pm)
	return pm
}

// obj reads the file a mapping maps, through the process's root (its mount
// namespace, while it runs), else from mihari's own view; each file is
// read once, however many processes map it.
func (b *builder) obj(p *proc, path string) *objFile {
	if path == "" || isKernelName(path) || strings.HasSuffix(path, " (deleted)") {
		return nil
	}
	var st unix.Stat_t
	name := filepath.Join(p.root, path)
	err := unix.Stat(name, &st)
	if err != nil {
		name = path
		if unix.Stat(name, &st) != nil {
			b.missing[path] = err
			return nil
		}
	}
	k := fileKey{st.Dev, st.Ino}
	if o, ok := b.objs[k]; ok {
		return o
	}
	o, err := openObj(name)
	if err != nil {
		b.missing[path] = err
		o = nil
	}
	b.objs[k] = o
	return o
}

type fileKey struct{ dev, ino uint64 }

func (b *builder) function(f frame) *profile.Function {
	k := frame{fn: f.fn, file: f.file}
	if fn := b.funcs[k]; fn != nil {
		return fn
	}
	fn := &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: f.fn, SystemName: f.fn, Filename: f.file}
	b.funcs[k] = fn
	b.p.Function = append(b.p.Function, fn)
	return fn
}
