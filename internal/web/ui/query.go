package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"

	"github.com/mihari-dev/mihari/internal/web/chart"
)

// Ranges are the time ranges the pages offer, shortest first.
var Ranges = []struct {
	Name string
	D    time.Duration
}{
	{"5m", 5 * time.Minute}, {"1h", time.Hour}, {"6h", 6 * time.Hour},
	{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour},
}

// parseRange returns the range a page asks for, 1h when it names none.
func parseRange(s string) (string, time.Duration) {
	for _, r := range Ranges {
		if r.Name == s {
			return r.Name, r.D
		}
	}
	return "1h", time.Hour
}

// maxPoints is the most points a chart's series asks the engine for; a
// chart keeps at most two a pixel column of its width (480 to 960).
const maxPoints = 720

// window is a query's time span and resolution.
type window struct {
	Start, End time.Time
	Step       time.Duration
	// Rate is the range of rate(): at least four collections, so that a
	// rate has samples to work with even at the finest step.
	Rate string
}

func (u *UI) window(d time.Duration) window {
	end := u.o.Now().Truncate(time.Second)
	step := max(u.o.Interval, (d / maxPoints).Truncate(time.Second))
	rate := max(step, 4*u.o.Interval)
	return window{Start: end.Add(-d), End: end, Step: step, Rate: promDuration(rate)}
}

// promDuration writes d as PromQL does: 1m30s, 15s, 2h.
func promDuration(d time.Duration) string {
	s := d.Truncate(time.Second).String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}

// rangeQuery runs expr over the window; $rate in expr is replaced by the
// window's rate range (a PromQL duration).
func (u *UI) rangeQuery(ctx context.Context, expr string, w window) (promql.Matrix, error) {
	expr = strings.ReplaceAll(expr, "$rate", w.Rate)
	q, err := u.o.Engine.NewRangeQuery(ctx, u.o.Queryable, nil, expr, w.Start, w.End, w.Step)
	var m promql.Matrix
	err = run(ctx, q, err, func(res *promql.Result) error {
		got, err := res.Matrix()
		if err != nil {
			return fmt.Errorf("%s: %w", expr, err)
		}
		// The engine takes the points' memory back when the query is
		// closed: keep a copy.
		m = make(promql.Matrix, len(got))
		for i, s := range got {
			m[i] = promql.Series{Metric: s.Metric, Floats: slices.Clone(s.Floats)}
		}
		return nil
	})
	return m, err
}

// instantQuery runs expr at the end of the window.
func (u *UI) instantQuery(ctx context.Context, expr string, w window) (promql.Vector, error) {
	expr = strings.ReplaceAll(expr, "$rate", w.Rate)
	q, err := u.o.Engine.NewInstantQuery(ctx, u.o.Queryable, nil, expr, w.End)
	var v promql.Vector
	err = run(ctx, q, err, func(res *promql.Result) error {
		switch r := res.Value.(type) {
		case promql.Vector:
			v = slices.Clone(r)
		case promql.Scalar:
			v = promql.Vector{{T: r.T, F: r.V}}
		default:
			return fmt.Errorf("%s: not a vector", expr)
		}
		return nil
	})
	return v, err
}

// run executes a query made with err, and hands its result to keep
// before the query is closed.
func run(ctx context.Context, q promql.Query, err error, keep func(*promql.Result) error) error {
	if err != nil {
		return err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return res.Err
	}
	return keep(res)
}

// series turns a matrix queried at step into chart series named by label
// (or by the whole label set when label is ""), sorted by name, or in
// order when order names them. Where steps are missing (the agent was
// down, the process not running) a NaN breaks the line.
func series(m promql.Matrix, step time.Duration, label string, order ...string) []chart.Series {
	out := make([]chart.Series, 0, len(m))
	gap := int64(step/time.Millisecond) * 3 / 2
	for _, s := range m {
		name := seriesName(s.Metric)
		if label != "" {
			name = s.Metric.Get(label)
		}
		cs := chart.Series{Name: name, Points: make([]chart.Point, 0, len(s.Floats))}
		for i, p := range s.Floats {
			if i > 0 && p.T-s.Floats[i-1].T > gap {
				cs.Points = append(cs.Points, chart.Point{T: time.UnixMilli(s.Floats[i-1].T + gap), V: math.NaN()})
			}
			cs.Points = append(cs.Points, chart.Point{T: time.UnixMilli(p.T), V: p.F})
		}
		out = append(out, cs)
	}
	rank := func(n string) int {
		if i := slices.Index(order, n); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(out, func(a, b chart.Series) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// value is a vector's single value, NaN when it is empty.
func value(v promql.Vector) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return v[0].F
}

// byLabels indexes a vector by the values of some labels.
func byLabels(v promql.Vector, names ...string) map[string]float64 {
	out := make(map[string]float64, len(v))
	for _, s := range v {
		out[key(s.Metric, names...)] = s.F
	}
	return out
}

func key(l labels.Labels, names ...string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = l.Get(n)
	}
	return strings.Join(parts, "\x00")
}

// seriesName writes a label set as PromQL does: node_load1{instance="a"}.
func seriesName(l labels.Labels) string {
	name := l.Get(model.MetricNameLabel)
	if name == "" {
		return l.String()
	}
	rest := l.DropReserved(func(n string) bool { return n == model.MetricNameLabel })
	if rest.IsEmpty() {
		return name
	}
	return name + rest.String()
}
