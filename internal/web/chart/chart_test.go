package chart

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func render(t testing.TB, c Chart) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, c); err != nil {
		t.Fatal(err)
	}
	checkXML(t, b.Bytes())
	return b.String()
}

// checkXML fails unless svg is one well-formed element with no NaN or
// infinity written into it.
func checkXML(t testing.TB, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
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
	if roots != 1 || !bytes.HasPrefix(svg, []byte("<svg ")) {
		t.Fatalf("want one <svg> element, got %d roots:\n%s", roots, svg)
	}
	for _, bad := range []string{"NaN", "Inf", "e+", "e-"} {
		for _, m := range dAttr.FindAllSubmatch(svg, -1) {
			if bytes.Contains(m[1], []byte(bad)) {
				t.Fatalf("path data holds %q: %s", bad, m[1])
			}
		}
	}
}

var dAttr = regexp.MustCompile(`\sd="([^"]*)"`)

// paths returns the data-series name and d of every series path.
func paths(svg string) map[string]string {
	re := regexp.MustCompile(`<path class="series[^"]*" data-series="([^"]*)" data-points="\d+"[^>]* d="([^"]*)"`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// coords parses path data into its points, by subpath.
func coords(t *testing.T, d string) [][][2]float64 {
	t.Helper()
	var subs [][][2]float64
	re := regexp.MustCompile(`([MLHZh])\s*([-0-9.]*)\s*([-0-9.]*)`)
	for _, m := range re.FindAllStringSubmatch(d, -1) {
		switch m[1] {
		case "M":
			subs = append(subs, nil)
			fallthrough
		case "L":
			x, err1 := strconv.ParseFloat(m[2], 64)
			y, err2 := strconv.ParseFloat(m[3], 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad point in %q", d)
			}
			subs[len(subs)-1] = append(subs[len(subs)-1], [2]float64{x, y})
		}
	}
	return subs
}

func ramp(n int, step time.Duration, f func(i int) float64) []Point {
	ps := make([]Point, n)
	for i := range ps {
		ps[i] = Point{T: t0.Add(time.Duration(i) * step), V: f(i)}
	}
	return ps
}

func TestLine(t *testing.T) {
	c := Chart{
		Title: "Load <1m>", Unit: Count, Width: 400, Height: 200,
		Series: []Series{
			{Name: "1m", Points: ramp(11, time.Minute, func(i int) float64 { return float64(i) / 10 })},
			{Name: `"5m"`, Points: ramp(11, time.Minute, func(int) float64 { return 0.5 })},
		},
	}
	svg := render(t, c)
	ps := paths(svg)
	if len(ps) != 2 {
		t.Fatalf("want 2 series paths, got %v", ps)
	}
	up := coords(t, ps["1m"])
	if len(up) != 1 || len(up[0]) != 11 {
		t.Fatalf("1m: want one subpath of 11 points, got %v", up)
	}
	// Time runs left to right and the value bottom to top.
	for i := 1; i < len(up[0]); i++ {
		if up[0][i][0] <= up[0][i-1][0] || up[0][i][1] >= up[0][i-1][1] {
			t.Fatalf("1m does not rise left to right: %v", up[0])
		}
	}
	flat := coords(t, ps["&#34;5m&#34;"])[0]
	if mid := (up[0][0][1] + up[0][10][1]) / 2; math.Abs(flat[0][1]-mid) > 0.2 {
		t.Errorf("0.5 drawn at y=%v, want halfway between 0 (%v) and 1 (%v)", flat[0][1], up[0][0][1], up[0][10][1])
	}
	for _, want := range []string{
		`role="img"`, `aria-label="Load &lt;1m&gt;: line chart from 2026-12-03 10:00 to 2026-12-03 10:10 UTC (10 minutes). Latest: 1m 1, &#34;5m&#34; 0.5."`,
		`<title>Load &lt;1m&gt;</title>`, `>10:04</text>`, `>UTC</text>`, `data-points="11"`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %s in\n%s", want, svg)
		}
	}
}

func TestDecimationKeepsSpikes(t *testing.T) {
	// A day at one sample a second, one spike: at most two points a
	// pixel column, and the spike survives.
	n := 86400
	ps := ramp(n, time.Second, func(i int) float64 {
		if i == 40000 {
			return 100
		}
		return 1 + float64(i%7)/10
	})
	svg := render(t, Chart{Width: 800, Height: 240, Series: []Series{{Name: "s", Points: ps}}})
	pts := coords(t, paths(svg)["s"])
	if len(pts) != 1 {
		t.Fatalf("want one subpath, got %d", len(pts))
	}
	if got := len(pts[0]); got > 2*800 {
		t.Errorf("%d points drawn for 800 columns", got)
	}
	top := math.Inf(1)
	for _, p := range pts[0] {
		top = math.Min(top, p[1])
	}
	if top > 12 { // the plot starts at y=10 and 100 is the axis' top
		t.Errorf("the spike was lost: highest point at y=%v", top)
	}
	if !strings.Contains(svg, `data-points="86400"`) {
		t.Error("data-points should count every sample")
	}
}

func TestGapsBreakTheLine(t *testing.T) {
	ps := ramp(60, time.Minute, func(i int) float64 {
		if i >= 20 && i < 30 {
			return math.NaN()
		}
		return 1
	})
	ps = append(ps, Point{T: t0.Add(2 * time.Hour), V: math.Inf(1)})
	svg := render(t, Chart{Series: []Series{{Name: "s", Points: ps}}, End: t0.Add(2 * time.Hour)})
	if got := len(coords(t, paths(svg)["s"])); got != 2 {
		t.Errorf("want 2 subpaths around the gap, got %d: %s", got, paths(svg)["s"])
	}
	// A lone sample between gaps is still drawn.
	lone := []Point{{t0, math.NaN()}, {t0.Add(time.Minute), 3}, {t0.Add(2 * time.Minute), math.NaN()}}
	d := paths(render(t, Chart{Series: []Series{{Name: "s", Points: lone}}}))["s"]
	if !strings.HasSuffix(d, "h0") {
		t.Errorf("a lone sample should be drawn as a dot: %q", d)
	}
}

func TestStackedArea(t *testing.T) {
	c := Chart{
		Kind: StackedArea, Unit: Percent, YMax: 1, Width: 400, Height: 240,
		Series: []Series{
			{Name: "user", Points: ramp(30, 10*time.Second, func(int) float64 { return 0.25 })},
			{Name: "system", Points: ramp(30, 10*time.Second, func(int) float64 { return 0.5 })},
		},
	}
	svg := render(t, c)
	ps := paths(svg)
	user, system := coords(t, ps["user"]), coords(t, ps["system"])
	if len(user) != 1 || len(system) != 1 {
		t.Fatalf("want one shape a band, got %d and %d", len(user), len(system))
	}
	// Band tops: user at 25%, system piled on it at 75%, zero at the
	// first point of each shape (its base).
	base := user[0][0][1]
	yUser, ySys := user[0][1][1], system[0][1][1]
	full := 10.0 // y of 100%, the fixed top of a chart without a title
	if f := (base - yUser) / (base - full); math.Abs(f-0.25) > 0.01 {
		t.Errorf("user band top at %.3f of the axis, want 0.25", f)
	}
	if f := (base - ySys) / (base - full); math.Abs(f-0.75) > 0.01 {
		t.Errorf("system band top at %.3f of the axis, want 0.75", f)
	}
	// The top band is painted first so the lower ones cover it.
	if strings.Index(svg, `data-series="system"`) > strings.Index(svg, `data-series="user"`) {
		t.Error("bands must be painted top first")
	}
	for _, want := range []string{">100%</text>", ">50%</text>", "Latest: user 25%, system 50%"} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestStackedGap(t *testing.T) {
	pts := func(v float64) []Point {
		return ramp(100, time.Minute, func(i int) float64 {
			if i >= 40 && i < 60 {
				return math.NaN()
			}
			return v
		})
	}
	svg := render(t, Chart{Kind: StackedArea, Series: []Series{{Name: "a", Points: pts(1)}, {Name: "b", Points: pts(2)}}})
	if n := strings.Count(paths(svg)["b"], "Z"); n != 2 {
		t.Errorf("want the area broken in 2 shapes, got %d", n)
	}
	// One series missing where the other has data does not break it.
	b := pts(2)
	for i := range b {
		b[i].V = 2
	}
	svg = render(t, Chart{Kind: StackedArea, Series: []Series{{Name: "a", Points: pts(1)}, {Name: "b", Points: b}}})
	if n := strings.Count(paths(svg)["a"], "Z"); n != 1 {
		t.Errorf("want one shape, got %d", n)
	}
}

func TestEmpty(t *testing.T) {
	for _, c := range []Chart{
		{Title: "nothing"},
		{Title: "no points", Series: []Series{{Name: "a"}}, Start: t0, End: t0.Add(time.Hour)},
		{Title: "out of range", Series: []Series{{Name: "a", Points: ramp(3, time.Minute, func(int) float64 { return 1 })}}, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)},
		{Title: "all NaN", Series: []Series{{Name: "a", Points: ramp(3, time.Minute, func(int) float64 { return math.NaN() })}}},
	} {
		svg := render(t, c)
		if !strings.Contains(svg, ">no data in this range</text>") || !strings.Contains(svg, "no data in this range.\"") {
			t.Errorf("%s: should say there is no data:\n%s", c.Title, svg)
		}
	}
}

func TestEscaping(t *testing.T) {
	evil := "</svg><script>alert(1)</script>\x00\xff'"
	svg := render(t, Chart{Title: evil, Series: []Series{{Name: evil, Color: `red" onload="x`, Points: ramp(2, time.Minute, func(int) float64 { return 1 })}}})
	if strings.Contains(svg, "<script") || strings.Contains(svg, `" onload`) {
		t.Errorf("unescaped input:\n%s", svg)
	}
}

func TestAxis(t *testing.T) {
	for _, tc := range []struct {
		lo, hi, ymax float64
		u            Unit
		want         string
	}{
		{0, 0.93, 1, Percent, "0% 25% 50% 75% 100%"},
		{0, 3.2, 0, Count, "0 1 2 3 4"},
		{0, 11.3e9, 0, Bytes, "0 B 5 GiB 10 GiB 15 GiB"},
		{-2, 3, 0, None, "-2 0 2 4"},
		{0.0021, 0.0094, 0, Seconds, "0 s 2.5 ms 5 ms 7.5 ms 10 ms"},
		{math.Inf(1), math.Inf(-1), 0, Cores, "0 0.25 0.5 0.75 1"},
		{0, 0, 0, Cores, "0 0.25 0.5 0.75 1"},
	} {
		a := valueAxis(tc.lo, tc.hi, tc.ymax, tc.u)
		if got := strings.Join(a.labels, " "); got != tc.want {
			t.Errorf("valueAxis(%v, %v, %v, %v) = %q, want %q", tc.lo, tc.hi, tc.ymax, tc.u, got, tc.want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	for _, tc := range []struct {
		span time.Duration
		want string
	}{
		{5 * time.Minute, "10:00 10:01 10:02 10:03 10:04 10:05"},
		{time.Hour, "10:00 10:10 10:20 10:30 10:40 10:50 11:00"},
		{24 * time.Hour, "12:00 18:00 00:00 06:00"},
		{7 * 24 * time.Hour, "Dec 5 Dec 7 Dec 9"},
	} {
		var got []string
		for _, tk := range timeTicks(t0, t0.Add(tc.span)) {
			got = append(got, tk.label)
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%v: ticks %q, want %q", tc.span, s, tc.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		u    Unit
		want string
	}{
		{0.4237, Percent, "42.4%"},
		{0.00123, Percent, "0.12%"},
		{1536, Bytes, "1.5 KiB"},
		{3.25 * (1 << 30), Bytes, "3.25 GiB"},
		{12, BytesPerSecond, "12 B/s"},
		{0.0000042, Seconds, "4.2 µs"},
		{3.6, Seconds, "3.6 s"},
		{600, Seconds, "10 min"},
		{1.234, Cores, "1.23"},
		{0.004, Cores, "0.004"},
		{8.4e-05, Cores, "0.000084"},
		{1e-15, Cores, "0"},
		{2071, Count, "2.07k"},
		{1.5e6, PerSecond, "1.5M/s"},
		{math.NaN(), Bytes, "–"},
		{-0.0001, None, "-0.0001"},
	} {
		if got := FormatValue(tc.v, tc.u); got != tc.want {
			t.Errorf("FormatValue(%v, %v) = %q, want %q", tc.v, tc.u, got, tc.want)
		}
	}
}

func TestLegendOverflow(t *testing.T) {
	var ss []Series
	for i := range 40 {
		ss = append(ss, Series{Name: strings.Repeat("x", 30) + strconv.Itoa(i), Points: ramp(2, time.Minute, func(int) float64 { return 1 })})
	}
	svg := render(t, Chart{Width: 400, Height: 200, Series: ss})
	if !regexp.MustCompile(`>\+\d+ more</text>`).MatchString(svg) {
		t.Error("a legend too long for the chart should say how many series it leaves out")
	}
	if len(paths(svg)) != 40 {
		t.Error("every series should still be drawn")
	}
	if !strings.Contains(CSS(), "--c7:") || !strings.Contains(CSS(), "prefers-color-scheme: dark") {
		t.Error("CSS should carry the palette, light and dark")
	}
}

// FuzzRender draws arbitrary series and checks the SVG stays one
// well-formed element with finite coordinates.
func FuzzRender(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, "cpu", uint8(0), int64(0), int64(600))
	f.Add([]byte{0xff, 0xf8, 0, 0, 0, 0, 0, 1, 0xff, 0xf0, 0, 0, 0, 0, 0, 0}, "<&>\x00", uint8(1), int64(-5), int64(-5))
	f.Fuzz(func(t *testing.T, data []byte, name string, kind uint8, start, end int64) {
		var s []Series
		for len(data) >= 9 {
			if len(s) == 0 || data[0]&0xf == 0 {
				s = append(s, Series{Name: name})
			}
			v := math.Float64frombits(uint64(data[1]) | uint64(data[2])<<8 | uint64(data[3])<<16 | uint64(data[4])<<24 |
				uint64(data[5])<<32 | uint64(data[6])<<40 | uint64(data[7])<<48 | uint64(data[8])<<56)
			at := t0.Add(time.Duration(int8(data[0])) * time.Minute)
			s[len(s)-1].Points = append(s[len(s)-1].Points, Point{at, v})
			data = data[9:]
		}
		c := Chart{Title: name, Kind: Kind(kind % 2), Unit: Unit(kind % 9), Series: s,
			Width: int(kind) * 7, Height: int(kind) * 3, YMax: float64(kind%4) / 2}
		if start != 0 {
			c.Start = t0.Add(time.Duration(start%100000) * time.Second)
		}
		if end != 0 {
			c.End = t0.Add(time.Duration(end%100000) * time.Second)
		}
		render(t, c)
	})
}

// BenchmarkOverviewDay draws what the overview shows for 24 hours at 15 s:
// a stacked CPU chart of 8 modes.
func BenchmarkOverviewDay(b *testing.B) {
	var ss []Series
	for m := range 8 {
		ss = append(ss, Series{Name: "mode" + strconv.Itoa(m), Points: ramp(5760, 15*time.Second, func(i int) float64 {
			return 0.05 + 0.01*float64((i*(m+3))%11)
		})})
	}
	for _, k := range []Kind{StackedArea, Line} {
		b.Run(k.String(), func(b *testing.B) {
			c := Chart{Kind: k, Unit: Percent, Series: ss, Start: t0, End: t0.Add(24 * time.Hour)}
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := Render(&buf, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/chart")
		})
	}
}
