package host

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "loadavg",
		Default: true,
		Help:    "load averages over 1, 5 and 15 minutes from /proc/loadavg",
		Setup: func(*pflag.FlagSet) collect.Factory {
			return func(env collect.Env) (collect.Collector, error) {
				return &loadavgCollector{paths: env.Paths, src: env.Reader.Source("/proc/loadavg")}, nil
			}
		},
	})
}

var loadDescs = [3]typedDesc{
	{prometheus.NewDesc("node_load1", "Load average over 1 minute: runnable plus uninterruptible threads.", nil, nil), prometheus.GaugeValue},
	{prometheus.NewDesc("node_load5", "Load average over 5 minutes.", nil, nil), prometheus.GaugeValue},
	{prometheus.NewDesc("node_load15", "Load average over 15 minutes.", nil, nil), prometheus.GaugeValue},
}

type loadavgCollector struct {
	paths collect.Paths
	src   *collect.Source
}

func (c *loadavgCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	l, err := collect.ReadParse(ctx, c.src, c.paths.Proc("loadavg"), procfs.ParseLoadAvg)
	if err != nil {
		return err
	}
	ch <- loadDescs[0].metric(l.Load1)
	ch <- loadDescs[1].metric(l.Load5)
	ch <- loadDescs[2].metric(l.Load15)
	return nil
}
