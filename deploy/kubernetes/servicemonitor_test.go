package kubernetes_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ServiceMonitor is prometheus-operator's monitoring.coreos.com/v1
// ServiceMonitor, reduced to the fields of its CRD that the manifests may
// use: anything else in a manifest is an unknown field, an error. The
// field names and types are the CRD's (prometheus-operator's
// pkg/apis/monitoring/v1 servicemonitor_types.go); Validate adds the
// CRD's patterns and enums for them.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ServiceMonitorSpec `json:"spec"`
}

// ServiceMonitorSpec is the spec of a ServiceMonitor.
type ServiceMonitorSpec struct {
	JobLabel          string               `json:"jobLabel,omitempty"`
	TargetLabels      []string             `json:"targetLabels,omitempty"`
	PodTargetLabels   []string             `json:"podTargetLabels,omitempty"`
	Endpoints         []Endpoint           `json:"endpoints"`
	Selector          metav1.LabelSelector `json:"selector"`
	NamespaceSelector *NamespaceSelector   `json:"namespaceSelector,omitempty"`
}

// NamespaceSelector says in which namespaces the Services are found.
type NamespaceSelector struct {
	Any        bool     `json:"any,omitempty"`
	MatchNames []string `json:"matchNames,omitempty"`
}

// Endpoint is one scrape of the selected Services' endpoints.
type Endpoint struct {
	Port              string          `json:"port,omitempty"`
	Path              string          `json:"path,omitempty"`
	Scheme            string          `json:"scheme,omitempty"`
	Interval          string          `json:"interval,omitempty"`
	ScrapeTimeout     string          `json:"scrapeTimeout,omitempty"`
	HonorLabels       bool            `json:"honorLabels,omitempty"`
	Relabelings       []RelabelConfig `json:"relabelings,omitempty"`
	MetricRelabelings []RelabelConfig `json:"metricRelabelings,omitempty"`
}

// RelabelConfig is a Prometheus relabelling rule, with the CRD's
// camelCase names.
type RelabelConfig struct {
	SourceLabels []string `json:"sourceLabels,omitempty"`
	Separator    *string  `json:"separator,omitempty"`
	TargetLabel  string   `json:"targetLabel,omitempty"`
	Regex        string   `json:"regex,omitempty"`
	Modulus      uint64   `json:"modulus,omitempty"`
	Replacement  *string  `json:"replacement,omitempty"`
	Action       string   `json:"action,omitempty"`
}

// DeepCopyObject makes ServiceMonitor a runtime.Object, so that the scheme
// decodes it like the built-in kinds.
func (s *ServiceMonitor) DeepCopyObject() runtime.Object {
	out := &ServiceMonitor{}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

var monitoringV1 = schema.GroupVersion{Group: "monitoring.coreos.com", Version: "v1"}

// The CRD's patterns.
var (
	durationRE  = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	actions     = []string{"replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase", "keepequal", "dropequal"}
)

// Validate applies the CRD's validation to the fields above.
func (s *ServiceMonitor) Validate() error {
	if len(s.Spec.Endpoints) == 0 {
		return fmt.Errorf("no endpoints")
	}
	for i, e := range s.Spec.Endpoints {
		if e.Port == "" {
			return fmt.Errorf("endpoints[%d]: no port name", i)
		}
		if e.Scheme != "" && e.Scheme != "http" && e.Scheme != "https" {
			return fmt.Errorf("endpoints[%d].scheme %q: want http or https", i, e.Scheme)
		}
		var interval, timeout time.Duration
		for _, d := range []struct {
			name, v string
			out     *time.Duration
		}{{"interval", e.Interval, &interval}, {"scrapeTimeout", e.ScrapeTimeout, &timeout}} {
			if d.v == "" {
				continue
			}
			if !durationRE.MatchString(d.v) {
				return fmt.Errorf("endpoints[%d].%s %q: not a Prometheus duration", i, d.name, d.v)
			}
			md, err := model.ParseDuration(d.v)
			if err != nil {
				return fmt.Errorf("endpoints[%d].%s %q: %w", i, d.name, d.v, err)
			}
			*d.out = time.Duration(md)
		}
		if interval > 0 && timeout > interval {
			return fmt.Errorf("endpoints[%d]: scrapeTimeout %v longer than interval %v", i, timeout, interval)
		}
		for j, r := range slices.Concat(e.Relabelings, e.MetricRelabelings) {
			action := strings.ToLower(r.Action)
			if action == "" {
				action = "replace"
			}
			if !slices.Contains(actions, action) {
				return fmt.Errorf("endpoints[%d] relabeling %d: action %q", i, j, r.Action)
			}
			for _, l := range r.SourceLabels {
				if !labelNameRE.MatchString(l) {
					return fmt.Errorf("endpoints[%d] relabeling %d: source label %q", i, j, l)
				}
			}
			if (action == "replace" || action == "hashmod" || action == "lowercase" || action == "uppercase") && r.TargetLabel == "" {
				return fmt.Errorf("endpoints[%d] relabeling %d: %s needs targetLabel", i, j, action)
			}
			if r.Regex != "" {
				if _, err := regexp.Compile("^(?:" + r.Regex + ")$"); err != nil {
					return fmt.Errorf("endpoints[%d] relabeling %d: regex: %w", i, j, err)
				}
			}
		}
	}
	return nil
}
