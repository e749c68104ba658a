package cli

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/collect"
)

type metricsOptions struct {
	collect       collect.Options
	asJSON        bool
	scrapeTimeout time.Duration
}

func newMetricsCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &metricsOptions{}
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "collect once and print the metrics, without a server",
		Long: `Collect once and print every metric mihari would serve at /metrics, in the
Prometheus text format or, with --json, as JSON. It takes the same collector,
path and source flags as 'mihari serve'.

The JSON form is a list of metric families:
  [{"name": "node_load1", "help": "...", "type": "gauge",
    "metrics": [{"labels": {}, "value": 0.25}]}]
Counters, gauges and untyped metrics have "value"; summaries have "quantiles",
"count" and "sum"; histograms "buckets", "count" and "sum". Values that are
not finite numbers are written as the strings "NaN", "+Inf" and "-Inf".`,
		Example: `  # everything, as Prometheus text
  mihari metrics

  # only the CPU collector, as JSON
  mihari metrics --collector.disable-defaults --collector.cpu --json

  # against a copy of another host's /proc and /sys
  mihari metrics --path.procfs=./proc --path.sysfs=./sys`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMetrics(cmd.Context(), stdio, logOpts, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&o.asJSON, "json", false, "print JSON instead of the Prometheus text format")
	fs.DurationVar(&o.scrapeTimeout, "scrape.timeout", 10*time.Second, "longest the collection may take")
	o.collect.AddFlags(fs)
	return cmd
}

func runMetrics(ctx context.Context, stdio IO, logOpts *logOptions, o *metricsOptions) error {
	log, err := logOpts.logger(stdio.Err)
	if err != nil {
		return err
	}
	node, reader, err := o.collect.Build(log)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, o.scrapeTimeout)
	defer cancel()
	mfs, err := collect.NewGatherer(node, reader).Gather(ctx)
	if err != nil && len(mfs) == 0 {
		return err
	}
	if err != nil {
		log.Warn("some metrics could not be gathered", "err", err)
	}
	if o.asJSON {
		return writeJSON(stdio.Out, mfs)
	}
	enc := expfmt.NewEncoder(stdio.Out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// jsonFamily is one metric family in --json output.
type jsonFamily struct {
	Name    string       `json:"name"`
	Help    string       `json:"help"`
	Type    string       `json:"type"`
	Metrics []jsonMetric `json:"metrics"`
}

type jsonMetric struct {
	Labels    map[string]string `json:"labels"`
	Value     any               `json:"value,omitempty"`
	Quantiles map[string]any    `json:"quantiles,omitempty"`
	Buckets   map[string]uint64 `json:"buckets,omitempty"`
	Count     *uint64           `json:"count,omitempty"`
	Sum       any               `json:"sum,omitempty"`
}

// jsonNumber keeps finite floats numbers and spells out the others, which
// JSON cannot represent.
func jsonNumber(v float64) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return v
}

func writeJSON(w io.Writer, mfs []*dto.MetricFamily) error {
	out := make([]jsonFamily, 0, len(mfs))
	for _, mf := range mfs {
		f := jsonFamily{Name: mf.GetName(), Help: mf.GetHelp(), Type: typeName(mf.GetType())}
		for _, m := range mf.GetMetric() {
			jm := jsonMetric{Labels: map[string]string{}}
			for _, lp := range m.GetLabel() {
				jm.Labels[lp.GetName()] = lp.GetValue()
			}
			switch {
			case m.Counter != nil:
				jm.Value = jsonNumber(m.GetCounter().GetValue())
			case m.Gauge != nil:
				jm.Value = jsonNumber(m.GetGauge().GetValue())
			case m.Untyped != nil:
				jm.Value = jsonNumber(m.GetUntyped().GetValue())
			case m.Summary != nil:
				s := m.GetSummary()
				jm.Quantiles = map[string]any{}
				for _, q := range s.GetQuantile() {
					jm.Quantiles[expfmtFloat(q.GetQuantile())] = jsonNumber(q.GetValue())
				}
				c := s.GetSampleCount()
				jm.Count, jm.Sum = &c, jsonNumber(s.GetSampleSum())
			case m.Histogram != nil:
				h := m.GetHistogram()
				jm.Buckets = map[string]uint64{}
				for _, b := range h.GetBucket() {
					jm.Buckets[expfmtFloat(b.GetUpperBound())] = b.GetCumulativeCount()
				}
				c := h.GetSampleCount()
				jm.Count, jm.Sum = &c, jsonNumber(h.GetSampleSum())
			}
			f.Metrics = append(f.Metrics, jm)
		}
		out = append(out, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func typeName(t dto.MetricType) string {
	switch t {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_SUMMARY:
		return "summary"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	default:
		return "untyped"
	}
}

func expfmtFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconvFloat(v)
}

func strconvFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
