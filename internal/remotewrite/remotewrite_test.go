package remotewrite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/config"
)

func TestConfigs(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "password")
	os.WriteFile(pw, []byte("s3cret"), 0o600)
	file := filepath.Join(dir, "rw.yml")
	os.WriteFile(file, []byte(`remote_write:
  - url: https://mimir.example.com/api/v1/push
    headers: {X-Scope-OrgID: fleet}
    queue_config: {max_shards: 4}
`), 0o644)

	cs, err := Configs(Options{URLs: []string{"http://prom:9090/api/v1/write", "https://vm:8428/api/v1/write"},
		BasicAuthUser: "ops", BasicAuthPasswordFile: pw, Protocol: "2.0", ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 {
		t.Fatalf("%d receivers, want 3", len(cs))
	}
	if c := cs[0]; c.URL.String() != "http://prom:9090/api/v1/write" || c.HTTPClientConfig.BasicAuth.Username != "ops" ||
		string(c.ProtobufMessage) != "io.prometheus.write.v2.Request" || c.MetadataConfig.Send || c.QueueConfig.MaxShards != 50 {
		t.Errorf("from flags: %+v", c)
	}
	if c := cs[2]; c.Headers["X-Scope-OrgID"] != "fleet" || c.QueueConfig.MaxShards != 4 || c.QueueConfig.Capacity != 10000 || c.MetadataConfig.Send {
		t.Errorf("from the file: %+v", c)
	}

	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "no remote-write receiver"},
		{Options{URLs: []string{"prom:9090"}}, `--remote-write.url "prom:9090": want an http:// or https:// URL`},
		{Options{URLs: []string{"http://p/w"}, Protocol: "3"}, `--remote-write.protocol "3": want 1.0 or 2.0`},
		{Options{URLs: []string{"http://p/w"}, BearerTokenFile: filepath.Join(dir, "nope")}, "--remote-write.bearer-token-file: stat"},
		{Options{URLs: []string{"http://p/w"}, BearerTokenFile: pw, BasicAuthUser: "ops"}, "at most one of basic_auth"},
		{Options{URLs: []string{"http://p/w"}, TLS: config.TLSConfig{CAFile: filepath.Join(dir, "ca.pem")}}, "--remote-write.tls.ca-file: stat"},
		{Options{ConfigFile: filepath.Join(dir, "none.yml")}, "--remote-write.config-file: open"},
		{Options{ConfigFile: pw}, "--remote-write.config-file " + pw},
	} {
		_, err := Configs(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Configs(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
}

type fakeDB struct{ disabled, enabled int }

func (f *fakeDB) DisableCompactions() { f.disabled++ }
func (f *fakeDB) EnableCompactions()  { f.enabled++ }

// TestHoldsCompactions: a queue behind by more than the slack holds the
// store's compactions, caught up it releases them, and past MaxBacklog it
// gives up.
func TestHoldsCompactions(t *testing.T) {
	reg := prometheus.NewRegistry()
	sent := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"}, []string{"remote_name", "url"})
	reg.MustRegister(sent)
	db := &fakeDB{}
	w, err := New(Options{URLs: []string{"http://p/w"}, MaxBacklog: time.Hour, Gatherer: reg, MetricsRegisterer: prometheus.NewRegistry()}, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	w.started = now.Add(-5 * time.Hour)
	q := sent.WithLabelValues("abc", "http://p/w")

	for _, step := range []struct {
		sentAt           time.Duration // before now
		held             bool
		disabled, enable int
		gaveUp           float64
	}{
		{5 * time.Second, false, 0, 0, 0},
		{2 * time.Minute, true, 1, 0, 0},
		{10 * time.Minute, true, 1, 0, 0},
		{10 * time.Second, false, 1, 1, 0},
		{5 * time.Minute, true, 2, 1, 0},
		{2 * time.Hour, false, 2, 2, 1},
		{3 * time.Hour, false, 2, 2, 1}, // given up: not held again until it catches up
	} {
		q.Set(float64(now.Add(-step.sentAt).UnixMilli()) / 1e3)
		w.check()
		if w.isHeld() != step.held || db.disabled != step.disabled || db.enabled != step.enable || testutil.ToFloat64(w.givenUps) != step.gaveUp {
			t.Errorf("sent %v ago: held %v, disabled %d, enabled %d, given up %v; want %v, %d, %d, %v",
				step.sentAt, w.isHeld(), db.disabled, db.enabled, testutil.ToFloat64(w.givenUps), step.held, step.disabled, step.enable, step.gaveUp)
		}
		if got := testutil.ToFloat64(w.backlog.WithLabelValues("abc", "http://p/w")); got != step.sentAt.Seconds() {
			t.Errorf("backlog %v, want %v", got, step.sentAt.Seconds())
		}
	}
}
