package host

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/collect"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "uname",
		Default: true,
		Help:    "kernel name, release, version, machine and host name from uname(2)",
		Setup: func(*pflag.FlagSet) collect.Factory {
			return func(collect.Env) (collect.Collector, error) { return unameCollector{}, nil }
		},
	})
}

var unameDesc = prometheus.NewDesc("node_uname_info",
	"Always 1; the labels are what uname(2) reports.",
	[]string{"sysname", "release", "version", "machine", "nodename", "domainname"}, nil)

// unameCollector asks the kernel directly: uname(2) cannot block, and it
// is what node_exporter reports (the UTS namespace of the agent).
type unameCollector struct{}

func (unameCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(unameDesc, prometheus.GaugeValue, 1,
		unix.ByteSliceToString(u.Sysname[:]),
		unix.ByteSliceToString(u.Release[:]),
		unix.ByteSliceToString(u.Version[:]),
		unix.ByteSliceToString(u.Machine[:]),
		unix.ByteSliceToString(u.Nodename[:]),
		unix.ByteSliceToString(u.Domainname[:]),
	)
	return nil
}
