// Package query answers PromQL over mihari's store, through the Prometheus
// engine and the Prometheus HTTP API (/api/v1) itself, so that Grafana's
// Prometheus data source and promtool talk to mihari unchanged.
package query

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/route"
	"github.com/prometheus/common/version"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/scrape"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	v1 "github.com/prometheus/prometheus/web/api/v1"
)

// EngineOptions bound the queries a client may run.
type EngineOptions struct {
	Timeout       time.Duration
	MaxSamples    int
	LookbackDelta time.Duration
	Logger        *slog.Logger
	Registerer    prometheus.Registerer
}

// NewEngine returns a PromQL engine with mihari's defaults.
func NewEngine(o EngineOptions) *promql.Engine {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.MaxSamples == 0 {
		o.MaxSamples = 50_000_000
	}
	if o.LookbackDelta == 0 {
		o.LookbackDelta = 5 * time.Minute
	}
	return promql.NewEngine(promql.EngineOpts{
		Logger:               o.Logger,
		Reg:                  o.Registerer,
		MaxSamples:           o.MaxSamples,
		Timeout:              o.Timeout,
		LookbackDelta:        o.LookbackDelta,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		Parser:               parser.NewParser(parser.Options{}),
	})
}

// Rules is what the API needs to show rules and alerts (rules.Manager).
type Rules = v1.RulesRetriever

// Alertmanagers is what the API needs to list Alertmanagers.
type Alertmanagers = v1.AlertmanagerRetriever

// Options are the parts of the agent the API shows.
type Options struct {
	Engine        *promql.Engine
	DB            *tsdb.DB
	Dir           string
	Rules         func() Rules // nil: no rules
	Alertmanagers func() Alertmanagers
	// Families returns what the collectors export, for /api/v1/metadata
	// (Prometheus gets metadata from its scrape targets; mihari from
	// itself).
	Families func() []*dto.MetricFamily
	Flags    map[string]string
	Gatherer prometheus.Gatherer
	// Registerer receives the API's own metrics; nil for none.
	Registerer  prometheus.Registerer
	ExternalURL *url.URL
	Logger      *slog.Logger
	Start       time.Time
	Ready       func() bool
}

// Handler serves /api/v1.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	ready := func(f http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if o.Ready != nil && !o.Ready() {
				http.Error(w, "mihari is starting", http.StatusServiceUnavailable)
				return
			}
			f(w, r)
		}
	}
	rulesFn := func(context.Context) v1.RulesRetriever {
		if o.Rules == nil {
			return noRules{}
		}
		return o.Rules()
	}
	ams := func(context.Context) v1.AlertmanagerRetriever {
		if o.Alertmanagers == nil {
			return noAlertmanagers{}
		}
		return o.Alertmanagers()
	}
	u := o.ExternalURL
	if u == nil {
		u = &url.URL{Scheme: "http", Host: "localhost"}
	}
	api := v1.NewAPI(
		o.Engine,
		o.DB,
		nil, // no remote-write receiver
		nil, // no exemplars
		func(context.Context) v1.ScrapePoolsRetriever { return noTargets{} },
		func(context.Context) v1.TargetRetriever { return noTargets{} },
		ams,
		func() config.Config { return config.DefaultConfig },
		o.Flags,
		v1.GlobalURLOptions{ListenAddress: u.Host, Host: u.Host, Scheme: u.Scheme},
		ready,
		adminStats{o.DB},
		o.Dir,
		false, // no admin API: deleting series is not a monitoring agent's job
		false,
		0,
		o.Logger,
		rulesFn,
		0, 0, 0,
		false,
		nil,
		func() (v1.RuntimeInfo, error) { return runtimeInfo(o.Start), nil },
		&v1.PrometheusVersion{
			Version:   version.Version,
			Revision:  version.GetRevision(),
			Branch:    version.Branch,
			BuildUser: version.BuildUser,
			BuildDate: version.BuildDate,
			GoVersion: version.GoVersion,
		},
		nil, nil,
		o.Gatherer,
		o.Registerer,
		v1.DefaultStatsRenderer,
		false, nil,
		false, false, false,
		5*time.Minute,
		false, false,
		nil,
		nil,
		v1.OpenAPIOptions{},
		parser.NewParser(parser.Options{}),
		false,
		2*time.Minute,
	)
	r := route.New()
	api.Register(r)
	mux := http.NewServeMux()
	// Prometheus reads metadata from its targets' scrapes; mihari has no
	// targets, so it answers from its own families, in the same shape.
	mux.HandleFunc("/api/v1/metadata", ready(metadataHandler(o.Families)))
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", r))
	return mux
}

