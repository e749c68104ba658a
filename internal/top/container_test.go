package top

import "testing"

func TestTopContainer(t *testing.T) {
	const id = "4f1c5a0e8d2b7c6a9e3f1d0b2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d"
	for path, want := range map[string]string{
		"/":                             "-",
		"":                              "-",
		"/system.slice/kubelet.service": "kubelet.service",
		"/user.slice/user-1000.slice/user@1000.service/app.slice/app-tmux.scope": "app-tmux.scope",
		"/init.scope":                           "init.scope",
		"/docker/" + id:                         "4f1c5a0e8d2b",
		"/system.slice/docker-" + id + ".scope": "4f1c5a0e8d2b",
		"/kubepods/burstable/pod0f0e1d2c-3b4a-5968-7788-99aabbccddee/" + id:                                                                           "4f1c5a0e8d2b",
		"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f0e1d2c_3b4a_5968_7788_99aabbccddee.slice/cri-containerd-" + id + ".scope": "4f1c5a0e8d2b",
		// A pod's own cgroup, above its containers.
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f0e1d2c_3b4a_5968_7788_99aabbccddee.slice": "pod/0f0e1d2c",
		"/kubepods/pod0f0e1d2c-3b4a-5968-7788-99aabbccddee":                                                         "pod/0f0e1d2c",
		// CRI-O's monitor is not the container.
		"/system.slice/crio-conmon-" + id + ".scope": "crio-conmon-" + id + ".scope",
		// A long hexadecimal ID that is not a container's.
		"/process_api/3c6f61722225a06220f5cfe912e2c6f4": "3c6f61722225",
	} {
		if have := Container(path); have != want {
			t.Errorf("Container(%q) = %q, want %q", path, have, want)
		}
	}
}
