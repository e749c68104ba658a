package profile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteFolded(t *testing.T) {
	p := foldedProfile(t,
		"app;main.main;main.run|main.helper;libfoo.so+0x1234 3",
		"app;main.main;read_[k];entry|inlined_[k] 4",
		";0xdeadbeef 1",
		"app;main.main;main.run|main.helper;libfoo.so+0x1234 2",
		"other;main.main 0",
		"app;odd 1",
	)
	for _, f := range p.Function {
		if f.Name == "odd" {
			f.Name = "a;b\nc"
		}
	}
	want := `0xdeadbeef 1
app;a:b c 1
app;main.main;main.run;main.helper;libfoo.so+0x1234 5
app;main.main;read_[k];entry_[k];inlined_[k] 4
`
	var b strings.Builder
	if err := WriteFolded(&b, p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteFolded (-want +have):\n%s", diff)
	}
}

// flameGraph is what the tests read back from an SVG flame graph.
type flameGraph struct {
	Title  string       `xml:"title"`
	Frames []flameGroup `xml:"g"`
}

// flameGroup is a frame of a flameGraph.
type flameGroup struct {
	Title string `xml:"title"`
	Rect  struct {
		X     float64 `xml:"x,attr"`
		Y     float64 `xml:"y,attr"`
		Width float64 `xml:"width,attr"`
		Fill  string  `xml:"fill,attr"`
	} `xml:"rect"`
	Text string `xml:"text"`
}

// parseFlameGraph checks that svg is well-formed XML and reads it.
func parseFlameGraph(t testing.TB, svg []byte) flameGraph {
	t.Helper()
	if err := checkXML(svg); err != nil {
		t.Fatalf("%v in:\n%s", err, svg)
	}
	var g flameGraph
	if err := xml.Unmarshal(svg, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// checkXML returns an error unless b is one well-formed XML document.
func checkXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	roots := 0
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d root elements, want 1", roots)
	}
	return nil
}

// rgb splits a "#rrggbb" colour.
func rgb(t *testing.T, fill string) (r, g, b int) {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(fill, "#"), 16, 32)
	if err != nil || len(fill) != 7 {
		t.Fatalf("fill %q is not #rrggbb", fill)
	}
	return int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff)
}

func TestWriteFlameGraph(t *testing.T) {
	p := foldedProfile(t,
		"app;main.main;main.a 30",
		"app;main.main;main.b 10",
		"app;main.main;main.a;vfs_read_[k] 7",
		"app;main.main;pkg.Map[go.shape.string] 2",
		"app;main.main;std::function<void (int&)>::operator() 1",
		"db;main.a 50",
	)
	var svg bytes.Buffer
	if err := WriteFlameGraph(&svg, p, "kubelet & <friends>"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"&lt;friends&gt;", "std::function&lt;void (int&amp;)&gt;::operator()"} {
		if !bytes.Contains(svg.Bytes(), []byte(s)) {
			t.Errorf("SVG does not contain %q", s)
		}
	}
	g := parseFlameGraph(t, svg.Bytes())
	if g.Title != "kubelet & <friends>" {
		t.Errorf("title %q, want %q", g.Title, "kubelet & <friends>")
	}

	// Each frame once, in drawing order (callers first, siblings by name),
	// labelled where it is wide enough.
	type frame struct{ Title, Text string }
	want := []frame{
		{"all (100 samples, 100.00%)", "all"},
		{"app (50 samples, 50.00%)", "app"},
		{"main.main (50 samples, 50.00%)", "main.main"},
		{"main.a (37 samples, 37.00%)", "main.a"},
		{"[k] vfs_read (7 samples, 7.00%)", "vfs_read"},
		{"main.b (10 samples, 10.00%)", "main.b"},
		{"pkg.Map[go.shape.string] (2 samples, 2.00%)", ""},
		{"std::function<void (int&)>::operator() (1 samples, 1.00%)", ""},
		{"db (50 samples, 50.00%)", "db"},
		{"main.a (50 samples, 50.00%)", "main.a"},
	}
	var have []frame
	byTitle := map[string]flameGroup{}
	for _, f := range g.Frames {
		have = append(have, frame{f.Title, f.Text})
		byTitle[f.Title] = f
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("frames (-want +have):\n%s", diff)
	}

	// Widths in proportion to samples, the whole graph as wide as "all".
	a, b := byTitle["main.a (37 samples, 37.00%)"], byTitle["main.b (10 samples, 10.00%)"]
	if ratio := a.Rect.Width / b.Rect.Width; math.Abs(ratio-3.7) > 0.01 {
		t.Errorf("main.a is %v px wide and main.b %v px: ratio %.3f, want 3.7", a.Rect.Width, b.Rect.Width, ratio)
	}
	if all := byTitle["all (100 samples, 100.00%)"]; all.Rect.Width != flameWidth-2*flamePad {
		t.Errorf("all is %v px wide, want %d", all.Rect.Width, flameWidth-2*flamePad)
	}
	// Callees above their callers, starting at the caller's left edge,
	// siblings side by side.
	mainMain := byTitle["main.main (50 samples, 50.00%)"]
	if a.Rect.Y != mainMain.Rect.Y-frameHeight || a.Rect.X != mainMain.Rect.X {
		t.Errorf("main.a at (%v, %v), want (%v, %v) on top of main.main", a.Rect.X, a.Rect.Y, mainMain.Rect.X, mainMain.Rect.Y-frameHeight)
	}
	if want := a.Rect.X + a.Rect.Width; b.Rect.Y != a.Rect.Y || math.Abs(b.Rect.X-want) > 0.02 {
		t.Errorf("main.b at (%v, %v), want (%v, %v) right of main.a", b.Rect.X, b.Rect.Y, want, a.Rect.Y)
	}

	// Kernel frames orange, user frames blue, a function the same colour
	// wherever it is.
	for _, f := range g.Frames {
		r, gr, bl := rgb(t, f.Rect.Fill)
		switch {
		case strings.HasPrefix(f.Title, "[k] "):
			if !(r > gr && gr > bl) {
				t.Errorf("kernel frame %q is %s, want orange", f.Title, f.Rect.Fill)
			}
		case strings.HasPrefix(f.Title, "main.") || strings.HasPrefix(f.Title, "pkg.") || strings.HasPrefix(f.Title, "std::"):
			if !(bl > gr && gr > r) {
				t.Errorf("user frame %q is %s, want blue", f.Title, f.Rect.Fill)
			}
		}
	}
	if a1, a2 := a.Rect.Fill, byTitle["main.a (50 samples, 50.00%)"].Rect.Fill; a1 != a2 {
		t.Errorf("main.a is %s in one place and %s in another", a1, a2)
	}
}

