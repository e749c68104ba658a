package sysfs

import (
	"os"
	"path/filepath"
	"testing"
)

// readFixture returns the file name of testdata/hosts/<tree>, e.g.
// readFixture(t, "vm", "sys/devices/system/cpu/isolated").
func readFixture(tb testing.TB, tree, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hosts", tree, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
