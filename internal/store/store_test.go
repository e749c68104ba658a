package store

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"google.golang.org/protobuf/proto"
)

func family(name string, typ dto.MetricType, ms ...*dto.Metric) *dto.MetricFamily {
	return &dto.MetricFamily{Name: proto.String(name), Type: typ.Enum(), Metric: ms}
}

func lp(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)}
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Path: dir, Labels: labels.FromStrings("instance", "h1", "job", "mihari")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// samples reads every sample of the store as "series -> [values]".
func samples(t *testing.T, s *Store) map[string][]float64 {
	t.Helper()
	q, err := s.DB().Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	set := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchRegexp, "__name__", ".+"))
	out := map[string][]float64{}
	for set.Next() {
		series := set.At()
		it := series.Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			out[series.Labels().String()] = append(out[series.Labels().String()], v)
		}
	}
	if err := set.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendTypes(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	mfs := []*dto.MetricFamily{
		family("c_total", dto.MetricType_COUNTER, &dto.Metric{Label: []*dto.LabelPair{lp("mode", "user")}, Counter: &dto.Counter{Value: proto.Float64(3)}}),
		family("g", dto.MetricType_GAUGE, &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(1.5)}}),
		// A metric's own instance label wins over the store's.
		family("own", dto.MetricType_UNTYPED, &dto.Metric{Label: []*dto.LabelPair{lp("instance", "other")}, Untyped: &dto.Untyped{Value: proto.Float64(7)}}),
		family("s", dto.MetricType_SUMMARY, &dto.Metric{Summary: &dto.Summary{
			SampleCount: proto.Uint64(4), SampleSum: proto.Float64(10),
			Quantile: []*dto.Quantile{{Quantile: proto.Float64(0.5), Value: proto.Float64(2)}},
		}}),
		family("h", dto.MetricType_HISTOGRAM, &dto.Metric{Histogram: &dto.Histogram{
			SampleCount: proto.Uint64(5), SampleSum: proto.Float64(12),
			Bucket: []*dto.Bucket{{UpperBound: proto.Float64(1), CumulativeCount: proto.Uint64(2)}},
		}}),
	}
	n, err := s.Append(context.Background(), mfs, time.Unix(1000, 0))
	if err != nil || n != 10 {
		t.Fatalf("appended %d, %v; want 10 samples", n, err)
	}
	want := map[string][]float64{
		`{__name__="c_total", instance="h1", job="mihari", mode="user"}`: {3},
		`{__name__="g", instance="h1", job="mihari"}`:                    {1.5},
		`{__name__="own", instance="other", job="mihari"}`:               {7},
		`{__name__="s", instance="h1", job="mihari", quantile="0.5"}`:    {2},
		`{__name__="s_sum", instance="h1", job="mihari"}`:                {10},
		`{__name__="s_count", instance="h1", job="mihari"}`:              {4},
		`{__name__="h_bucket", instance="h1", job="mihari", le="1"}`:     {2},
		`{__name__="h_bucket", instance="h1", job="mihari", le="+Inf"}`:  {5},
		`{__name__="h_sum", instance="h1", job="mihari"}`:                {12},
		`{__name__="h_count", instance="h1", job="mihari"}`:              {5},
	}
	if diff := cmp.Diff(want, samples(t, s)); diff != "" {
		t.Fatalf("stored (-want +have):\n%s", diff)
	}
}

// A series that disappears gets a staleness marker, so queries stop
// seeing it at once.
func TestStaleness(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	g := func(name string, v float64) *dto.MetricFamily {
		return family(name, dto.MetricType_GAUGE, &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(v)}})
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, []*dto.MetricFamily{g("a", 1), g("b", 2)}, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, []*dto.MetricFamily{g("a", 3)}, time.Unix(1015, 0)); err != nil {
		t.Fatal(err)
	}
	got := samples(t, s)
	b := got[`{__name__="b", instance="h1", job="mihari"}`]
	if len(b) != 2 || b[0] != 2 || !value.IsStaleNaN(b[1]) {
		t.Fatalf("b = %v, want [2 StaleNaN]", b)
	}
	if a := got[`{__name__="a", instance="h1", job="mihari"}`]; len(a) != 2 {
		t.Fatalf("a = %v", a)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	g := family("g", dto.MetricType_GAUGE, &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(42)}})
	if _, err := s.Append(context.Background(), []*dto.MetricFamily{g}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if v := samples(t, s)[`{__name__="g", instance="h1", job="mihari"}`]; len(v) != 1 || v[0] != 42 {
		t.Fatalf("after reopening: %v", v)
	}
}

