// Package rules loads, checks and unit-tests Prometheus-format alerting and
// recording rules, and carries mihari's default rule pack. Evaluation itself
// is prometheus/prometheus's rules.Manager; Loader feeds it.
package rules

import _ "embed"

//go:embed defaults.yml
var defaults []byte

// DefaultsName is the identifier of the embedded default rule pack: Loader
// serves it instead of reading a file, and it names the pack in messages.
const DefaultsName = "mihari-defaults.yml"

// DefaultsArg is what a user types to name the embedded default pack: on
// the command line (mihari rules check defaults) and in a test file's
// rule_files.
const DefaultsArg = "defaults"

// Defaults returns the embedded default rule pack, a Prometheus rule file.
// The slice is a copy: callers may change it.
func Defaults() []byte { return append([]byte(nil), defaults...) }
