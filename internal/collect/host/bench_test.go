package host

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/spf13/pflag"

	"github.com/mihari-dev/mihari/internal/collect"
)

// BenchmarkScrape gathers and encodes every host collector against this
// host's own /proc and /sys, as one scrape of /metrics does.
func BenchmarkScrape(b *testing.B) {
	var o collect.Options
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(nil); err != nil {
		b.Fatal(err)
	}
	node, r, err := o.Build(slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	g := collect.NewGatherer(node, r)
	b.ReportAllocs()
	for b.Loop() {
		mfs, err := g.Gather(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
