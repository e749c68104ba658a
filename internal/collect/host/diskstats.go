package host

import (
	"context"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
	"github.com/mihari-dev/mihari/internal/sysfs"
)

// diskstatsDefaultExclude skips partitions and RAM, loop and floppy devices,
// as node_exporter does.
const diskstatsDefaultExclude = `^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`

func init() {
	collect.Register(collect.Spec{
		Name:    "diskstats",
		Default: true,
		Help:    "block device I/O from /proc/diskstats (node_disk_*), with udev device properties",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			exclude := fs.String("collector.diskstats.device-exclude", diskstatsDefaultExclude, "regexp of devices to skip (mutually exclusive with device-include)")
			include := fs.String("collector.diskstats.device-include", "", "regexp of the only devices to report")
			return func(env collect.Env) (collect.Collector, error) {
				ex := *exclude
				if *include != "" && !fs.Changed("collector.diskstats.device-exclude") {
					ex = ""
				}
				f, err := newDeviceFilter("diskstats", ex, *include)
				if err != nil {
					return nil, err
				}
				return &diskstatsCollector{
					paths:  env.Paths,
					filter: f,
					src:    env.Reader.Source("/proc/diskstats"),
					udev:   env.Reader.Source("/run/udev/data/b[major]:[minor]"),
				}, nil
			}
		},
	})
}

func diskDesc(name, help string, typ prometheus.ValueType) typedDesc {
	return typedDesc{prometheus.NewDesc("node_disk_"+name, help, []string{"device"}, nil), typ}
}

// diskFields describe the columns of /proc/diskstats after the device name,
// in order, with the factor that turns each into base units.
var diskFields = []struct {
	typedDesc
	scale float64
}{
	{diskDesc("reads_completed_total", "Reads completed.", prometheus.CounterValue), 1},
	{diskDesc("reads_merged_total", "Adjacent reads merged into one.", prometheus.CounterValue), 1},
	{diskDesc("read_bytes_total", "Bytes read.", prometheus.CounterValue), diskSectorSize},
	{diskDesc("read_time_seconds_total", "Seconds spent by all reads.", prometheus.CounterValue), msToSeconds},
	{diskDesc("writes_completed_total", "Writes completed.", prometheus.CounterValue), 1},
	{diskDesc("writes_merged_total", "Adjacent writes merged into one.", prometheus.CounterValue), 1},
	{diskDesc("written_bytes_total", "Bytes written.", prometheus.CounterValue), diskSectorSize},
	{diskDesc("write_time_seconds_total", "Seconds spent by all writes.", prometheus.CounterValue), msToSeconds},
	{diskDesc("io_now", "I/Os in progress now.", prometheus.GaugeValue), 1},
	{diskDesc("io_time_seconds_total", "Seconds the device was busy with I/O.", prometheus.CounterValue), msToSeconds},
	{diskDesc("io_time_weighted_seconds_total", "Seconds spent in I/O weighted by the I/Os in progress (queue time).", prometheus.CounterValue), msToSeconds},
	{diskDesc("discards_completed_total", "Discards completed.", prometheus.CounterValue), 1},
	{diskDesc("discards_merged_total", "Adjacent discards merged into one.", prometheus.CounterValue), 1},
	{diskDesc("discarded_sectors_total", "Sectors discarded.", prometheus.CounterValue), 1},
	{diskDesc("discard_time_seconds_total", "Seconds spent by all discards.", prometheus.CounterValue), msToSeconds},
	{diskDesc("flush_requests_total", "Flush requests completed.", prometheus.CounterValue), 1},
	{diskDesc("flush_requests_time_seconds_total", "Seconds spent by all flush requests.", prometheus.CounterValue), msToSeconds},
}

const (
	// diskSectorSize: /proc/diskstats counts 512-byte sectors whatever the
	// device's own block size (Documentation/admin-guide/iostats.rst).
	diskSectorSize = 512.0
	msToSeconds    = 1.0 / 1000.0
)

