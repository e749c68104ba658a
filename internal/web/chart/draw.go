package chart

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Unit is what a chart's values measure; it decides how they are written.
type Unit int

const (
	// None writes plain numbers with SI prefixes.
	None Unit = iota
	// Percent is a ratio, 0.25 written as 25%.
	Percent
	// Bytes are written with binary prefixes: KiB, MiB, GiB.
	Bytes
	// BytesPerSecond is a rate of Bytes.
	BytesPerSecond
	// Seconds are written as ns, µs, ms, s, min or h.
	Seconds
	// Cores are CPU seconds per second.
	Cores
	// Count is a number of things, with SI prefixes.
	Count
	// PerSecond is a rate of a Count.
	PerSecond
)

var unitNames = [...]string{"", "percent", "bytes", "bytes/s", "seconds", "cores", "count", "/s"}

func (u Unit) String() string {
	if u < 0 || int(u) >= len(unitNames) {
		return ""
	}
	return unitNames[u]
}

// FormatValue writes v in unit u with about three significant digits,
// as the charts' axes and legends do. A missing value is "–".
func FormatValue(v float64, u Unit) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch u {
	case Percent:
		return short(v*100) + "%"
	case Bytes:
		return binary(v, "B")
	case BytesPerSecond:
		return binary(v, "B/s")
	case Seconds:
		return duration(v)
	case Cores:
		return short(v)
	case PerSecond:
		return si(v) + "/s"
	}
	return si(v)
}

