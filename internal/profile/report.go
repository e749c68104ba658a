package profile

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/pprof/profile"
)

// FuncStat is one function's share of a profile, as one row of WriteTop.
type FuncStat struct {
	// Name is the function's name, without the "[k] " WriteTop shows for
	// kernel functions. An unsymbolized frame is named
	// "mapping-basename+0xOFFSET", or "0xADDRESS" without a mapping.
	Name string
	// Kernel is whether the function is in the kernel.
	Kernel bool
	// Flat is the value of the samples whose leaf is this function, in the
	// unit of the profile's main sample type (nanoseconds of CPU for mihari's
	// profiles).
	Flat int64
	// Cum is the value of the samples with this function anywhere in their
	// stack, each sample counted once however often the function recurses.
	Cum int64
	// FlatSamples and CumSamples are Flat and Cum counted in samples.
	FlatSamples, CumSamples int64
}

// TopFunctions returns a row per function, by Flat descending, then by name,
// user functions before kernel ones of the same name.
//
// The value is that of the sample type named "cpu", or the last one; the
// samples are those of the type named "samples", or the value again when
// the profile has no such type.
func TopFunctions(p *profile.Profile) []FuncStat {
	vi, ci := valueIndex(p), countIndex(p)
	rows := map[reportFrame]*FuncStat{}
	row := func(f reportFrame) *FuncStat {
		r := rows[f]
		if r == nil {
			r = &FuncStat{Name: f.name, Kernel: f.kernel}
			rows[f] = r
		}
		return r
	}
	seen := map[reportFrame]bool{}
	for _, s := range p.Sample {
		v, c := sampleValue(s, vi), sampleValue(s, ci)
		stack := sampleFrames(s)
		if len(stack) == 0 {
			continue
		}
		r := row(stack[0])
		r.Flat += v
		r.FlatSamples += c
		clear(seen)
		for _, f := range stack {
			if seen[f] {
				continue
			}
			seen[f] = true
			r := row(f)
			r.Cum += v
			r.CumSamples += c
		}
	}
	out := make([]FuncStat, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b FuncStat) int {
		if c := cmp.Compare(b.Flat, a.Flat); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return boolCompare(a.Kernel, b.Kernel)
	})
	return out
}

