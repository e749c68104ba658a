package process

import (
	"context"
	"testing"

	"github.com/mihari-dev/mihari/internal/collect"
)

// BenchmarkSample reads every process of this host, as one collection
// does; run it with many processes alive to see the cost per process.
func BenchmarkSample(b *testing.B) {
	r := collect.NewReader(collect.Config{})
	s := NewSampler(r, collect.DefaultPaths(), Options{})
	tr := NewTracker(ByComm(), true, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		snap, err := s.Sample(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tr.Update(snap)
		tr.Top(snap, 20)
	}
}
