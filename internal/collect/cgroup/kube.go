package cgroup

import (
	"context"
	"os"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/kubelet"
)

// newKubeletClient builds the kubelet client the flags ask for, or nil
// when asking the kubelet is off (the default outside Kubernetes).
func newKubeletClient(cfg *kubelet.Config, env collect.Env) (*kubelet.Client, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	url, err := cfg.Resolve(os.Getenv, kubelet.FileExists)
	if err != nil {
		return nil, err
	}
	log := env.Logger
	if url == "" {
		if why := cfg.Explain(os.Getenv, kubelet.FileExists); why != "" && log != nil {
			log.Warn(why, "component", "kubelet")
		}
		return nil, nil
	}
	if log != nil {
		log = log.With("component", "kubelet")
	}
	return kubelet.New(kubelet.Options{
		URL:                url,
		TokenFile:          cfg.TokenFile,
		CAFile:             cfg.CAFile,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		Interval:           cfg.Interval,
		Timeout:            cfg.Timeout,
		Logger:             log,
	})
}

// pods returns the kubelet's latest answer for the cgroups ids (nil when
// the kubelet is off or never answered). A cgroup of a pod or container
// that the answer does not name, and that appeared since that answer,
// asks the kubelet again (waiting a bounded time: see kubelet.Client.Pods),
// so that a new pod's series carry its names from its first collection.
func (c *Collector) pods(ctx context.Context, ids []string) *kubelet.Pods {
	if c.kube == nil {
		return nil
	}
	if c.asked == nil {
		c.asked = map[string]uint64{}
	}
	complete := func(p *kubelet.Pods) bool {
		for _, id := range ids {
			ident := c.identity(id)
			if ident.PodUID == "" && ident.ContainerID == "" {
				continue
			}
			if named(p, ident) {
				continue
			}
			if gen, ok := c.asked[id]; ok && p.Gen() > gen {
				// An answer newer than the cgroup does not name it: a
				// pod's sandbox, a container not of Kubernetes, or one
				// being removed. Not worth asking again before the
				// interval.
				continue
			}
			return false
		}
		return true
	}
	// A cgroup new in this collection was not in the answer we had before
	// it (c.gen); an answer got now is newer than the cgroup.
	for _, id := range ids {
		if _, ok := c.asked[id]; !ok {
			c.asked[id] = c.gen
		}
	}
	pods := c.kube.Pods(ctx, complete)
	c.gen = pods.Gen()
	return pods
}

// named tells whether the kubelet's answer names everything the path has.
func named(p *kubelet.Pods, ident Identity) bool {
	if ident.ContainerID != "" {
		_, ok := p.Container(ident.ContainerID)
		return ok
	}
	_, ok := p.Pod(ident.PodUID)
	return ok
}

// kubeNames are the namespace, pod and container names of a cgroup: by its
// container ID, else by its pod UID (the pod's own cgroup, or a container
// the kubelet does not list, such as the pause container: no container
// name then); "" for what the kubelet did not say.
func kubeNames(p *kubelet.Pods, ident Identity) (namespace, pod, container string) {
	if c, ok := p.Container(ident.ContainerID); ok {
		return c.Namespace, c.Pod, c.Name
	}
	if pp, ok := p.Pod(ident.PodUID); ok {
		return pp.Namespace, pp.Name, ""
	}
	return "", "", ""
}
