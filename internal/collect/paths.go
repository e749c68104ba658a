package collect

import (
	"path/filepath"
	"strings"
)

// Paths are the roots under which collectors find the host's files, so that
// tests and containers can point them elsewhere (--path.procfs and friends,
// with node_exporter's meaning).
type Paths struct {
	// Procfs is where /proc is mounted.
	Procfs string
	// Sysfs is where /sys is mounted.
	Sysfs string
	// Rootfs is where the host's / is mounted; mount points are resolved
	// under it and reported without it.
	Rootfs string
	// UdevData is the udev database directory (/run/udev/data).
	UdevData string
}

// DefaultPaths are the host's own roots.
func DefaultPaths() Paths {
	return Paths{Procfs: "/proc", Sysfs: "/sys", Rootfs: "/", UdevData: "/run/udev/data"}
}

// Proc joins elem under the procfs root.
func (p Paths) Proc(elem ...string) string { return join(p.Procfs, elem) }

// Sys joins elem under the sysfs root.
func (p Paths) Sys(elem ...string) string { return join(p.Sysfs, elem) }

// Root joins elem under the rootfs root.
func (p Paths) Root(elem ...string) string { return join(p.Rootfs, elem) }

// Udev joins elem under the udev database directory.
func (p Paths) Udev(elem ...string) string { return join(p.UdevData, elem) }

// StripRoot reports a path seen under the rootfs root as the host sees it.
func (p Paths) StripRoot(path string) string {
	if p.Rootfs == "/" || p.Rootfs == "" {
		return path
	}
	stripped := strings.TrimPrefix(path, strings.TrimSuffix(p.Rootfs, "/"))
	if stripped == "" {
		return "/"
	}
	return stripped
}

func join(root string, elem []string) string {
	return filepath.Join(append([]string{root}, elem...)...)
}
