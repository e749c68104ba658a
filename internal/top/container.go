package top

import (
	"path"
	"strings"

	"github.com/mihari-dev/mihari/internal/collect/cgroup"
)

// Container names what a cgroup path says a process runs in, short enough
// for a column: the first 12 digits of a container ID (as docker ps and
// crictl show them), "pod/" and the first 8 characters of a pod UID for a
// pod's own cgroup, otherwise the path's last element ("kubelet.service",
// "user@1000.service"), cut to 12 characters when it is a long hexadecimal
// ID too (some runtimes' sandboxes); "-" for the root cgroup or an
// unknown one.
func Container(cgroupPath string) string {
	id := cgroup.Identify(cgroupPath)
	switch {
	case id.ContainerID != "":
		return id.ContainerID[:12]
	case id.PodUID != "":
		return "pod/" + id.PodUID[:min(8, len(id.PodUID))]
	}
	base := path.Base(cgroupPath)
	if base == "/" || base == "." || base == "" {
		return "-"
	}
	if len(base) >= 16 && strings.Trim(base, "0123456789abcdef") == "" {
		return base[:12]
	}
	return base
}
