// Package kubernetes holds the manifests that run mihari serve as a
// DaemonSet (kubectl apply -k deploy/kubernetes; see docs/kubernetes.md).
// It has no code: its test decodes every manifest strictly into the
// Kubernetes API types and checks them against mihari's own flags.
package kubernetes