// WriteTop writes the n functions with the most flat value (all of them
// when n is 0), as TopFunctions orders them, in a table like `go tool pprof
// -top` prints, under a line with the totals:
//
//	Showing top 10 of 57 functions, total 9.92s of CPU in 992 samples
//
// (" in N samples" only when the profile has a "samples" type). Kernel
// functions are marked "[k] ", so that the split shows at a glance.
func WriteTop(w io.Writer, p *profile.Profile, n int) error {
	if len(p.SampleType) == 0 {
		return errors.New("profile has no sample types")
	}
	vi, ci := valueIndex(p), countIndex(p)
	var total, samples int64
	for _, s := range p.Sample {
		total += sampleValue(s, vi)
		samples += sampleValue(s, ci)
	}
	unit := p.SampleType[vi].Unit
	rows := TopFunctions(p)

	var b strings.Builder
	if n <= 0 || n >= len(rows) {
		fmt.Fprintf(&b, "Showing all %d functions", len(rows))
	} else {
		fmt.Fprintf(&b, "Showing top %d of %d functions", n, len(rows))
		rows = rows[:n]
	}
	what := p.SampleType[vi].Type
	if what == "cpu" {
		what = "CPU"
	}
	fmt.Fprintf(&b, ", total %s of %s", formatValue(total, unit), what)
	if ci != vi {
		fmt.Fprintf(&b, " in %d samples", samples)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum")
	var sum int64
	for _, r := range rows {
		sum += r.Flat
		name := r.Name
		if r.Kernel {
			name = "[k] " + name
		}
		fmt.Fprintf(&b, "%10s %s %s %10s %s  %s\n",
			formatValue(r.Flat, unit), formatPercent(r.Flat, total), formatPercent(sum, total),
			formatValue(r.Cum, unit), formatPercent(r.Cum, total), name)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary is what an investigation says first about a profile: where the
// time went between kernel and user space, and which user code made the
// kernel work.
type Summary struct {
	// Type and Unit are those of the main sample type, e.g. "cpu" and
	// "nanoseconds".
	Type, Unit string
	// Total is the value of all samples, in Unit.
	Total int64
	// Samples is the number of samples (see TopFunctions).
	Samples int64
	// Kernel and User are the fractions of Total sampled with the
	// instruction in kernel or user space: by the sample's "space" label,
	// or, without one, by whether the leaf frame is in the kernel.
	Kernel, User float64
	// TopUser and TopKernel are the user and kernel functions with the most
	// flat value; zero when there is none.
	TopUser, TopKernel FuncStat
	// KernelCallers are the user functions that led into the kernel, the
	// largest first, at most five.
	KernelCallers []Caller
}

// Caller is a user function through which samples entered the kernel.
type Caller struct {
	// Name is, for each kernel sample, the innermost user frame that is not
	// system-call plumbing (Go's runtime, syscall, os, io, bufio and
	// internal packages, golang.org/x/sys/unix, and frames in libc or the
	// dynamic loader), so that a Go program's read shows as the function that
	// read rather than as syscall.Syscall6. When all user frames are
	// plumbing, it is the innermost one.
	Name string
	// Value and Samples are those of the kernel samples under Name.
	Value, Samples int64
	// Fraction is Value over the profile's Total.
	Fraction float64
}

// maxKernelCallers is how many callers a Summary keeps: enough for the
// report to name the culprit and its runners-up.
const maxKernelCallers = 5

// Summarize returns the Summary of p. Samples in kernel space without any
// user frame (kernel threads) count in Kernel but have no Caller.
func Summarize(p *profile.Profile) Summary {
	var sum Summary
	if len(p.SampleType) == 0 {
		return sum
	}
	vi, ci := valueIndex(p), countIndex(p)
	sum.Type, sum.Unit = p.SampleType[vi].Type, p.SampleType[vi].Unit
	var kernel, user int64
	callers := map[string]*Caller{}
	for _, s := range p.Sample {
		v, c := sampleValue(s, vi), sampleValue(s, ci)
		sum.Total += v
		sum.Samples += c
		if !sampleInKernel(s) {
			user += v
			continue
		}
		kernel += v
		name, ok := kernelCaller(s)
		if !ok {
			continue
		}
		cl := callers[name]
		if cl == nil {
			cl = &Caller{Name: name}
			callers[name] = cl
		}
		cl.Value += v
		cl.Samples += c
	}
	if sum.Total != 0 {
		sum.Kernel = float64(kernel) / float64(sum.Total)
		sum.User = float64(user) / float64(sum.Total)
	}
	for _, r := range TopFunctions(p) {
		if r.Kernel && sum.TopKernel.Name == "" {
			sum.TopKernel = r
		}
		if !r.Kernel && sum.TopUser.Name == "" {
			sum.TopUser = r
		}
	}
	for _, cl := range callers {
		if sum.Total != 0 {
			cl.Fraction = float64(cl.Value) / float64(sum.Total)
		}
		sum.KernelCallers = append(sum.KernelCallers, *cl)
	}
	slices.SortFunc(sum.KernelCallers, func(a, b Caller) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(sum.KernelCallers) > maxKernelCallers {
		sum.KernelCallers = sum.KernelCallers[:maxKernelCallers]
	}
	return sum
}

// sampleInKernel reports whether s was taken with the instruction in the
// kernel.
func sampleInKernel(s *profile.Sample) bool {
	switch space := s.Label["space"]; {
	case len(space) > 0 && space[0] == "kernel":
		return true
	case len(space) > 0 && space[0] == "user":
		return false
	}
	return len(s.Location) > 0 && locationInKernel(s.Location[0])
}

// kernelCaller returns the Caller.Name of a kernel sample, and false when its
// stack has no user frame.
func kernelCaller(s *profile.Sample) (string, bool) {
	i := slices.IndexFunc(s.Location, func(l *profile.Location) bool { return !locationInKernel(l) })
	if i < 0 {
		return "", false
	}
	for _, l := range s.Location[i:] {
		for _, f := range locationFrames(l) {
			if !isPlumbing(f.name, l.Mapping) {
				return f.name, true
			}
		}
	}
	return locationFrames(s.Location[i])[0].name, true
}

// goPlumbing are the Go packages between a program's code and a system
// call. The dot after the name keeps "os." from matching "os/exec.".
var goPlumbing = []string{
	"runtime.", "syscall.", "internal/", "os.", "io.", "bufio.", "golang.org/x/sys/unix.",
}

// cPlumbing are the basenames' prefixes of the libraries between a C
// program's code and a system call.
var cPlumbing = []string{"libc.so", "libc-", "libpthread", "ld-linux", "ld-musl", "libc.musl"}

// isPlumbing reports whether the function name, in mapping m, is system-call
// plumbing rather than the code that wanted the system call.
func isPlumbing(name string, m *profile.Mapping) bool {
	for _, p := range goPlumbing {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	if m == nil || m.File == "" {
		return false
	}
	base := path.Base(m.File)
	for _, p := range cPlumbing {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// reportFrame is one function in a stack; a location holds several when
// functions were inlined.
type reportFrame struct {
	name   string
	kernel bool
}

// sampleFrames returns the frames of s, innermost first, inlined ones
// expanded.
func sampleFrames(s *profile.Sample) []reportFrame {
	var out []reportFrame
	for _, l := range s.Location {
		out = append(out, locationFrames(l)...)
	}
	return out
}

// locationFrames returns the frames of l, innermost first; at least one.
func locationFrames(l *profile.Location) []reportFrame {
	k := locationInKernel(l)
	if len(l.Line) == 0 {
		return []reportFrame{{unsymbolizedName(l), k}}
	}
	out := make([]reportFrame, len(l.Line))
	for i, ln := range l.Line {
		name := ""
		if ln.Function != nil {
			name = cmp.Or(ln.Function.Name, ln.Function.SystemName)
		}
		out[i] = reportFrame{cmp.Or(name, unsymbolizedName(l)), k}
	}
	return out
}

// locationInKernel reports whether l is a kernel frame.
func locationInKernel(l *profile.Location) bool {
	return l.Mapping != nil && l.Mapping.File == KernelMapping
}

// unsymbolizedName names a location without symbols by where it is, as
// perf does: the offset in the mapped file is what a person can look up.
func unsymbolizedName(l *profile.Location) string {
	m := l.Mapping
	if m == nil || m.File == "" {
		return fmt.Sprintf("0x%x", l.Address)
	}
	return fmt.Sprintf("%s+0x%x", path.Base(m.File), l.Address-m.Start+m.Offset)
}

// valueIndex returns the index of the main sample type: "cpu", or the last
// one as pprof defaults to; -1 when there is none.
func valueIndex(p *profile.Profile) int {
	for i, t := range p.SampleType {
		if t.Type == "cpu" {
			return i
		}
	}
	return len(p.SampleType) - 1
}

// countIndex returns the index of the "samples" sample type, or else
// valueIndex.
func countIndex(p *profile.Profile) int {
	for i, t := range p.SampleType {
		if t.Type == "samples" {
			return i
		}
	}
	return valueIndex(p)
}

// sampleValue returns s's value i, or 0 when s has none.
func sampleValue(s *profile.Sample, i int) int64 {
	if i < 0 || i >= len(s.Value) {
		return 0
	}
	return s.Value[i]
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// valueUnit is a unit formatValue may scale to.
type valueUnit struct {
	name    string
	aliases []string
	factor  float64
}

// unitFamily is a set of units of one quantity.
type unitFamily struct {
	units []valueUnit
	def   int // the unit of values too small for any: pprof's default
}

// unitFamilies are pprof's time and memory units, so that mihari's tables
// read like pprof's.
var unitFamilies = []unitFamily{{units: []valueUnit{
	{"ns", []string{"ns", "nanosecond"}, 1},
	{"us", []string{"us", "μs", "microsecond"}, 1e3},
	{"ms", []string{"ms", "millisecond"}, 1e6},
	{"s", []string{"s", "sec", "second"}, 1e9},
	{"hrs", []string{"hour", "hr"}, 3600e9},
}, def: 3}, {units: []valueUnit{
	{"B", []string{"b", "byte"}, 1},
	{"kB", []string{"kb", "kbyte", "kilobyte"}, 1 << 10},
	{"MB", []string{"mb", "mbyte", "megabyte"}, 1 << 20},
	{"GB", []string{"gb", "gbyte", "gigabyte"}, 1 << 30},
	{"TB", []string{"tb", "tbyte", "terabyte"}, 1 << 40},
	{"PB", []string{"pb", "pbyte", "petabyte"}, 1 << 50},
}, def: 0}}

// formatValue formats v, in unit, as pprof does: in the largest unit that
// keeps it at least 1, with two decimals unless they are zero ("1.23s",
// "450ms", "2s"), or as a plain number in a unit pprof does not scale (such
// as "count").
func formatValue(v int64, unit string) string {
	f, name := float64(v), ""
	if fam, u, ok := findUnit(unit); ok {
		f *= u.factor
		best := fam.units[fam.def]
		for _, c := range fam.units {
			if math.Abs(f)/c.factor >= 1 {
				best = c
			}
		}
		f, name = f/best.factor, best.name
	}
	s := strings.TrimSuffix(fmt.Sprintf("%.2f", f), ".00")
	if s == "0" || s == "-0" {
		return "0"
	}
	return s + name
}

// findUnit returns the family of unit and its entry.
func findUnit(unit string) (unitFamily, valueUnit, bool) {
	unit = strings.ToLower(unit)
	if utf8.RuneCountInString(unit) > 2 {
		unit = strings.TrimSuffix(unit, "s") // plurals
	}
	for _, fam := range unitFamilies {
		for _, u := range fam.units {
			if slices.Contains(u.aliases, unit) {
				return fam, u, true
			}
		}
	}
	return unitFamily{}, valueUnit{}, false
}

// formatPercent formats value as a percentage of total in six columns, as
// pprof does.
func formatPercent(value, total int64) string {
	var r float64
	if total != 0 {
		r = float64(value) / float64(total) * 100
		if r < 0 {
			r = -r
		}
	}
	switch {
	case r >= 99.95 && r <= 100.05:
		return "  100%"
	case r >= 1:
		return fmt.Sprintf("%5.2f%%", r)
	}
	return fmt.Sprintf("%5.2g%%", r)
}
