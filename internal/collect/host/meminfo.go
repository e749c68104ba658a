package host

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "meminfo",
		Default: true,
		Help:    "memory statistics from /proc/meminfo (node_memory_*)",
		Setup: func(*pflag.FlagSet) collect.Factory {
			return func(env collect.Env) (collect.Collector, error) {
				return &meminfoCollector{
					paths: env.Paths,
					src:   env.Reader.Source("/proc/meminfo"),
					descs: newFieldDescs(meminfoDesc),
				}, nil
			}
		},
	})
}

type meminfoCollector struct {
	paths collect.Paths
	src   *collect.Source
	descs *fieldDescs
}

// Update exports each field of /proc/meminfo. A malformed line drops only
// its own field; the error is counted.
func (c *meminfoCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	fields, err := collect.ReadParseLines(ctx, c.src, c.paths.Proc("meminfo"), procfs.ParseMeminfo)
	if err != nil {
		return err
	}
	for _, f := range fields {
		d := c.descs.get(f.Name, f.Unit)
		ch <- d.metric(f.Value * d.scale)
	}
	return nil
}

// meminfoDesc names a field node_memory_<field>, with "(x)" turned into
// "_x" and, for fields in kB, converted to bytes with "_bytes" appended.
func meminfoDesc(k fieldKey) fieldDesc {
	name, scale := "node_memory_"+meminfoKey(k.name), 1.0
	if k.unit != "" {
		name += "_bytes"
		scale = 1024
	}
	typ := prometheus.GaugeValue
	if strings.HasSuffix(name, "_total") {
		typ = prometheus.CounterValue
	}
	return fieldDesc{typedDesc: typedDesc{prometheus.NewDesc(name, "Field "+k.name+" of /proc/meminfo.", nil, nil), typ}, scale: scale}
}

// meminfoKey turns "Active(anon)" into "Active_anon".
func meminfoKey(name string) string {
	if i := strings.IndexByte(name, '('); i >= 0 {
		if j := strings.LastIndexByte(name, ')'); j > i {
			name = name[:i] + "_" + name[i+1:j] + name[j+1:]
		}
	}
	return metricName(name)
}