func runtimeInfo(start time.Time) v1.RuntimeInfo {
	return v1.RuntimeInfo{StartTime: start, CWD: ".", GoroutineCount: 0, GOMAXPROCS: 0}
}

// metadataHandler serves /api/v1/metadata: {"metric": [{"type","help","unit"}]}.
func metadataHandler(families func() []*dto.MetricFamily) http.HandlerFunc {
	var mu sync.Mutex
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		limit := -1
		if s := r.FormValue("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				apiError(w, http.StatusBadRequest, "bad_data", "limit must be a number")
				return
			}
			limit = n
		}
		metric := r.FormValue("metric")
		type entry struct {
			Type string `json:"type"`
			Help string `json:"help"`
			Unit string `json:"unit"`
		}
		out := map[string][]entry{}
		if families != nil {
			for _, mf := range families() {
				if metric != "" && mf.GetName() != metric {
					continue
				}
				out[mf.GetName()] = []entry{{Type: strings.ToLower(mf.GetType().String()), Help: mf.GetHelp(), Unit: mf.GetUnit()}}
			}
		}
		if limit >= 0 && len(out) > limit {
			names := make([]string, 0, len(out))
			for n := range out {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names[limit:] {
				delete(out, n)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": out})
	}
}

func apiError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": "error", "errorType": typ, "error": msg})
}

// adminStats gives the API the TSDB's statistics (/api/v1/status/tsdb).
type adminStats struct{ db *tsdb.DB }

func (a adminStats) CleanTombstones() error { return a.db.CleanTombstones() }
func (a adminStats) Delete(ctx context.Context, mint, maxt int64, ms ...*labels.Matcher) error {
	return a.db.Delete(ctx, mint, maxt, ms...)
}
func (a adminStats) Snapshot(dir string, withHead bool) error { return a.db.Snapshot(dir, withHead) }
func (a adminStats) Stats(statsByLabelName string, limit int) (*tsdb.Stats, error) {
	return a.db.Head().Stats(statsByLabelName, limit), nil
}
func (a adminStats) WALReplayStatus() (tsdb.WALReplayStatus, error) {
	return tsdb.WALReplayStatus{}, nil
}
func (a adminStats) BlockMetas() ([]tsdb.BlockMeta, error) {
	var out []tsdb.BlockMeta
	for _, b := range a.db.Blocks() {
		out = append(out, b.Meta())
	}
	return out, nil
}

// noTargets: mihari scrapes nothing; its collectors append directly.
type noTargets struct{}

func (noTargets) ScrapePools() []string                                 { return nil }
func (noTargets) TargetsActive() map[string][]*scrape.Target            { return nil }
func (noTargets) TargetsDropped() map[string][]*scrape.Target           { return nil }
func (noTargets) TargetsDroppedCounts() map[string]int                  { return nil }
func (noTargets) ScrapePoolConfig(string) (*config.ScrapeConfig, error) { return nil, nil }
func (noRules) RuleGroups() []*rules.Group                              { return nil }
func (noRules) AlertingRules() []*rules.AlertingRule                    { return nil }
func (noAlertmanagers) Alertmanagers() []*url.URL                       { return nil }
func (noAlertmanagers) DroppedAlertmanagers() []*url.URL                { return nil }

type noRules struct{}
type noAlertmanagers struct{}

var _ storage.SampleAndChunkQueryable = (*tsdb.DB)(nil)
