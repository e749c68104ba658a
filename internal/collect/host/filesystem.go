package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/procfs"
)

// The exclusions are node_exporter's: pseudo filesystems and mount points
// that only mirror others.
const (
	fsDefaultMountPointsExclude = `^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`
	fsDefaultTypesExclude       = `^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$`
)

func init() {
	collect.Register(collect.Spec{
		Name:    "filesystem",
		Default: true,
		Help:    "size, free space and inodes of mounted filesystems, by statfs(2) of each mount point",
		Setup: func(fs *pflag.FlagSet) collect.Factory {
			mp := fs.String("collector.filesystem.mount-points-exclude", fsDefaultMountPointsExclude, "regexp of mount points to skip")
			ft := fs.String("collector.filesystem.fs-types-exclude", fsDefaultTypesExclude, "regexp of filesystem types to skip")
			return func(env collect.Env) (collect.Collector, error) {
				mpRe, err := regexp.Compile(*mp)
				if err != nil {
					return nil, fmt.Errorf("--collector.filesystem.mount-points-exclude %q: %w", *mp, err)
				}
				ftRe, err := regexp.Compile(*ft)
				if err != nil {
					return nil, fmt.Errorf("--collector.filesystem.fs-types-exclude %q: %w", *ft, err)
				}
				r := env.Reader
				return &filesystemCollector{
					paths:     env.Paths,
					mpExclude: mpRe,
					ftExclude: ftRe,
					mounts:    r.Source("/proc/1/mounts"),
					statfs:    r.Source("statfs([mount point])"),
				}, nil
			}
		},
	})
}

var fsLabels = []string{"device", "mountpoint", "fstype"}

func fsDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("node_filesystem_"+name, help, fsLabels, nil)
}

var (
	fsSizeDesc      = fsDesc("size_bytes", "Size of the filesystem in bytes.")
	fsFreeDesc      = fsDesc("free_bytes", "Free bytes, including those reserved for root.")
	fsAvailDesc     = fsDesc("avail_bytes", "Bytes available to unprivileged users.")
	fsFilesDesc     = fsDesc("files", "Inodes in the filesystem.")
	fsFilesFreeDesc = fsDesc("files_free", "Free inodes.")
	fsReadonlyDesc  = fsDesc("readonly", "1 if the filesystem is mounted read-only.")
	fsErrorDesc     = fsDesc("device_error", "1 if statfs of the mount point failed or has no value yet (e.g. a hung network mount).")
)

type filesystemCollector struct {
	paths                collect.Paths
	mpExclude, ftExclude *regexp.Regexp
	mounts, statfs       *collect.Source
}

func (c *filesystemCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	mounts, err := collect.ReadParseLines(ctx, c.mounts, c.paths.Proc("1/mounts"), procfs.ParseMounts)
	if errors.Is(err, fs.ErrNotExist) {
		// /proc/1 is hidden with hidepid; the agent's own view will do.
		mounts, err = collect.ReadParseLines(ctx, c.mounts, c.paths.Proc("mounts"), procfs.ParseMounts)
	}
	if err != nil {
		return err
	}
	type labels struct{ device, mountPoint, fsType string }
	seen := map[labels]bool{}
	for _, m := range mounts {
		mp := c.paths.StripRoot(m.MountPoint)
		if c.mpExclude.MatchString(mp) || c.ftExclude.MatchString(m.FSType) {
			continue
		}
		l := labels{m.Device, mp, m.FSType}
		if seen[l] {
			continue
		}
		seen[l] = true
		// A hung statfs (a dead NFS server) is served its last good value
		// by the source layer; with none, the mount reports an error.
		st, _, err := c.statfs.Statfs(ctx, c.paths.Root(mp))
		if err != nil {
			ch <- prometheus.MustNewConstMetric(fsErrorDesc, prometheus.GaugeValue, 1, l.device, l.mountPoint, l.fsType)
			continue
		}
		ch <- prometheus.MustNewConstMetric(fsErrorDesc, prometheus.GaugeValue, 0, l.device, l.mountPoint, l.fsType)
		ro := 0.0
		for opt := range strings.SplitSeq(m.Options, ",") {
			if opt == "ro" {
				ro = 1
				break
			}
		}
		bs := float64(st.Bsize)
		for _, v := range []struct {
			d *prometheus.Desc
			v float64
		}{
			{fsSizeDesc, float64(st.Blocks) * bs},
			{fsFreeDesc, float64(st.Bfree) * bs},
			{fsAvailDesc, float64(st.Bavail) * bs},
			{fsFilesDesc, float64(st.Files)},
			{fsFilesFreeDesc, float64(st.Ffree)},
			{fsReadonlyDesc, ro},
		} {
			ch <- prometheus.MustNewConstMetric(v.d, prometheus.GaugeValue, v.v, l.device, l.mountPoint, l.fsType)
		}
	}
	return nil
}
