package profile

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/pprof/profile"
)

// WriteFolded writes p in Brendan Gregg's folded format, the input of
// flamegraph.pl and of most flame graph viewers: a line per distinct stack,
//
//	comm;outermost;...;innermost count
//
// where comm is the sample's "comm" label (no such frame without one),
// inlined functions are frames of their own, kernel frames end in "_[k]" as
// perf script | stackcollapse-perf.pl marks them, and count is the number of
// samples (see TopFunctions). ";" in a name becomes ":" and line breaks
// become spaces, so that every line parses. Lines are sorted; stacks whose
// counts add up to zero are left out.
func WriteFolded(w io.Writer, p *profile.Profile) error {
	if len(p.SampleType) == 0 {
		return errors.New("profile has no sample types")
	}
	ci := countIndex(p)
	counts := map[string]int64{}
	var b strings.Builder
	for _, s := range p.Sample {
		b.Reset()
		for i, f := range foldedFrames(s) {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(foldedName(f.name))
			if f.kind == kindKernel {
				b.WriteString("_[k]")
			}
		}
		counts[b.String()] += sampleValue(s, ci)
	}
	stacks := make([]string, 0, len(counts))
	for s, c := range counts {
		if c != 0 {
			stacks = append(stacks, s)
		}
	}
	slices.Sort(stacks)
	bw := bufio.NewWriter(w)
	for _, s := range stacks {
		fmt.Fprintf(bw, "%s %d\n", s, counts[s])
	}
	return bw.Flush()
}

// foldedName keeps name from breaking a folded line.
var foldedName = strings.NewReplacer(";", ":", "\n", " ", "\r", " ").Replace

// frameKind is what a frame of a flame graph stands for; it picks the
// frame's colour.
type frameKind uint8

const (
	kindUser frameKind = iota
	kindKernel
	kindComm // a process name, from the "comm" label
	kindRoot // "all", the whole profile
)

// flameFrame is one frame of a folded stack or of a flame graph.
type flameFrame struct {
	name string
	kind frameKind
}

// foldedFrames returns the stack of s root first, under the comm frame when
// s has a "comm" label.
func foldedFrames(s *profile.Sample) []flameFrame {
	var out []flameFrame
	if comm := s.Label["comm"]; len(comm) > 0 {
		out = append(out, flameFrame{comm[0], kindComm})
	}
	fs := sampleFrames(s)
	for i := len(fs) - 1; i >= 0; i-- {
		k := kindUser
		if fs[i].kernel {
			k = kindKernel
		}
		out = append(out, flameFrame{fs[i].name, k})
	}
	return out
}

// Flame graph geometry, in pixels. The font is monospace so that the width
// of a label is known without measuring text.
const (
	flameWidth     = 1200
	flamePad       = 10    // left and right margin
	flameTop       = 40    // above the frames: the title
	flameBottom    = 30    // below the frames: the legend
	frameHeight    = 16    // a rect is one less, leaving a gap between rows
	flameFontSize  = 11    // the labels'
	flameCharWidth = 6.6   // of flameFontSize in a monospace font
	labelMinChars  = 3     // labels narrower than this are left out
	minFrameWidth  = 0.25  // narrower frames are left out, to bound the size
	maxFlameFrames = 15000 // at about 200 bytes each, a few megabytes
)

// flameNode is a frame of a flame graph with its identical siblings merged.
type flameNode struct {
	flameFrame
	count    int64
	children map[flameFrame]*flameNode
	drawn    bool // see markDrawn
}

// child returns n's child f, adding it if it is new.
func (n *flameNode) child(f flameFrame) *flameNode {
	c := n.children[f]
	if c == nil {
		if n.children == nil {
			n.children = map[flameFrame]*flameNode{}
		}
		c = &flameNode{flameFrame: f}
		n.children[f] = c
	}
	return c
}

// placedFrame is a flame graph frame ready to draw.
type placedFrame struct {
	node  *flameNode
	x, w  float64
	depth int
}

