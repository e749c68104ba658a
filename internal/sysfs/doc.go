// Package sysfs parses files of /sys and the udev database that describes
// its devices.
//
// Like package procfs, the parsers take a file's bytes and never read files
// themselves: every read of a host file goes through the source layer.
package sysfs
