package collect

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestGathererInclude(t *testing.T) {
	g := NewGatherer(NewNode(nil, slog.New(slog.DiscardHandler)), NewReader(Config{}))
	other := prometheus.NewRegistry()
	kept := prometheus.NewGauge(prometheus.GaugeOpts{Name: "aaa_kept", Help: "kept"})
	dropped := prometheus.NewGauge(prometheus.GaugeOpts{Name: "aaa_dropped", Help: "dropped"})
	// Named like one of the gatherer's own: the own one wins.
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_goroutines", Help: "clash"})
	other.MustRegister(kept, dropped, clash)
	kept.Set(7)
	g.Include(other, time.Hour, "aaa_kept", "go_goroutines")

	mfs, err := g.Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
		switch mf.GetName() {
		case "aaa_kept":
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != 7 {
				t.Errorf("aaa_kept = %v, want 7", v)
			}
		case "go_goroutines":
			if mf.GetHelp() == "clash" {
				t.Errorf("an included family replaced the gatherer's own go_goroutines")
			}
		}
	}
	if !slices.Contains(names, "aaa_kept") {
		t.Errorf("aaa_kept not gathered: %v", names)
	}
	if slices.Contains(names, "aaa_dropped") {
		t.Errorf("aaa_dropped gathered though not named")
	}
	if !slices.IsSorted(names) {
		t.Errorf("families not sorted by name: %v", names)
	}
	if n := len(slices.Compact(slices.Clone(names))); n != len(names) {
		t.Errorf("duplicate families: %v", names)
	}

	// Within the hour, the families gathered first are served again.
	kept.Set(8)
	mfs, err = g.Gather(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "aaa_kept" {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != 7 {
				t.Errorf("aaa_kept = %v within its refresh period, want the cached 7", v)
			}
		}
	}
}
