package host

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "pressure",
		Default: true,
		Help:    "pressure stall information (PSI) for CPU, I/O and memory from /proc/pressure",
		Setup: func(*pflag.FlagSet) collect.Factory {
			return func(env collect.Env) (collect.Collector, error) {
				return &pressureCollector{paths: env.Paths, src: env.Reader.Source("/proc/pressure/[resource]")}, nil
			}
		},
	})
}

func psiDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("node_pressure_"+name, help, nil, nil)
}

var psiResources = []struct {
	name       string
	some, full *prometheus.Desc
}{
	{"cpu", psiDesc("cpu_waiting_seconds_total", "Seconds in which some runnable task waited for a CPU."), nil},
	{"io",
		psiDesc("io_waiting_seconds_total", "Seconds in which some task waited for I/O."),
		psiDesc("io_stalled_seconds_total", "Seconds in which all non-idle tasks were stalled on I/O at once.")},
	{"memory",
		psiDesc("memory_waiting_seconds_total", "Seconds in which some task waited for memory (reclaim, swap-in, thrashing)."),
		psiDesc("memory_stalled_seconds_total", "Seconds in which all non-idle tasks were stalled on memory at once.")},
}

type pressureCollector struct {
	paths collect.Paths
	src   *collect.Source
}

// Update reports PSI totals in seconds; the division is node_exporter's
// (µs/1000/1000, not µs/1e6) so the floats are bit for bit the same.
func (c *pressureCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	for _, res := range psiResources {
		psi, err := collect.ReadParse(ctx, c.src, c.paths.Proc("pressure", res.name), procfs.ParsePressure)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Kernel older than 4.20 or without CONFIG_PSI.
			return collect.ErrNoData
		case errors.Is(err, syscall.EOPNOTSUPP):
			// Built with PSI but booted without psi=1.
			return collect.ErrNoData
		case err != nil:
			return err
		}
		if psi.Some != nil {
			ch <- prometheus.MustNewConstMetric(res.some, prometheus.CounterValue, float64(psi.Some.Total)/1000/1000)
		}
		if res.full != nil && psi.Full != nil {
			ch <- prometheus.MustNewConstMetric(res.full, prometheus.CounterValue, float64(psi.Full.Total)/1000/1000)
		}
	}
	return nil
}
