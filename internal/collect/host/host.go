// Package host holds the collectors of host-wide metrics. Their names,
// labels and units follow node_exporter 1.x, so existing dashboards and
// alert rules work unchanged; the HELP texts are mihari's own.
//
// Every collector reads through the source layer (collect.Source), hands
// the bytes to a parser (internal/procfs, internal/sysfs) and turns the
// result into const metrics; none of them opens a file itself.
package host

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// deviceFilter selects devices by an exclude or an include regexp, like
// node_exporter's --collector.<name>.device-exclude/-include.
type deviceFilter struct {
	exclude, include *regexp.Regexp
}

func newDeviceFilter(flag, exclude, include string) (deviceFilter, error) {
	var f deviceFilter
	if exclude != "" && include != "" {
		return f, fmt.Errorf("--collector.%s.device-exclude and --collector.%s.device-include are mutually exclusive; keep one", flag, flag)
	}
	var err error
	if exclude != "" {
		if f.exclude, err = regexp.Compile(exclude); err != nil {
			return f, fmt.Errorf("--collector.%s.device-exclude %q: %w", flag, exclude, err)
		}
	}
	if include != "" {
		if f.include, err = regexp.Compile(include); err != nil {
			return f, fmt.Errorf("--collector.%s.device-include %q: %w", flag, include, err)
		}
	}
	return f, nil
}

func (f deviceFilter) ignored(name string) bool {
	return (f.exclude != nil && f.exclude.MatchString(name)) ||
		(f.include != nil && !f.include.MatchString(name))
}

// typedDesc is a descriptor with its value type.
type typedDesc struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
}

func (d typedDesc) metric(v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d.desc, d.typ, v, labels...)
}

// fieldKey identifies a field of a file whose metric names come from the
// file itself (meminfo, vmstat).
type fieldKey struct{ name, unit string }

// fieldDesc is how one such field is exported; skip drops it.
type fieldDesc struct {
	typedDesc
	scale float64
	skip  bool
}

// fieldDescs builds each field's descriptor once, not on every scrape:
// building descriptors is most of what such a collector would otherwise cost.
type fieldDescs struct {
	mu   sync.Mutex
	m    map[fieldKey]fieldDesc
	make func(fieldKey) fieldDesc
}

func newFieldDescs(mk func(fieldKey) fieldDesc) *fieldDescs {
	return &fieldDescs{m: map[fieldKey]fieldDesc{}, make: mk}
}

func (c *fieldDescs) get(name, unit string) fieldDesc {
	k := fieldKey{name, unit}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[k]
	if !ok {
		d = c.make(k)
		c.m[k] = d
	}
	return d
}

// metricName replaces every character not allowed in a metric name by '_'.
func metricName(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i], i) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := []byte(s)
	for i := range b {
		if !nameChar(b[i], i) {
			b[i] = '_'
		}
	}
	return string(b)
}

func nameChar(c byte, i int) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
}