// mihari never takes over a directory that is not its own, and two agents
// never share one.
func TestClaim(t *testing.T) {
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Open(Options{Path: foreign}); err == nil || !strings.Contains(err.Error(), "is not empty and is not a mihari data directory") {
		t.Errorf("foreign directory: %v", err)
	}
	prom := t.TempDir()
	os.Mkdir(filepath.Join(prom, "wal"), 0o755)
	if _, err := Open(Options{Path: prom}); err == nil || !strings.Contains(err.Error(), "a Prometheus data directory?") {
		t.Errorf("Prometheus directory: %v", err)
	}
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	if _, err := Open(Options{Path: dir}); err == nil || !strings.Contains(err.Error(), "in use by another mihari") {
		t.Errorf("second open: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		t.Errorf("no marker: %v", err)
	}
}

// BenchmarkAppend stores a collection of 3,000 series, as one interval
// of a busy host does.
func BenchmarkAppend(b *testing.B) {
	s, err := Open(Options{Path: b.TempDir(), Labels: labels.FromStrings("instance", "h1", "job", "mihari")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var mfs []*dto.MetricFamily
	for f := range 100 {
		var ms []*dto.Metric
		for i := range 30 {
			ms = append(ms, &dto.Metric{
				Label:   []*dto.LabelPair{lp("groupname", "group"+strconv.Itoa(i)), lp("mode", "user")},
				Counter: &dto.Counter{Value: proto.Float64(float64(i))},
			})
		}
		mfs = append(mfs, family("metric_"+strconv.Itoa(f)+"_total", dto.MetricType_COUNTER, ms...))
	}
	t := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		t = t.Add(15 * time.Second)
		if _, err := s.Append(context.Background(), mfs, t); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	for _, c := range []struct {
		euid            int
		xdg, home, want string
	}{
		{0, "/x", "/root", "/var/lib/mihari"},
		{1000, "/run/state", "/home/u", "/run/state/mihari"},
		{1000, "", "/home/u", "/home/u/.local/state/mihari"},
		{1000, "", "", "mihari-data"},
	} {
		if got := defaultPath(c.euid, c.xdg, c.home); got != c.want {
			t.Errorf("defaultPath(%d, %q, %q) = %q, want %q", c.euid, c.xdg, c.home, got, c.want)
		}
	}
}

// appendSeconds stores one gauge a second for n seconds from start.
func appendSeconds(t *testing.T, s *Store, start time.Time, n int) {
	t.Helper()
	for i := range n {
		g := family("g", dto.MetricType_GAUGE, &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(float64(i))}})
		if _, err := s.Append(context.Background(), []*dto.MetricFamily{g}, start.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

// A write-ahead log damaged in the middle is repaired by the TSDB, which
// drops what follows the damage: mihari opens the directory, keeps what is
// before the damage, and says in one error that samples were lost.
func TestDamagedWAL(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	appendSeconds(t, s, time.Now().Add(-time.Hour), 2000)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "0*"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+64; i++ {
		b[i] ^= 0xff
	}
	os.WriteFile(segs[0], b, 0o644)

	var logs strings.Builder
	s, err = Open(Options{Path: dir, Labels: labels.FromStrings("instance", "h1", "job", "mihari"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("opening a directory with a damaged WAL: %v", err)
	}
	defer s.Close()
	line := errorLine(logs.String(), "the data directory is damaged")
	if !strings.Contains(line, "corruption in segment") {
		t.Errorf("no error about the damaged WAL; logs:\n%s", logs.String())
	}
	v := samples(t, s)[`{__name__="g", instance="h1", job="mihari"}`]
	if len(v) == 0 || len(v) >= 2000 {
		t.Errorf("%d samples after the repair; want those before the damage, fewer than 2000", len(v))
	}
	t.Logf("%d of 2000 samples kept; %s", len(v), line)
}

// A block whose metadata is damaged is left out, not deleted: mihari opens
// the directory, keeps the rest, and says in one error what is wrong.
func TestDamagedBlock(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	// Over three hours of samples, so that the head compacts into a block.
	appendSeconds(t, s, time.Now().Add(-5*time.Hour), 4*3600)
	if err := s.DB().Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	metas, _ := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	if len(metas) == 0 {
		t.Fatal("no block was written")
	}
	os.WriteFile(metas[0], []byte("{"), 0o644)

	var logs strings.Builder
	s, err := Open(Options{Path: dir, Labels: labels.FromStrings("instance", "h1", "job", "mihari"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("opening a directory with a damaged block: %v", err)
	}
	defer s.Close()
	line := errorLine(logs.String(), "the data directory is damaged")
	if !strings.Contains(line, "meta.json") {
		t.Errorf("no error naming the damaged block; logs:\n%s", logs.String())
	}
	if b, _ := os.ReadFile(metas[0]); string(b) != "{" {
		t.Error("the damaged block was changed")
	}
	if v := samples(t, s)[`{__name__="g", instance="h1", job="mihari"}`]; len(v) == 0 || len(v) >= 4*3600 {
		t.Errorf("%d samples; want the head's, without the block's", len(v))
	}
	t.Log(line)
}

// errorLine is the ERROR line of logs that contains msg, or "".
func errorLine(logs, msg string) string {
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, msg) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
