// Package kubelet reads the node's own pods from the kubelet's HTTPS API
// (GET /pods, the PodList the kubelet runs), so that cgroup metrics can be
// labelled with namespace, pod and container names, not only the pod UID
// and container ID their cgroup paths give. It never blocks a collection
// for longer than its timeout, and when the kubelet does not answer the
// last answer (or none) is used.
package kubelet

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Pod is one pod the kubelet runs.
type Pod struct {
	UID       string // lower case, with dashes
	Namespace string
	Name      string
	QOSClass  string // Guaranteed, Burstable or BestEffort, as the kubelet says
}

// Container is a container of a pod, found by its runtime ID.
type Container struct {
	PodUID    string
	Namespace string
	Pod       string
	Name      string
}

// Pods is one answer of the kubelet: its pods by UID and their containers
// by ID (the ID without the runtime's "containerd://" prefix, as cgroup
// paths have it).
type Pods struct {
	gen        uint64
	pods       map[string]Pod
	containers map[string]Container
}

// Len is the number of pods.
func (p *Pods) Len() int {
	if p == nil {
		return 0
	}
	return len(p.pods)
}

// Gen numbers the successful answers of one client, from 1; a later answer
// has a larger number.
func (p *Pods) Gen() uint64 {
	if p == nil {
		return 0
	}
	return p.gen
}

// Pod returns the pod of a UID.
func (p *Pods) Pod(uid string) (Pod, bool) {
	if p == nil || uid == "" {
		return Pod{}, false
	}
	pod, ok := p.pods[strings.ToLower(uid)]
	return pod, ok
}

// Container returns the container of a runtime ID (64 hex digits for
// containerd, CRI-O and Docker).
func (p *Pods) Container(id string) (Container, bool) {
	if p == nil || id == "" {
		return Container{}, false
	}
	c, ok := p.containers[strings.ToLower(id)]
	return c, ok
}

// The parts of the kubelet's PodList (core/v1) that mihari reads.
type podList struct {
	Kind  string `json:"kind"`
	Items []struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
			UID       string `json:"uid"`
		} `json:"metadata"`
		Status struct {
			QOSClass                   string            `json:"qosClass"`
			InitContainerStatuses      []containerStatus `json:"initContainerStatuses"`
			ContainerStatuses          []containerStatus `json:"containerStatuses"`
			EphemeralContainerStatuses []containerStatus `json:"ephemeralContainerStatuses"`
		} `json:"status"`
	} `json:"items"`
}

type containerStatus struct {
	Name        string `json:"name"`
	ContainerID string `json:"containerID"`
	LastState   struct {
		Terminated *struct {
			ContainerID string `json:"containerID"`
		} `json:"terminated"`
	} `json:"lastState"`
}

// ErrNotPodList is returned for a JSON document that is not a PodList (an
// error Status, say, or an empty object).
var ErrNotPodList = errors.New("not a PodList")

// ParsePods reads the body of the kubelet's GET /pods. Pods without a UID
// (or with the UID of an earlier one) and containers without an ID (not
// started yet) are left out; a
// container's previous instance (lastState.terminated, after a restart) is
// named like the current one, since its cgroup may still be there.
func ParsePods(b []byte) (*Pods, error) {
	var l podList
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("decoding the pod list: %w", err)
	}
	if l.Kind != "PodList" {
		if l.Kind == "" {
			return nil, ErrNotPodList
		}
		return nil, fmt.Errorf("%w: kind %q", ErrNotPodList, l.Kind)
	}
	p := &Pods{pods: make(map[string]Pod, len(l.Items)), containers: map[string]Container{}}
	for _, it := range l.Items {
		uid := strings.ToLower(it.Metadata.UID)
		if _, dup := p.pods[uid]; dup || uid == "" {
			continue // a UID is one pod: the first of the list names it
		}
		pod := Pod{UID: uid, Namespace: it.Metadata.Namespace, Name: it.Metadata.Name, QOSClass: it.Status.QOSClass}
		p.pods[uid] = pod
		for _, list := range [][]containerStatus{it.Status.InitContainerStatuses, it.Status.ContainerStatuses, it.Status.EphemeralContainerStatuses} {
			for _, cs := range list {
				c := Container{PodUID: uid, Namespace: pod.Namespace, Pod: pod.Name, Name: cs.Name}
				if t := cs.LastState.Terminated; t != nil {
					if id := runtimeID(t.ContainerID); id != "" {
						p.containers[id] = c
					}
				}
				// The current instance last, so that it wins if a runtime
				// ever reused an ID.
				if id := runtimeID(cs.ContainerID); id != "" {
					p.containers[id] = c
				}
			}
		}
	}
	return p, nil
}

// runtimeID returns the ID of "containerd://<id>", "cri-o://<id>",
// "docker://<id>": what follows the scheme, lower case; "" without one.
func runtimeID(s string) string {
	_, id, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	return strings.ToLower(id)
}
