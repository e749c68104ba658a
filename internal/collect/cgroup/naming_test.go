package cgroup

import "testing"

func TestIdentify(t *testing.T) {
	const id = "f1434ae7374a8905bbfd12ce291a26c63bcbb11c7f7950488a7774d7f2dfe837"
	for _, tc := range []struct {
		path string
		want Identity
	}{
		{"/", Identity{}},
		{"/system.slice/kubelet.service", Identity{}},
		{"/kubepods", Identity{}},
		{"/kubepods/burstable", Identity{QoS: "burstable"}},
		// cgroupfs driver
		{"/kubepods/burstable/podf63b565b-430b-43e4-a7c6-c2029c88601c/" + id,
			Identity{ContainerID: id, PodUID: "f63b565b-430b-43e4-a7c6-c2029c88601c", QoS: "burstable"}},
		{"/kubepods/besteffort/pod1a2b/" + id, Identity{ContainerID: id, PodUID: "1a2b", QoS: "besteffort"}},
		{"/kubepods/pod9c7e/" + id, Identity{ContainerID: id, PodUID: "9c7e", QoS: "guaranteed"}},
		{"/kubepods/pod9c7e", Identity{PodUID: "9c7e", QoS: "guaranteed"}},
		// systemd driver, containerd, CRI-O
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b8c3eda_25c8_494e_a84a_312d91869ad9.slice/cri-containerd-" + id + ".scope",
			Identity{ContainerID: id, PodUID: "1b8c3eda-25c8-494e-a84a-312d91869ad9", QoS: "burstable"}},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod25a4dab1_25d7.slice/crio-" + id + ".scope",
			Identity{ContainerID: id, PodUID: "25a4dab1-25d7", QoS: "besteffort"}},
		{"/kubepods.slice/kubepods-pod77aa_bb.slice", Identity{PodUID: "77aa-bb", QoS: "guaranteed"}},
		// CRI-O's monitor process is not the container.
		{"/kubepods.slice/kubepods-pod77aa_bb.slice/crio-conmon-" + id + ".scope", Identity{PodUID: "77aa-bb", QoS: "guaranteed"}},
		// Docker
		{"/docker/" + id, Identity{ContainerID: id}},
		{"/system.slice/docker-" + id + ".scope", Identity{ContainerID: id}},
		// Not an ID: too short, or not hex.
		{"/docker/abc", Identity{}},
		{"/user.slice/user-1000.slice/session-3.scope", Identity{}},
	} {
		if have := Identify(tc.path); have != tc.want {
			t.Errorf("Identify(%q) = %+v, want %+v", tc.path, have, tc.want)
		}
	}
}
