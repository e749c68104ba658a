package collect

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	dto "github.com/prometheus/client_model/go"
)

// Gatherer is one scrape's worth of everything mihari exports: the
// collectors' metrics and mihari's own (its sources' cost, its process,
// the Go runtime, its build).
//
// Scrapes that arrive while one is being gathered share its result rather
// than collect again: two Prometheus servers scraping the same agent cost
// one collection.
type Gatherer struct {
	reg      *prometheus.Registry
	node     *Node
	includes []*include

	mu       sync.Mutex
	inflight *gathering
	ctx      context.Context // of the gathering in progress; guarded by it being the only one
}

type gathering struct {
	done chan struct{}
	mfs  []*dto.MetricFamily
	err  error
}

// NewGatherer returns a Gatherer for node, with r's accounting.
func NewGatherer(node *Node, r *Reader) *Gatherer {
	g := &Gatherer{reg: prometheus.NewRegistry(), node: node}
	g.reg.MustRegister(
		nodeAdapter{g: g, self: newSelfCollector(r), reader: r},
		collectors.NewGoCollector(),
		versioncollector.NewCollector("mihari"),
	)
	return g
}

// Registry returns the registry, for other parts of the agent to register
// their own metrics.
func (g *Gatherer) Registry() *prometheus.Registry { return g.reg }

// include is a gatherer whose named families join each collection.
type include struct {
	g     prometheus.Gatherer
	names map[string]bool
	every time.Duration

	// Guarded by the gathering in progress being the only one.
	at  time.Time
	mfs []*dto.MetricFamily
	err error
}

// Include adds the families of other that are named in names to every
// collection: a few chosen metrics of a registry that is too big to export
// whole. other is gathered at most once per every (gathering it whole is
// the cost), its families reused in between. Call it before the first
// Gather.
func (g *Gatherer) Include(other prometheus.Gatherer, every time.Duration, names ...string) {
	in := &include{g: other, names: map[string]bool{}, every: every}
	for _, n := range names {
		in.names[n] = true
	}
	g.includes = append(g.includes, in)
}

// Gather runs one collection; ctx bounds how long the collectors wait.
func (g *Gatherer) Gather(ctx context.Context) ([]*dto.MetricFamily, error) {
	g.mu.Lock()
	if f := g.inflight; f != nil {
		g.mu.Unlock()
		select {
		case <-f.done:
			return f.mfs, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &gathering{done: make(chan struct{})}
	g.inflight = f
	g.ctx = ctx
	g.mu.Unlock()

	f.mfs, f.err = g.reg.Gather()
	if len(g.includes) > 0 {
		f.mfs, f.err = g.addIncludes(f.mfs, f.err)
	}

	g.mu.Lock()
	g.inflight, g.ctx = nil, nil
	g.mu.Unlock()
	close(f.done)
	return f.mfs, f.err
}

// WithContext adapts Gather to prometheus.Gatherer for one scrape.
func (g *Gatherer) WithContext(ctx context.Context) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return g.Gather(ctx) })
}

// nodeAdapter runs the Node inside the registry with the context of the
// gathering in progress, then reports mihari's own process and the cost of
// the reads — after the collectors, so that it includes this scrape's.
type nodeAdapter struct {
	g      *Gatherer
	self   *selfCollector
	reader *Reader
}

func (a nodeAdapter) Describe(ch chan<- *prometheus.Desc) {
	ch <- scrapeDurationDesc
	ch <- scrapeSuccessDesc
	a.self.Describe(ch)
	a.reader.Describe(ch)
}

func (a nodeAdapter) Collect(ch chan<- prometheus.Metric) {
	a.g.mu.Lock()
	ctx := a.g.ctx
	a.g.mu.Unlock()
	if ctx == nil {
		// Gathered through the registry directly, not through Gather.
		ctx = context.Background()
	}
	a.g.node.Collect(ctx, ch)
	a.self.Collect(ch)
	a.reader.Collect(ch)
}

func (g *Gatherer) addIncludes(mfs []*dto.MetricFamily, err error) ([]*dto.MetricFamily, error) {
	errs := prometheus.MultiError{}
	if err != nil {
		errs = append(errs, err)
	}
	have := make(map[string]bool, len(mfs))
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	now := time.Now()
	for _, in := range g.includes {
		if in.at.IsZero() || now.Sub(in.at) >= in.every {
			all, err := in.g.Gather()
			in.mfs, in.err, in.at = in.mfs[:0], err, now
			for _, mf := range all {
				if in.names[mf.GetName()] {
					in.mfs = append(in.mfs, mf)
				}
			}
		}
		if in.err != nil {
			errs = append(errs, in.err)
		}
		for _, mf := range in.mfs {
			if !have[mf.GetName()] {
				mfs = append(mfs, mf)
				have[mf.GetName()] = true
			}
		}
	}
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return mfs, errs.MaybeUnwrap()
}
