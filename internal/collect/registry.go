package collect

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
)

// Collector turns what it reads through its Env's Reader into metrics.
// Read, parse and expose are separate steps: a collector reads through a
// Source, hands the bytes to a parser, and sends const metrics.
type Collector interface {
	// Update sends the collector's metrics to ch. ctx ends when the scrape
	// must be answered; reads through the Reader honour it.
	Update(ctx context.Context, ch chan<- prometheus.Metric) error
}

// ErrNoData is returned by a collector that found nothing to report on this
// host (no PSI in the kernel, say); it is not counted as a failure.
var ErrNoData = errors.New("collector returned no data")

// Env is what a collector is built with.
type Env struct {
	Paths  Paths
	Reader *Reader
	Logger *slog.Logger
}

// Factory builds a configured collector.
type Factory func(Env) (Collector, error)

// Spec describes a collector to the registry.
type Spec struct {
	// Name is the collector's name in --collector.<name> and in the
	// collector label of node_scrape_collector_*.
	Name string
	// Default says whether the collector runs unless disabled.
	Default bool
	// Help is one line for --collector.<name>: what it exports.
	Help string
	// Setup registers the collector's own flags on fs (named
	// --collector.<name>.<option>) and returns its factory, which sees the
	// parsed values.
	Setup func(fs *pflag.FlagSet) Factory
}

var (
	registryMu sync.Mutex
	registry   = map[string]Spec{}
)

// Register adds a collector; collectors call it from init.
func Register(s Spec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[s.Name]; dup {
		panic("collect: collector registered twice: " + s.Name)
	}
	registry[s.Name] = s
}

// Specs returns the registered collectors sorted by name.
func Specs() []Spec {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]Spec, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var (
	scrapeDurationDesc = prometheus.NewDesc("node_scrape_collector_duration_seconds",
		"mihari: seconds a collector took in this scrape.", []string{"collector"}, nil)
	scrapeSuccessDesc = prometheus.NewDesc("node_scrape_collector_success",
		"mihari: 1 if a collector succeeded in this scrape, 0 if it failed.", []string{"collector"}, nil)
)

// Node runs a set of collectors concurrently, node_exporter style, and
// reports each one's duration and success.
type Node struct {
	names      []string
	collectors map[string]Collector
	log        *slog.Logger
}

// NewNode returns a Node running collectors (keyed by name).
func NewNode(collectors map[string]Collector, log *slog.Logger) *Node {
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	return &Node{names: names, collectors: collectors, log: log}
}

// Names returns the names of the collectors that run, sorted.
func (n *Node) Names() []string { return n.names }

// Collect runs every collector with ctx and sends their metrics to ch.
func (n *Node) Collect(ctx context.Context, ch chan<- prometheus.Metric) {
	ctx = WithScrape(ctx)
	var wg sync.WaitGroup
	for _, name := range n.names {
		c := n.collectors[name]
		wg.Go(func() { n.execute(ctx, name, c, ch) })
	}
	wg.Wait()
}

func (n *Node) execute(ctx context.Context, name string, c Collector, ch chan<- prometheus.Metric) {
	begin := time.Now()
	err := c.Update(ctx, ch)
	d := time.Since(begin)
	success := 1.0
	switch {
	case err == nil:
	case errors.Is(err, ErrNoData):
		n.log.Debug("collector returned no data", "collector", name, "duration_seconds", d.Seconds(), "err", err)
	default:
		success = 0
		n.log.Error("collector failed", "collector", name, "duration_seconds", d.Seconds(), "err", err)
	}
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, d.Seconds(), name)
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, success, name)
}