// short writes about three significant digits without trailing zeros.
func short(v float64) string {
	a := math.Abs(v)
	prec := 2
	switch {
	case a >= 100:
		prec = 0
	case a >= 10:
		prec = 1
	case a < 1e-12:
		return "0"
	case a < 0.01:
		// Two significant digits, without an exponent: 0.000084.
		prec = int(-math.Floor(math.Log10(a))) + 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if prec > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

var siPrefixes = [...]string{"", "k", "M", "G", "T", "P", "E"}

func si(v float64) string {
	i := 0
	for math.Abs(v) >= 1000 && i < len(siPrefixes)-1 {
		v /= 1000
		i++
	}
	return short(v) + siPrefixes[i]
}

var binaryPrefixes = [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}

func binary(v float64, unit string) string {
	i := 0
	for math.Abs(v) >= 1024 && i < len(binaryPrefixes)-1 {
		v /= 1024
		i++
	}
	return short(v) + " " + binaryPrefixes[i] + unit
}

func duration(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0 s"
	case a < 1e-6:
		return short(v*1e9) + " ns"
	case a < 1e-3:
		return short(v*1e6) + " µs"
	case a < 1:
		return short(v*1e3) + " ms"
	case a < 120:
		return short(v) + " s"
	case a < 7200:
		return short(v/60) + " min"
	}
	return short(v/3600) + " h"
}

// axis is the value axis: its range and labelled ticks.
type axis struct {
	lo, hi float64
	ticks  []float64
	labels []string
}

// valueAxis chooses the Y range and 3–6 ticks at nice numbers: 1, 2, 2.5
// or 5 times a power of ten, of 1024 for bytes. The range starts at zero
// unless the data go below it.
func valueAxis(lo, hi, ymax float64, u Unit) axis {
	if math.IsInf(lo, 1) || math.IsInf(hi, -1) {
		lo, hi = 0, 1
	}
	lo = math.Min(lo, 0)
	if ymax > 0 && !math.IsInf(ymax, 0) {
		hi = clampValue(ymax)
	}
	if hi <= lo {
		hi = lo + 1
	}
	scale := 1.0
	if u == Bytes || u == BytesPerSecond {
		for scale < 1e290 && (hi-lo)/scale >= 1024 {
			scale *= 1024
		}
	}
	step := niceStep((hi-lo)/scale/4) * scale
	if ymax <= 0 {
		hi = math.Ceil(hi/step) * step
	}
	lo = math.Floor(lo/step) * step
	a := axis{lo: lo, hi: hi}
	for i := 0; i <= 12; i++ {
		t := lo + float64(i)*step
		if t > hi*(1+1e-9)+1e-300 && t > hi {
			break
		}
		if math.Abs(t) < step*1e-9 {
			t = 0
		}
		a.ticks = append(a.ticks, t)
		a.labels = append(a.labels, FormatValue(t, u))
	}
	return a
}

// niceStep rounds x up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

type timeTick struct {
	t     time.Time
	label string
}

var tickSteps = []time.Duration{
	10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeTicks labels the time axis at round UTC times, at most 6 of them.
func timeTicks(start, end time.Time) []timeTick {
	span := end.Sub(start)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 6 {
			step = s
			break
		}
	}
	if span/step > 12 {
		return nil // longer than a year: leave the axis bare
	}
	layout := "15:04"
	switch {
	case step >= 24*time.Hour:
		layout = "Jan 2"
	case span > 24*time.Hour:
		layout = "Jan 2 15:04"
	case step < time.Minute:
		layout = "15:04:05"
	}
	var ts []timeTick
	for t := start.UTC().Truncate(step); !t.After(end); t = t.Add(step) {
		if t.Before(start) {
			continue
		}
		ts = append(ts, timeTick{t, t.Format(layout)})
	}
	return ts
}

// legend is the rows of series names under the plot, with their latest
// values.
type legend struct {
	top  float64
	rows [][]legendItem
	more int // series left out for want of rows
	unit Unit
}

type legendItem struct {
	x     float64
	index int
	text  string
}

func legendLayout(ss []prepared, u Unit, left, width float64, maxRows int) legend {
	l := legend{unit: u}
	x := left
	var row []legendItem
	for i := range ss {
		name := ss[i].name
		if utf8.RuneCountInString(name) > maxNameChars {
			r := []rune(name)
			name = string(r[:maxNameChars-1]) + "…"
		}
		text := name + " " + FormatValue(ss[i].last, u)
		w := float64(swatchSize + 4 + utf8.RuneCountInString(text)*charWidth + 14)
		if len(row) > 0 && x+w > width-rightMargin {
			l.rows = append(l.rows, row)
			row, x = nil, left
		}
		if len(l.rows) == maxRows {
			l.more = len(ss) - i
			break
		}
		row = append(row, legendItem{x: x, index: i, text: text})
		x += w
	}
	if len(row) > 0 {
		l.rows = append(l.rows, row)
	}
	return l
}

func (l *legend) append(b []byte, ss []prepared) []byte {
	if len(l.rows) == 0 {
		return b
	}
	b = append(b, `<g class="legend">`...)
	for r, row := range l.rows {
		y := l.top + float64(r*rowHeight)
		for _, it := range row {
			s := &ss[it.index]
			b = append(b, `<rect x="`...)
			b = appendNum(b, it.x)
			b = append(b, `" y="`...)
			b = appendNum(b, y+3)
			b = append(b, `" width="10" height="10"`...)
			b = appendPaint(b, s, "fill")
			b = append(b, `/>`...)
			b = appendText(b, it.x+swatchSize+4, y+12, "start", it.text)
		}
	}
	if l.more > 0 {
		y := l.top + float64((len(l.rows)-1)*rowHeight)
		b = appendText(b, 0, y+12, "start", "+"+strconv.Itoa(l.more)+" more")
	}
	return append(b, "</g>"...)
}

// appendPaint writes a series' colour: its palette class, or its own
// colour as a presentation attribute (not a style, which the pages'
// Content-Security-Policy forbids).
func appendPaint(b []byte, s *prepared, attr string) []byte {
	if s.color == "" {
		b = append(b, ` class="`...)
		b = append(b, s.class...)
		return append(b, '"')
	}
	b = append(b, ' ')
	b = append(b, attr...)
	b = append(b, `="`...)
	b = appendEscaped(b, s.color)
	return append(b, '"')
}

func appendSeriesStart(b []byte, s *prepared, kind string) []byte {
	b = append(b, `<path class="series `...)
	b = append(b, kind...)
	if s.class != "" {
		b = append(b, ' ')
		b = append(b, s.class...)
	}
	b = append(b, `" data-series="`...)
	b = appendEscaped(b, s.name)
	b = append(b, `" data-points="`...)
	b = strconv.AppendInt(b, int64(s.finite), 10)
	b = append(b, '"')
	if s.color != "" {
		attr := "stroke"
		if kind == "area" {
			attr = "fill"
		}
		b = append(b, ' ')
		b = append(b, attr...)
		b = append(b, `="`...)
		b = appendEscaped(b, s.color)
		b = append(b, '"')
	}
	return append(b, ` d="`...)
}

// appendLine draws a series as a line, keeping of each pixel column only
// its lowest and highest point, in the order they came.
func appendLine(b []byte, s *prepared, f *frame) []byte {
	b = appendSeriesStart(b, s, "line")
	var (
		col                  = math.MinInt
		lastCol              = math.MinInt
		first, lowest, upper Point
		n                    int  // points in the current column
		sub                  int  // points in the current subpath
		gap                  bool // a missing sample since the last point
	)
	xOf := func(t time.Time) float64 { return f.left + f.frac(t)*(f.right-f.left) }
	emit := func(p Point) {
		if sub == 0 {
			b = append(b, 'M')
		} else {
			b = append(b, 'L')
		}
		b = appendNum(b, xOf(p.T))
		b = append(b, ' ')
		b = appendNum(b, f.yOf(p.V))
		sub++
	}
	flush := func() {
		if n == 0 {
			return
		}
		// The column's extremes, earliest first; one point if they are
		// the same.
		a, z := lowest, upper
		if z.T.Before(a.T) {
			a, z = z, a
		}
		if n == 1 || a == z {
			emit(first)
		} else {
			emit(a)
			emit(z)
		}
		lastCol, n = col, 0
	}
	endSub := func() {
		if sub == 1 {
			b = append(b, "h0"...) // a lone sample still shows, as a dot
		}
		sub = 0
	}
	for _, p := range s.pts {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			gap = true
			continue
		}
		p.V = clampValue(p.V)
		c := int(math.Floor(xOf(p.T)))
		if c != col {
			flush()
			if gap && lastCol != math.MinInt && c > lastCol+1 {
				endSub()
			}
			col, first, lowest, upper = c, p, p, p
		}
		gap = false
		if p.V < lowest.V {
			lowest = p
		}
		if p.V > upper.V {
			upper = p
		}
		n++
	}
	flush()
	endSub()
	return append(b, `"/>`...)
}

