package sysfs

import "strings"

// ParseUdevProperties parses a device's entry in the udev database,
// /run/udev/data/b<major>:<minor> for a block device, and returns its
// properties: the "E:KEY=VALUE" lines, as KEY to VALUE. Other lines (S:
// symlinks, I: initialisation time, G: and Q: tags, V: version) and lines
// without a key are skipped. It never fails: the database is written by
// udev, not the kernel, and a device whose entry mihari cannot read is
// still worth exporting without its labels. The map is never nil.
func ParseUdevProperties(b []byte) map[string]string {
	s := string(b)
	// The keys and values are substrings of s: one string allocation for
	// the file instead of two a property.
	props := make(map[string]string, strings.Count(s, "\nE:")+1)
	for len(s) > 0 {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		prop, ok := strings.CutPrefix(line, "E:")
		if !ok {
			continue
		}
		key, value, ok := strings.Cut(prop, "=")
		if !ok || key == "" {
			continue
		}
		props[key] = value
	}
	return props
}