func TestWriteFlameGraphNarrowFrames(t *testing.T) {
	p := foldedProfile(t,
		"app;main.main;main.big 100000",
		"app;main.main;main.tiny;main.tinier 1",
	)
	var svg bytes.Buffer
	if err := WriteFlameGraph(&svg, p, "narrow"); err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, f := range parseFlameGraph(t, svg.Bytes()).Frames {
		have = append(have, f.Title)
	}
	// main.tiny is 0.012 px wide: left out, but still in main.main.
	want := []string{
		"all (100001 samples, 100.00%)",
		"app (100001 samples, 100.00%)",
		"main.main (100001 samples, 100.00%)",
		"main.big (100000 samples, 100.00%)",
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("frames (-want +have):\n%s", diff)
	}
}

func TestWriteFlameGraphEmpty(t *testing.T) {
	var svg bytes.Buffer
	if err := WriteFlameGraph(&svg, foldedProfile(t), "empty"); err != nil {
		t.Fatal(err)
	}
	if g := parseFlameGraph(t, svg.Bytes()); len(g.Frames) != 0 {
		t.Errorf("%d frames in the flame graph of an empty profile", len(g.Frames))
	}
}

// TestWriteFlameGraphSize checks that leaving out narrow frames bounds the
// size of the SVG of a large profile.
func TestWriteFlameGraphSize(t *testing.T) {
	const method = "github.com/example/project/pkg%d.(*Type%d).Method%d"
	tests := []struct {
		name  string
		stack func(r *rand.Rand, i int) (string, int)
	}{{
		// Stacks that share their callers, as a program's do.
		name: "tree",
		stack: func(r *rand.Rand, i int) (string, int) {
			frames := []string{[]string{"kubelet", "containerd", "dockerd"}[r.IntN(3)], "runtime.goexit", "main.main"}
			for d := range 8 + r.IntN(32) {
				frames = append(frames, fmt.Sprintf(method, d%7, r.IntN(4), r.IntN(6)))
			}
			if r.IntN(2) == 0 {
				frames = append(frames, "entry_SYSCALL_64_[k]", "do_syscall_64_[k]", fmt.Sprintf("kernel_function_%d_[k]", r.IntN(50)))
			}
			return strings.Join(frames, ";"), 1 + r.IntN(20)
		},
	}, {
		// 4000 stacks of 20 frames, distinct from the root, each just wide
		// enough to be drawn: 80,000 frames without the frame budget.
		name: "flat",
		stack: func(r *rand.Rand, i int) (string, int) {
			frames := []string{"app"}
			for d := range 20 {
				frames = append(frames, fmt.Sprintf(method, i, d, r.IntN(1000)))
			}
			if i < 4000 {
				return strings.Join(frames, ";"), 10
			}
			return strings.Join(frames, ";"), 1
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			stacks := map[string]bool{}
			var lines []string
			for i := 0; len(stacks) < 10_000; i++ {
				s, n := tt.stack(r, i)
				if !stacks[s] {
					stacks[s] = true
					lines = append(lines, fmt.Sprintf("%s %d", s, n))
				}
			}
			var svg bytes.Buffer
			if err := WriteFlameGraph(&svg, foldedProfile(t, lines...), "10000 stacks"); err != nil {
				t.Fatal(err)
			}
			const limit = 4 << 20
			if svg.Len() > limit {
				t.Errorf("SVG of 10000 stacks is %d bytes, want at most %d", svg.Len(), limit)
			}
			g := parseFlameGraph(t, svg.Bytes())
			if len(g.Frames) > maxFlameFrames {
				t.Errorf("%d frames, want at most %d", len(g.Frames), maxFlameFrames)
			}
			t.Logf("%d bytes, %d frames", svg.Len(), len(g.Frames))
		})
	}
}

