// Package chart draws time-series charts as inline SVG for the web UI of
// `mihari serve`: a line or stacked-area chart with axes, gridlines and a
// legend.
//
// The SVG carries no colour of its own: text, grid and axes use
// currentColor and the series use the CSS variables --c0 … --c7, so the
// page's light or dark theme decides how it looks (see CSS). Long series
// are decimated to what the pixels can show, keeping each pixel column's
// minimum and maximum so that spikes survive, and numbers are written to a
// tenth of a user unit, so a day of 15 s samples costs a few kilobytes.
//
// Times are shown in UTC, and the chart says so.
package chart

import (
	"io"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Point is one sample of a series.
type Point struct {
	// T is when the sample was taken.
	T time.Time
	// V is the sample's value; NaN (or ±Inf) is a missing sample, which
	// breaks the line.
	V float64
}

// Series is one named line or band of a chart.
type Series struct {
	// Name is shown in the legend and the chart's description.
	Name string
	// Points are the samples; they need not be sorted, and those outside
	// the chart's range are dropped.
	Points []Point
	// Color is a CSS colour for the series; "" takes the next colour of
	// the palette (var(--c0) … var(--c7)).
	Color string
}

// Kind is how a chart draws its series.
type Kind int

const (
	// Line draws each series as its own line.
	Line Kind = iota
	// StackedArea piles the series on one another: the top of series k
	// is the sum of series 0…k. See Render for how missing samples count.
	StackedArea
)

func (k Kind) String() string {
	if k == StackedArea {
		return "stacked area chart"
	}
	return "line chart"
}

// Chart is what Render draws.
type Chart struct {
	// Title is shown above the plot and names the chart for screen readers.
	Title string
	// Unit formats the Y axis, the legend and the description.
	Unit Unit
	// Kind is Line (the zero value) or StackedArea.
	Kind Kind
	// Series are drawn in order, coloured from the palette in order.
	Series []Series
	// Start and End are the X range; points outside it are dropped. A
	// zero Start or End is taken from the data.
	Start, End time.Time
	// Width and Height are the SVG's intrinsic size in user units (800 by
	// 240 when zero); the SVG scales to its container's width.
	Width, Height int
	// YMax fixes the top of the Y axis (1 for a Percent of all CPUs, or
	// the number of cores); 0 rounds the data's maximum up to a nice
	// number. Values above a fixed YMax are drawn at the top edge.
	YMax float64
}

// Sizes of the layout, in user units. The font is 12 units (CSS); a
// character is taken as 7 units wide, a little more than the average, so
// that a slightly larger font on a phone still fits.
const (
	defaultWidth  = 800
	defaultHeight = 240
	charWidth     = 7
	rowHeight     = 18
	titleHeight   = 20
	xLabelHeight  = 20
	rightMargin   = 16
	swatchSize    = 10
	maxNameChars  = 40
	// Values beyond ±valueLimit are drawn as ±valueLimit, so that sums,
	// spans and nice numbers stay finite.
	valueLimit = 1e300
)

// Render writes c as one <svg> element. It fails only when w does; a
// chart with no series or no points in its range is drawn as an empty
// frame that says "no data in this range".
//
// Gaps: a NaN or infinite value breaks a line (a new subpath), unless the
// break is narrower than one pixel column. In a stacked area the series
// are bucketed in columns of two units and each series counts with its
// peak in the column; a series with no sample in a column counts as 0
// there, so the bands above it do not fall into a hole. Only where no
// series has a value and at least one has a missing sample is the area
// broken. Each band is drawn down to zero and painted from the top band
// to the bottom one, which halves the path data but means the bands must
// be opaque, as the CSS makes them.
func Render(w io.Writer, c Chart) error {
	b := make([]byte, 0, 8<<10)
	b = appendChart(b, &c)
	_, err := w.Write(b)
	return err
}

// prepared is a series restricted to the chart's range and sorted by time.
type prepared struct {
	name, color string
	class       string // the palette class, when color is ""
	pts         []Point
	finite      int     // how many points have a drawable value
	last        float64 // the latest drawable value, NaN if none
}

// frame is the geometry of one chart: the plot rectangle and how times and
// values map onto it.
type frame struct {
	w, h                     int
	left, right, top, bottom float64
	start, end               time.Time
	span                     float64 // end-start in nanoseconds, > 0
	lo, hi                   float64 // values at the bottom and top
}

// frac maps a time to its fraction of the range, 0 at Start, 1 at End.
func (f *frame) frac(t time.Time) float64 {
	return float64(t.Sub(f.start)) / f.span
}

func (f *frame) yOf(v float64) float64 {
	y := f.bottom - (v-f.lo)/(f.hi-f.lo)*(f.bottom-f.top)
	return math.Max(f.top, math.Min(f.bottom, y))
}

func appendChart(b []byte, c *Chart) []byte {
	f := frame{w: c.Width, h: c.Height}
	if f.w <= 0 {
		f.w = defaultWidth
	}
	if f.h <= 0 {
		f.h = defaultHeight
	}
	f.w = max(f.w, 160)
	f.h = max(f.h, 100)

	ss, hasRange := prepare(c, &f)
	drawn := 0
	for i := range ss {
		drawn += ss[i].finite
	}
	empty := drawn == 0

	// The value range comes from the data, or for a stacked area from the
	// piled-up columns, which are bucketed by time and so do not depend on
	// the plot's width in pixels.
	var st *stack
	lo, hi := math.Inf(1), math.Inf(-1)
	if c.Kind == StackedArea && !empty {
		st = newStack(ss, &f, f.w/2)
		lo, hi = st.lo, st.hi
	} else {
		for i := range ss {
			for _, p := range ss[i].pts {
				if v := p.V; !math.IsNaN(v) && !math.IsInf(v, 0) {
					v = clampValue(v)
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	ax := valueAxis(lo, hi, c.YMax, c.Unit)
	f.lo, f.hi = ax.lo, ax.hi

	// Layout: title, plot, time labels, legend rows.
	labelChars := 3 // "UTC"
	for _, l := range ax.labels {
		labelChars = max(labelChars, utf8.RuneCountInString(l))
	}
	f.left = float64(min(labelChars*charWidth+10, f.w/3))
	f.right = float64(f.w - rightMargin)
	f.top = 10
	if c.Title != "" {
		f.top = titleHeight + 10
	}
	leg := legendLayout(ss, c.Unit, f.left, float64(f.w), max(1, (f.h-int(f.top)-xLabelHeight-40)/rowHeight))
	f.bottom = float64(f.h - xLabelHeight - 4 - len(leg.rows)*rowHeight)
	leg.top = f.bottom + xLabelHeight + 4

	var ticks []timeTick
	if hasRange {
		ticks = timeTicks(f.start, f.end)
	}

	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(f.w), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(f.h), 10)
	b = append(b, `" width="100%" role="img" aria-label="`...)
	b = appendEscaped(b, description(c, ss, &f, hasRange, empty))
	b = append(b, `" data-unit="`...)
	b = append(b, c.Unit.String()...)
	b = append(b, `" data-t0="`...)
	b = strconv.AppendInt(b, f.start.UnixMilli(), 10)
	b = append(b, `" data-t1="`...)
	b = strconv.AppendInt(b, f.end.UnixMilli(), 10)
	b = append(b, `" data-x0="`...)
	b = appendNum(b, f.left)
	b = append(b, `" data-x1="`...)
	b = appendNum(b, f.right)
	b = append(b, `" data-y0="`...)
	b = appendNum(b, f.top)
	b = append(b, `" data-y1="`...)
	b = appendNum(b, f.bottom)
	b = append(b, `" data-v0="`...)
	b = strconv.AppendFloat(b, f.hi, 'g', -1, 64)
	b = append(b, `" data-v1="`...)
	b = strconv.AppendFloat(b, f.lo, 'g', -1, 64)
	b = append(b, `"><title>`...)
	b = appendEscaped(b, title(c))
	b = append(b, "</title>"...)
	if c.Title != "" {
		b = append(b, `<text class="title" x="0" y="14">`...)
		b = appendEscaped(b, c.Title)
		b = append(b, "</text>"...)
	}

	// Gridlines: one path for all of them.
	b = append(b, `<path class="grid" d="`...)
	if !empty {
		for _, t := range ax.ticks {
			y := f.yOf(t)
			b = append(b, 'M')
			b = appendNum(b, f.left)
			b = append(b, ' ')
			b = appendNum(b, y)
			b = append(b, 'H')
			b = appendNum(b, f.right)
		}
	}
	for _, t := range ticks {
		x := f.left + f.frac(t.t)*(f.right-f.left)
		b = append(b, 'M')
		b = appendNum(b, x)
		b = append(b, ' ')
		b = appendNum(b, f.top)
		b = append(b, 'V')
		b = appendNum(b, f.bottom)
	}
	b = append(b, `"/>`...)

	// Tick labels.
	b = append(b, `<g class="ticks">`...)
	if !empty {
		for i, t := range ax.ticks {
			b = appendText(b, f.left-6, f.yOf(t)+4, "end", ax.labels[i])
		}
	}
	for _, t := range ticks {
		x := f.left + f.frac(t.t)*(f.right-f.left)
		half := float64(len(t.label)*charWidth) / 2
		anchor := "middle"
		switch {
		case x+half > float64(f.w):
			x, anchor = float64(f.w-1), "end"
		case x-half < 0:
			x, anchor = 0, "start"
		}
		b = appendText(b, x, f.bottom+15, anchor, t.label)
	}
	if len(ticks) > 0 {
		b = appendText(b, f.left-6, f.bottom+15, "end", "UTC")
	}
	b = append(b, "</g>"...)

	// Axes: the bottom edge, or a frame around an empty plot; a zero line
	// when the values go below zero.
	if empty {
		b = append(b, `<rect class="axis" x="`...)
		b = appendNum(b, f.left)
		b = append(b, `" y="`...)
		b = appendNum(b, f.top)
		b = append(b, `" width="`...)
		b = appendNum(b, f.right-f.left)
		b = append(b, `" height="`...)
		b = appendNum(b, f.bottom-f.top)
		b = append(b, `"/>`...)
		b = appendText(b, (f.left+f.right)/2, (f.top+f.bottom)/2+5, "middle", "no data in this range")
	} else {
		b = append(b, `<path class="axis" d="M`...)
		b = appendNum(b, f.left)
		b = append(b, ' ')
		b = appendNum(b, f.bottom)
		b = append(b, 'H')
		b = appendNum(b, f.right)
		if f.lo < 0 && f.hi > 0 {
			b = append(b, 'M')
			b = appendNum(b, f.left)
			b = append(b, ' ')
			b = appendNum(b, f.yOf(0))
			b = append(b, 'H')
			b = appendNum(b, f.right)
		}
		b = append(b, `"/>`...)
	}

	b = append(b, `<g class="plot">`...)
	if st != nil {
		// Top band first: each band is drawn down to zero and the ones
		// below paint over it.
		for i := len(ss) - 1; i >= 0; i-- {
			b = st.appendArea(b, &ss[i], i, &f)
		}
	} else {
		for i := range ss {
			b = appendLine(b, &ss[i], &f)
		}
	}
	b = append(b, "</g>"...)

	b = leg.append(b, ss)
	b = append(b, "</svg>"...)
	return b
}

// prepare restricts the series to the chart's range, sorts them, and
// settles the range itself. hasRange is false when there is neither a
// range nor a point to take one from.
func prepare(c *Chart, f *frame) (ss []prepared, hasRange bool) {
	f.start, f.end = c.Start, c.End
	if f.start.IsZero() || f.end.IsZero() {
		var lo, hi time.Time
		for _, s := range c.Series {
			for _, p := range s.Points {
				if lo.IsZero() || p.T.Before(lo) {
					lo = p.T
				}
				if hi.IsZero() || p.T.After(hi) {
					hi = p.T
				}
			}
		}
		if f.start.IsZero() {
			f.start = lo
		}
		if f.end.IsZero() {
			f.end = hi
		}
	}
	hasRange = !f.start.IsZero() || !f.end.IsZero()
	if f.end.Before(f.start) {
		f.start, f.end = f.end, f.start
	}
	if !f.end.After(f.start) {
		f.start, f.end = f.start.Add(-30*time.Second), f.end.Add(30*time.Second)
	}
	f.span = float64(f.end.Sub(f.start))

	ss = make([]prepared, len(c.Series))
	palette := 0
	for i, s := range c.Series {
		p := &ss[i]
		p.name, p.color, p.last = s.Name, s.Color, math.NaN()
		if s.Color == "" {
			p.class = paletteClass[palette%len(paletteClass)]
			palette++
		}
		n := 0
		for _, pt := range s.Points {
			if !pt.T.Before(f.start) && !pt.T.After(f.end) {
				n++
			}
		}
		p.pts = make([]Point, 0, n)
		for _, pt := range s.Points {
			if !pt.T.Before(f.start) && !pt.T.After(f.end) {
				p.pts = append(p.pts, pt)
			}
		}
		if !slices.IsSortedFunc(p.pts, comparePoints) {
			slices.SortStableFunc(p.pts, comparePoints)
		}
		for _, pt := range p.pts {
			if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
				p.finite++
				p.last = pt.V
			}
		}
	}
	return ss, hasRange
}

func comparePoints(a, b Point) int { return a.T.Compare(b.T) }

var paletteClass = [...]string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}

func clampValue(v float64) float64 {
	return math.Max(-valueLimit, math.Min(valueLimit, v))
}

func title(c *Chart) string {
	if c.Title == "" {
		return "Chart"
	}
	return c.Title
}

// description says in words what the chart shows, for aria-label.
func description(c *Chart, ss []prepared, f *frame, hasRange, empty bool) string {
	d := title(c) + ": " + c.Kind.String()
	if hasRange {
		d += " from " + f.start.UTC().Format("2006-01-02 15:04") + " to " +
			f.end.UTC().Format("2006-01-02 15:04") + " UTC (" + spanWords(f.end.Sub(f.start)) + ")"
	}
	if empty {
		return d + ", no data in this range."
	}
	d += ". Latest:"
	for i, s := range ss {
		if i > 0 {
			d += ","
		}
		d += " " + s.name + " " + FormatValue(s.last, c.Unit)
	}
	return d + "."
}

// spanWords is a duration the way a person says it: "24 hours", "7 days".
func spanWords(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.FormatInt(n, 10) + " " + unit + "s"
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int64(d/time.Minute), "minute")
	}
	return d.Round(time.Second).String()
}

// appendText writes a <text> element whose content is escaped.
func appendText(b []byte, x, y float64, anchor, s string) []byte {
	b = append(b, `<text x="`...)
	b = appendNum(b, x)
	b = append(b, `" y="`...)
	b = appendNum(b, y)
	if anchor != "start" {
		b = append(b, `" text-anchor="`...)
		b = append(b, anchor...)
	}
	b = append(b, `">`...)
	b = appendEscaped(b, s)
	return append(b, "</text>"...)
}