var (
	diskInfoDesc = typedDesc{prometheus.NewDesc("node_disk_info",
		"Identity of a block device, from /proc/diskstats and the udev database.",
		[]string{"device", "major", "minor", "path", "wwn", "model", "serial", "revision"}, nil), prometheus.GaugeValue}
	diskFilesystemInfoDesc = typedDesc{prometheus.NewDesc("node_disk_filesystem_info",
		"Filesystem found on a block device by udev.",
		[]string{"device", "type", "usage", "uuid", "version"}, nil), prometheus.GaugeValue}
	diskDeviceMapperInfoDesc = typedDesc{prometheus.NewDesc("node_disk_device_mapper_info",
		"Device-mapper (LVM) identity of a block device.",
		[]string{"device", "name", "uuid", "vg_name", "lv_name", "lv_layer"}, nil), prometheus.GaugeValue}
	diskATADescs = []struct {
		prop string
		typedDesc
	}{
		{"ID_ATA_WRITE_CACHE", diskDesc("ata_write_cache", "1 if the ATA disk has a write cache.", prometheus.GaugeValue)},
		{"ID_ATA_WRITE_CACHE_ENABLED", diskDesc("ata_write_cache_enabled", "1 if the ATA disk's write cache is enabled.", prometheus.GaugeValue)},
		{"ID_ATA_ROTATION_RATE_RPM", diskDesc("ata_rotation_rate_rpm", "Rotation rate of the ATA disk in RPM (0 for SSDs).", prometheus.GaugeValue)},
	}
)

type diskstatsCollector struct {
	paths     collect.Paths
	filter    deviceFilter
	src, udev *collect.Source
}

func (c *diskstatsCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	disks, err := collect.ReadParseLines(ctx, c.src, c.paths.Proc("diskstats"), procfs.ParseDiskstats)
	if err != nil {
		return err
	}
	for _, d := range disks {
		if c.filter.ignored(d.Device) {
			continue
		}
		major, minor := strconv.FormatUint(uint64(d.Major), 10), strconv.FormatUint(uint64(d.Minor), 10)
		info := c.udevInfo(ctx, major, minor)
		ch <- diskInfoDesc.metric(1, d.Device, major, minor,
			info["ID_PATH"], info["ID_WWN"], info["ID_MODEL"], info["ID_SERIAL_SHORT"], info["ID_REVISION"])
		for i, v := range d.Fields {
			if i >= len(diskFields) {
				break
			}
			ch <- diskFields[i].metric(float64(v)*diskFields[i].scale, d.Device)
		}
		if t := info["ID_FS_TYPE"]; t != "" {
			ch <- diskFilesystemInfoDesc.metric(1, d.Device, t, info["ID_FS_USAGE"], info["ID_FS_UUID"], info["ID_FS_VERSION"])
		}
		if name := info["DM_NAME"]; name != "" {
			ch <- diskDeviceMapperInfoDesc.metric(1, d.Device, name,
				info["DM_UUID"], info["DM_VG_NAME"], info["DM_LV_NAME"], info["DM_LV_LAYER"])
		}
		if info["ID_ATA"] != "" {
			for _, a := range diskATADescs {
				if s, ok := info[a.prop]; ok {
					if v, err := strconv.ParseFloat(s, 64); err == nil {
						ch <- a.metric(v, d.Device)
					}
				}
			}
		}
	}
	return nil
}

// udevInfo returns the udev properties of a block device; none when udev
// keeps no record of it (containers, hosts without udev).
func (c *diskstatsCollector) udevInfo(ctx context.Context, major, minor string) map[string]string {
	b, err := c.udev.ReadFile(ctx, c.paths.Udev(fmt.Sprintf("b%s:%s", major, minor)))
	if err != nil {
		return nil
	}
	return sysfs.ParseUdevProperties(b)
}