func TestFitLabel(t *testing.T) {
	const getStats = "github.com/google/cadvisor/container/libcontainer.(*Handler).GetStats"
	tests := []struct {
		name   string
		width  float64
		want   string
		wantOK bool
	}{
		{"main.main", 0, "", false},
		{"main.main", 25, "", false}, // two characters
		{"main.main", 26, "m..", true},
		{"main.main", 66, "main.main", true},
		{"main.main", 65, "main.m..", true},
		{getStats, 100, "github.com/g..", true},
		{"αβγδεζηθ", 40, "αβγ..", true}, // runes, not bytes
	}
	for _, tt := range tests {
		have, ok := fitLabel(tt.name, tt.width)
		if have != tt.want || ok != tt.wantOK {
			t.Errorf("fitLabel(%q, %v) = %q, %v, want %q, %v", tt.name, tt.width, have, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFrameColor(t *testing.T) {
	// Pinned: the name's hash, not a map's order or a random seed, picks
	// the shade, so it is the same in every graph.
	tests := []struct {
		f    flameFrame
		want string
	}{
		{flameFrame{"vfs_read", kindKernel}, "#e39d2c"},
		{flameFrame{"main.main", kindKernel}, "#e49b38"},
		{flameFrame{"main.main", kindUser}, "#56bcfb"},
		{flameFrame{"kubelet", kindComm}, "#d1d1d1"},
		{flameFrame{"all", kindRoot}, "#d0d0d0"},
	}
	for _, tt := range tests {
		if have := frameColor(tt.f); have != tt.want {
			t.Errorf("frameColor(%v) = %s, want %s", tt.f, have, tt.want)
		}
	}
}

func FuzzWriteFlameGraph(f *testing.F) {
	f.Add("app;main.main;main.a 3\napp;main.main;vfs_read_[k] 2", "title")
	f.Add("app;std::vector<int, std::allocator<int> >::push_back 1\n;0x1234;libc.so.6+0x10 4", "<&>")
	f.Add("a;b|c;d_[k] 1\na;\x00\xff;\"' 2", "\x01\xfe")
	f.Fuzz(func(t *testing.T, folded, title string) {
		p, err := parseFoldedProfile(folded)
		if err != nil {
			return
		}
		var svg bytes.Buffer
		if err := WriteFlameGraph(&svg, p, title); err != nil {
			t.Fatal(err)
		}
		if err := checkXML(svg.Bytes()); err != nil {
			t.Fatalf("%v in:\n%s", err, svg.Bytes())
		}
		var g flameGraph
		if err := xml.Unmarshal(svg.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, s := range p.Sample {
			total += max(s.Value[0], 0)
		}
		want := fmt.Sprintf("all (%d samples, 100.00%%)", total)
		if total > 0 && (len(g.Frames) == 0 || g.Frames[0].Title != want) {
			t.Errorf("first frame %v, want %q", g.Frames[:min(len(g.Frames), 1)], want)
		}
		var folded2 strings.Builder
		if err := WriteFolded(&folded2, p); err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(folded2.String()) {
			if i := strings.LastIndexByte(line, ' '); i < 0 || !slices.Contains([]byte("0123456789-"), line[i+1]) {
				t.Errorf("folded line %q has no count", line)
			}
		}
	})
}

// TestWriteFlameGraphFragment checks the form for web pages: the same
// frames, as an element to put in HTML, with no XML declaration and no
// style sheet of its own.
func TestWriteFlameGraphFragment(t *testing.T) {
	p := foldedProfile(t, "app;main.main;main.a 30", "app;main.main;vfs_read_[k] 10")
	var doc, frag bytes.Buffer
	if err := WriteFlameGraph(&doc, p, "app"); err != nil {
		t.Fatal(err)
	}
	if err := WriteFlameGraphFragment(&frag, p, "app"); err != nil {
		t.Fatal(err)
	}
	s := frag.String()
	if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg" class="flamegraph" width="100%" viewBox=`) || strings.Contains(s, "<style") || strings.Contains(s, "<?xml") {
		t.Errorf("fragment starts %q", s[:min(len(s), 200)])
	}
	if !strings.Contains(doc.String(), "<style>") {
		t.Error("the standalone SVG lost its hover style")
	}
	if d, f := parseFlameGraph(t, doc.Bytes()), parseFlameGraph(t, frag.Bytes()); !cmp.Equal(d.Frames, f.Frames) || len(f.Frames) != 5 {
		t.Errorf("the fragment's frames differ from the document's: %v", cmp.Diff(d.Frames, f.Frames))
	}
}
