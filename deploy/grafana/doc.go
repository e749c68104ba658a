// Package grafana holds mihari's Grafana dashboards, the JSON files in this
// directory (see docs/grafana.md). It has no code: its test parses every
// query of every dashboard and checks the metric and label names against
// what mihari exports.
package grafana
