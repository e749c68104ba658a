package host

import (
	"context"
	"fmt"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "vmstat",
		Default: true,
		Help:    "virtual memory statistics from /proc/vmstat: paging, swapping, faults, OOM kills",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			fields := fs.String("collector.vmstat.fields", "^(oom_kill|pgpg|pswp|pg.*fault).*", "regexp of /proc/vmstat fields to export")
			return func(env collect.Env) (collect.Collector, error) {
				re, err := regexp.Compile(*fields)
				if err != nil {
					return nil, fmt.Errorf("--collector.vmstat.fields %q: %w", *fields, err)
				}
				return &vmstatCollector{
					paths: env.Paths,
					src:   env.Reader.Source("/proc/vmstat"),
					descs: newFieldDescs(func(k fieldKey) fieldDesc {
						if !re.MatchString(k.name) {
							return fieldDesc{skip: true}
						}
						return fieldDesc{typedDesc: typedDesc{prometheus.NewDesc("node_vmstat_"+metricName(k.name),
							"Field "+k.name+" of /proc/vmstat.", nil, nil), prometheus.UntypedValue}, scale: 1}
					}),
				}, nil
			}
		},
	})
}

type vmstatCollector struct {
	paths collect.Paths
	src   *collect.Source
	// descs also memoises the field regexp: /proc/vmstat has ~180 fields
	// and the set does not change while the kernel runs.
	descs *fieldDescs
}

func (c *vmstatCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	fields, err := collect.ReadParseLines(ctx, c.src, c.paths.Proc("vmstat"), procfs.ParseVmstat)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if d := c.descs.get(f.Name, ""); !d.skip {
			ch <- d.metric(f.Value)
		}
	}
	return nil
}
