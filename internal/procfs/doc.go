// Package procfs parses files of /proc. Each parser takes the file's bytes
// and returns what it could parse; a non-nil error means part or all of the
// file was malformed.
//
// The parsers never read files themselves: every read of a host file goes
// through the source layer, which bounds and times it. They run on every
// scrape, so they scan the bytes once, without regular expressions or
// fmt's scanning, and allocate per file rather than per line where they can.
//
// Strict parsers (stat, loadavg, pressure, and [pid]/stat, status, io and
// limits) return a zero value and an error as soon as one line they know
// is malformed, because their values are only meaningful together. Lenient
// parsers (meminfo, vmstat, diskstats, net/dev, mounts, [pid]/cgroup,
// [pid]/maps, kallsyms)
// describe independent records, one a line: they skip a malformed line,
// return the good ones, and report the bad ones in one error.
// [pid]/cmdline cannot be malformed.
package procfs