// WriteFlameGraph writes p as a self-contained SVG flame graph titled
// title: the root ("all", then each process's comm when samples have that
// label) at the bottom and callees above their callers, each frame as wide
// as its number of samples (see TopFunctions), identical sibling frames
// merged and sorted by name. Kernel frames are orange and user frames
// blue, each function always the same shade. Every frame has a tooltip
// "name (N samples, P%)", "[k] " before kernel names; a label that does not
// fit its frame is cut short with "..". Frames narrower than a quarter of a
// pixel are left out, and so are the narrowest beyond 15,000 frames, as the
// legend says (their samples still count in their callers): that keeps the
// SVG of any profile to a few megabytes. Samples with a count of zero or
// less are left out. The SVG uses no script and no external resource.
func WriteFlameGraph(w io.Writer, p *profile.Profile, title string) error {
	return writeFlameGraph(w, p, title, false)
}

// WriteFlameGraphFragment is WriteFlameGraph for a web page: an <svg>
// element to put in HTML, without the XML declaration and without a style
// sheet of its own (whose hover rule would apply to the whole page, and
// which a Content-Security-Policy without 'unsafe-inline' forbids). It
// scales to its container's width and has the class "flamegraph".
func WriteFlameGraphFragment(w io.Writer, p *profile.Profile, title string) error {
	return writeFlameGraph(w, p, title, true)
}

func writeFlameGraph(w io.Writer, p *profile.Profile, title string, fragment bool) error {
	if len(p.SampleType) == 0 {
		return errors.New("profile has no sample types")
	}
	ci := countIndex(p)
	unitWord := p.SampleType[ci].Type
	root := &flameNode{flameFrame: flameFrame{"all", kindRoot}}
	for _, s := range p.Sample {
		c := sampleValue(s, ci)
		if c <= 0 {
			continue
		}
		root.count += c
		n := root
		for _, f := range foldedFrames(s) {
			n = n.child(f)
			n.count += c
		}
	}

	var placed []placedFrame
	maxDepth := -1
	limited := false
	if root.count > 0 {
		scale := float64(flameWidth-2*flamePad) / float64(root.count)
		limited = markDrawn(root, int64(math.Ceil(minFrameWidth/scale)))
		var place func(n *flameNode, x float64, depth int)
		place = func(n *flameNode, x float64, depth int) {
			if !n.drawn {
				return
			}
			placed = append(placed, placedFrame{n, x, float64(n.count) * scale, depth})
			maxDepth = max(maxDepth, depth)
			for _, c := range sortedChildren(n) {
				place(c, x, depth+1)
				x += float64(c.count) * scale
			}
		}
		place(root, flamePad, 0)
	}

	height := flameTop + (maxDepth+1)*frameHeight + flameBottom
	bw := bufio.NewWriter(w)
	if fragment {
		fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="flamegraph" width="100%%" viewBox="0 0 %d %d" role="img" font-family="monospace" font-size="%d">
<title>`, flameWidth, height, flameFontSize)
	} else {
		fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %[1]d %[2]d" font-family="monospace" font-size="%d">
<title>`, flameWidth, height, flameFontSize)
	}
	escapeXML(bw, title)
	bw.WriteString("</title>\n")
	if !fragment {
		bw.WriteString("<style>g:hover>rect{stroke:#000;stroke-width:0.5}</style>\n")
	}
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="#fdfdf6"/>
<text x="%d" y="24" font-size="17" text-anchor="middle">`, flameWidth/2)
	escapeXML(bw, title)
	bw.WriteString("</text>\n")
	for _, f := range placed {
		y := flameTop + (maxDepth-f.depth)*frameHeight
		bw.WriteString("<g><title>")
		if f.node.kind == kindKernel {
			bw.WriteString("[k] ")
		}
		escapeXML(bw, f.node.name)
		fmt.Fprintf(bw, " (%d %s, %s)</title><rect x=\"%s\" y=\"%d\" width=\"%s\" height=\"%d\" fill=\"%s\"/>",
			f.node.count, unitWord, flamePercent(f.node.count, root.count),
			formatPixels(f.x), y, formatPixels(f.w), frameHeight-1, frameColor(f.node.flameFrame))
		if label, ok := fitLabel(f.node.name, f.w); ok {
			fmt.Fprintf(bw, `<text x="%s" y="%d">`, formatPixels(f.x+3), y+frameHeight-5)
			escapeXML(bw, label)
			bw.WriteString("</text>")
		}
		bw.WriteString("</g>\n")
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d">%d %s; kernel frames orange, user frames blue; frames narrower than %s px left out`,
		flamePad, height-10, root.count, unitWord, formatPixels(minFrameWidth))
	if limited {
		fmt.Fprintf(bw, ", and all but the widest %d", maxFlameFrames)
	}
	bw.WriteString("</text>\n</svg>\n")
	return bw.Flush()
}

