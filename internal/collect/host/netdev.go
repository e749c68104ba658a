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
		Name:    "netdev",
		Default: true,
		Help:    "network interface traffic and errors from /proc/net/dev (node_network_*)",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			exclude := fs.String("collector.netdev.device-exclude", "", "regexp of network devices to skip (mutually exclusive with device-include)")
			include := fs.String("collector.netdev.device-include", "", "regexp of the only network devices to report")
			return func(env collect.Env) (collect.Collector, error) {
				f, err := newDeviceFilter("netdev", *exclude, *include)
				if err != nil {
					return nil, err
				}
				return &netdevCollector{paths: env.Paths, filter: f, src: env.Reader.Source("/proc/net/dev")}, nil
			}
		},
	})
}

func netDesc(name, help string) typedDesc {
	return typedDesc{prometheus.NewDesc("node_network_"+name+"_total", help, []string{"device"}, nil), prometheus.CounterValue}
}

// The names are node_exporter's for /proc/net/dev (its "legacy" names).
var (
	netRxBytes      = netDesc("receive_bytes", "Bytes received.")
	netRxPackets    = netDesc("receive_packets", "Packets received.")
	netRxErrs       = netDesc("receive_errs", "Receive errors of any kind.")
	netRxDrop       = netDesc("receive_drop", "Received packets dropped (including missed ones).")
	netRxFIFO       = netDesc("receive_fifo", "Receive FIFO overruns.")
	netRxFrame      = netDesc("receive_frame", "Receive framing errors (including length, overrun and CRC errors).")
	netRxCompressed = netDesc("receive_compressed", "Compressed packets received.")
	netRxMulticast  = netDesc("receive_multicast", "Multicast packets received.")
	netTxBytes      = netDesc("transmit_bytes", "Bytes sent.")
	netTxPackets    = netDesc("transmit_packets", "Packets sent.")
	netTxErrs       = netDesc("transmit_errs", "Transmit errors of any kind.")
	netTxDrop       = netDesc("transmit_drop", "Packets dropped on transmit.")
	netTxFIFO       = netDesc("transmit_fifo", "Transmit FIFO errors.")
	netTxColls      = netDesc("transmit_colls", "Collisions on transmit.")
	netTxCarrier    = netDesc("transmit_carrier", "Carrier errors on transmit (including aborted, heartbeat and window errors).")
	netTxCompressed = netDesc("transmit_compressed", "Compressed packets sent.")
)

type netdevCollector struct {
	paths  collect.Paths
	filter deviceFilter
	src    *collect.Source
}

func (c *netdevCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	devs, err := collect.ReadParseLines(ctx, c.src, c.paths.Proc("net/dev"), procfs.ParseNetDev)
	if err != nil {
		return err
	}
	for _, d := range devs {
		if c.filter.ignored(d.Name) {
			continue
		}
		for _, m := range []struct {
			typedDesc
			v uint64
		}{
			{netRxBytes, d.RxBytes}, {netRxPackets, d.RxPackets}, {netRxErrs, d.RxErrors}, {netRxDrop, d.RxDropped},
			{netRxFIFO, d.RxFIFO}, {netRxFrame, d.RxFrame}, {netRxCompressed, d.RxCompressed}, {netRxMulticast, d.RxMulticast},
			{netTxBytes, d.TxBytes}, {netTxPackets, d.TxPackets}, {netTxErrs, d.TxErrors}, {netTxDrop, d.TxDropped},
			{netTxFIFO, d.TxFIFO}, {netTxColls, d.TxCollisions}, {netTxCarrier, d.TxCarrier}, {netTxCompressed, d.TxCompressed},
		} {
			ch <- m.metric(float64(m.v), d.Name)
		}
	}
	return nil
}
