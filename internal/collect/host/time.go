package host

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
)

func init() {
	collect.Register(collect.Spec{
		Name:    "time",
		Default: true,
		Help:    "system time, time zone and clock sources",
		Setup: func(*pflag.FlagSet) collect.Factory {
			return func(env collect.Env) (collect.Collector, error) {
				return &timeCollector{
					paths: env.Paths,
					dir:   env.Reader.Source("/sys/devices/system/clocksource"),
					src:   env.Reader.Source("/sys/devices/system/clocksource/[clocksource]/*"),
					now:   time.Now,
				}, nil
			}
		},
	})
}

var (
	timeNowDesc = prometheus.NewDesc("node_time_seconds",
		"The host's clock, in seconds since the epoch.", nil, nil)
	timeZoneDesc = prometheus.NewDesc("node_time_zone_offset_seconds",
		"Offset of the host's time zone from UTC, in seconds.", []string{"time_zone"}, nil)
	clocksourceAvailableDesc = prometheus.NewDesc("node_time_clocksource_available_info",
		"Always 1; one series for each clock source the kernel can use.", []string{"device", "clocksource"}, nil)
	clocksourceCurrentDesc = prometheus.NewDesc("node_time_clocksource_current_info",
		"Always 1; the clock source the kernel uses now.", []string{"device", "clocksource"}, nil)
)

type timeCollector struct {
	paths    collect.Paths
	dir, src *collect.Source
	now      func() time.Time
}

func (c *timeCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	now := c.now()
	ch <- prometheus.MustNewConstMetric(timeNowDesc, prometheus.GaugeValue, float64(now.UnixNano())/1e9)
	zone, offset := now.Zone()
	ch <- prometheus.MustNewConstMetric(timeZoneDesc, prometheus.GaugeValue, float64(offset), zone)

	names, err := c.dir.ReadDir(ctx, c.paths.Sys("devices/system/clocksource"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	// The device label is the clock source's position in the listing, as
	// node_exporter numbers it.
	i := 0
	for _, name := range names {
		if !strings.HasPrefix(name, "clocksource") || !isDigits(name[len("clocksource"):]) {
			continue
		}
		dev := strconv.Itoa(i)
		i++
		avail, err := c.src.ReadFile(ctx, c.paths.Sys("devices/system/clocksource", name, "available_clocksource"))
		if err != nil {
			return err
		}
		cur, err := c.src.ReadFile(ctx, c.paths.Sys("devices/system/clocksource", name, "current_clocksource"))
		if err != nil {
			return err
		}
		for _, cs := range strings.Fields(string(avail)) {
			ch <- prometheus.MustNewConstMetric(clocksourceAvailableDesc, prometheus.GaugeValue, 1, dev, cs)
		}
		ch <- prometheus.MustNewConstMetric(clocksourceCurrentDesc, prometheus.GaugeValue, 1, dev, strings.TrimSpace(string(cur)))
	}
	return nil
}
