package cgroup

import (
	"strings"
)

// Identity is what a cgroup path says about the container in it.
type Identity struct {
	ContainerID string // 64 hex digits, or ""
	PodUID      string // with dashes, or ""
	QoS         string // guaranteed, burstable, besteffort, or ""
}

// Identify reads a cgroup path the way the kubelet and container runtimes
// write them:
//
//	cgroupfs driver: /kubepods/burstable/pod<uid>/<id>, /kubepods/pod<uid>/<id> (guaranteed)
//	systemd driver:  /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
//	                 (crio-<id>.scope for CRI-O, docker-<id>.scope for dockershim and Docker)
//	Docker:          /docker/<id>, /system.slice/docker-<id>.scope
func Identify(path string) Identity {
	var id Identity
	kube := false
	for seg := range strings.SplitSeq(path, "/") {
		switch {
		case seg == "kubepods" || seg == "kubepods.slice":
			kube = true
		case kube && (seg == "burstable" || seg == "besteffort"):
			id.QoS = seg
		case kube && strings.HasPrefix(seg, "kubepods-") && strings.HasSuffix(seg, ".slice"):
			inner := strings.TrimSuffix(strings.TrimPrefix(seg, "kubepods-"), ".slice")
			qos, rest, _ := strings.Cut(inner, "-")
			switch {
			case qos == "burstable" || qos == "besteffort":
				id.QoS = qos
				if uid, ok := strings.CutPrefix(rest, "pod"); ok {
					id.PodUID = strings.ReplaceAll(uid, "_", "-")
				}
			case strings.HasPrefix(inner, "pod"):
				id.PodUID = strings.ReplaceAll(strings.TrimPrefix(inner, "pod"), "_", "-")
			}
		case kube && strings.HasPrefix(seg, "pod") && len(seg) > 3:
			id.PodUID = seg[3:]
		default:
			if c := containerID(seg); c != "" {
				id.ContainerID = c
			}
		}
	}
	if kube && id.PodUID != "" && id.QoS == "" {
		// Guaranteed pods sit directly under kubepods.
		id.QoS = "guaranteed"
	}
	return id
}

// containerID returns the container ID a path segment names, if any: a
// bare 64-hex ID or one in a runtime's scope unit name.
func containerID(seg string) string {
	s := strings.TrimSuffix(seg, ".scope")
	if s != seg {
		// cri-containerd-<id>, crio-<id>, docker-<id>, libpod-<id>; not
		// crio-conmon-<id>, the monitor process next to a CRI-O container.
		if i := strings.LastIndexByte(s, '-'); i >= 0 && !strings.Contains(s, "conmon") {
			s = s[i+1:]
		}
	}
	if isHex64(s) {
		return s
	}
	return ""
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
