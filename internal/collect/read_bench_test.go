package collect

import (
	"context"
	"os"
	"testing"
)

// The source layer's cost per read, next to reading the same file
// directly: BenchmarkReadSource vs BenchmarkReadOSReadFile.
func BenchmarkReadSource(b *testing.B) {
	s := NewReader(Config{}).Source("/proc/loadavg")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ReadFile(ctx, "/proc/loadavg"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadOSReadFile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile("/proc/loadavg"); err != nil {
			b.Fatal(err)
		}
	}
}