// markDrawn marks the frames to draw: those of at least minCount samples,
// and of those only the widest maxFlameFrames, callers before callees,
// so that even a profile of many wide-enough distinct stacks makes a graph
// a browser opens. It reports whether it left out frames of minCount or
// more.
func markDrawn(root *flameNode, minCount int64) bool {
	type candidate struct {
		n     *flameNode
		depth int
	}
	var all []candidate
	var walk func(n *flameNode, depth int)
	walk = func(n *flameNode, depth int) {
		if n.count < minCount {
			return
		}
		all = append(all, candidate{n, depth})
		for _, c := range sortedChildren(n) {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	limited := len(all) > maxFlameFrames
	if limited {
		// No frame is wider than its caller, which is shallower: a caller
		// sorts before its callees and is drawn whenever they are.
		slices.SortStableFunc(all, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(b.n.count, a.n.count), cmp.Compare(a.depth, b.depth))
		})
		all = all[:maxFlameFrames]
	}
	for _, c := range all {
		c.n.drawn = true
	}
	return limited
}

// sortedChildren returns n's children by name, so that the graph does not
// depend on the order of the samples.
func sortedChildren(n *flameNode) []*flameNode {
	out := make([]*flameNode, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *flameNode) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(a.kind, b.kind)
	})
	return out
}

// fitLabel returns name as it fits in a frame w pixels wide, and false
// when too little of it would.
func fitLabel(name string, w float64) (string, bool) {
	fits := int((w - 6) / flameCharWidth)
	if fits < labelMinChars {
		return "", false
	}
	if utf8.RuneCountInString(name) <= fits {
		return name, true
	}
	return string([]rune(name)[:fits-2]) + "..", true
}

// frameColor returns the fill of a frame: a family per kind, and in it a
// shade from the name's hash, so that a function has the same colour
// wherever it appears and in every graph.
func frameColor(f flameFrame) string {
	h := fnv.New32a()
	h.Write([]byte(f.name))
	sum := h.Sum32()
	v1, v2, v3 := int(sum&0xff), int(sum>>8&0xff), int(sum>>16&0xff)
	var r, g, b int
	switch f.kind {
	case kindKernel: // orange
		r, g, b = 225+v1*30/255, 110+v2*70/255, 10+v3*50/255
	case kindUser: // blue
		r, g, b = 80+v1*60/255, 150+v2*60/255, 210+v3*45/255
	default: // grey
		r = 185 + v1*30/255
		g, b = r, r
	}
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// flamePercent formats count as a percentage of total.
func flamePercent(count, total int64) string {
	return strconv.FormatFloat(float64(count)/float64(total)*100, 'f', 2, 64) + "%"
}

// formatPixels formats a coordinate to a hundredth of a pixel, without
// trailing zeros, to keep the SVG small.
func formatPixels(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// escapeXML writes s escaped as XML text, which also serves in attributes;
// runes XML cannot hold become U+FFFD.
func escapeXML(w *bufio.Writer, s string) {
	xml.EscapeText(w, []byte(s)) // a bufio.Writer keeps its error for Flush
}