// stack is a stacked area bucketed in columns of the plot.
type stack struct {
	cols   int
	state  []uint8     // per column: empty, drawn or broken
	tops   [][]float64 // per series, per column: the top of its band
	lo, hi float64
}

const (
	colEmpty uint8 = iota
	colDrawn
	colBroken
)

func newStack(ss []prepared, f *frame, cols int) *stack {
	cols = max(cols, 1)
	st := &stack{cols: cols, state: make([]uint8, cols), tops: make([][]float64, len(ss))}
	missing := make([]bool, cols)
	sum := make([]float64, cols)
	peak := make([]float64, cols)
	has := make([]bool, cols)
	for i := range ss {
		clear(has)
		for _, p := range ss[i].pts {
			c := min(cols-1, max(0, int(f.frac(p.T)*float64(cols))))
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				missing[c] = true
				continue
			}
			v := clampValue(p.V)
			if !has[c] || v > peak[c] {
				peak[c] = v
			}
			has[c] = true
		}
		top := make([]float64, cols)
		for c := range cols {
			if has[c] {
				sum[c] = clampValue(sum[c] + peak[c])
				st.state[c] = colDrawn
			}
			top[c] = sum[c]
		}
		st.tops[i] = top
	}
	st.lo, st.hi = math.Inf(1), math.Inf(-1)
	for c := range cols {
		if st.state[c] == colEmpty && missing[c] {
			st.state[c] = colBroken
		}
		if st.state[c] != colDrawn {
			continue
		}
		for i := range st.tops {
			st.lo = math.Min(st.lo, st.tops[i][c])
			st.hi = math.Max(st.hi, st.tops[i][c])
		}
	}
	return st
}

// appendArea draws band i from zero up to its top, one closed shape for
// each run of columns between breaks.
func (st *stack) appendArea(b []byte, s *prepared, i int, f *frame) []byte {
	b = appendSeriesStart(b, s, "area")
	base := f.yOf(math.Max(f.lo, math.Min(0, f.hi)))
	edge := func(c int) float64 { return f.left + float64(c)/float64(st.cols)*(f.right-f.left) }
	top := st.tops[i]
	run, last := false, 0
	closeRun := func() {
		b = append(b, 'L')
		b = appendNum(b, edge(last+1))
		b = append(b, ' ')
		b = appendNum(b, f.yOf(top[last]))
		b = append(b, 'L')
		b = appendNum(b, edge(last+1))
		b = append(b, ' ')
		b = appendNum(b, base)
		b = append(b, 'Z')
		run = false
	}
	for c := range st.cols {
		switch st.state[c] {
		case colBroken:
			if run {
				closeRun()
			}
			continue
		case colEmpty:
			continue
		}
		if !run {
			b = append(b, 'M')
			b = appendNum(b, edge(c))
			b = append(b, ' ')
			b = appendNum(b, base)
			b = append(b, 'L')
			b = appendNum(b, edge(c))
			b = append(b, ' ')
			b = appendNum(b, f.yOf(top[c]))
			run = true
		}
		b = append(b, 'L')
		b = appendNum(b, (edge(c)+edge(c+1))/2)
		b = append(b, ' ')
		b = appendNum(b, f.yOf(top[c]))
		last = c
	}
	if run {
		closeRun()
	}
	return append(b, `"/>`...)
}

// appendNum writes a coordinate to a tenth of a unit.
func appendNum(b []byte, v float64) []byte {
	r := math.Round(v*10) / 10
	if r == 0 || math.IsNaN(r) {
		r = 0 // no "-0"
	}
	return strconv.AppendFloat(b, r, 'f', -1, 64)
}

// appendEscaped writes s escaped for XML text and attributes; control
// characters and invalid UTF-8, which XML cannot hold, become U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '"':
			b = append(b, "&#34;"...)
		case r == '\'':
			b = append(b, "&#39;"...)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f, r >= 0xfffe && r <= 0xffff:
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}
