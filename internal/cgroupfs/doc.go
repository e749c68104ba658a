// Package cgroupfs parses the files of cgroup v1 and v2 hierarchies. Each
// parser takes the file's bytes; none does I/O.
//
// A collector reads these files for every cgroup at every scrape, on hosts
// with hundreds of containers, so the parsers scan the bytes once, without
// regular expressions or fmt's scanning, and allocate per file rather than
// per line.
//
// Strict parsers (ParseValue, ParseCPUMax) describe one value: they return
// a zero value and an error when the file is malformed. Lenient parsers
// (ParseKeyValues, ParseBlkio, ParseIOStat) describe independent records,
// one a line: they skip a malformed line, return the good ones, and report
// the bad ones in one error.
//
// The pressure files of cgroup v2 (cpu.pressure, io.pressure,
// memory.pressure) have the format of /proc/pressure and are parsed by
// procfs.ParsePressure.
package cgroupfs
