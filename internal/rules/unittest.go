package rules

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	promrules "github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"go.yaml.in/yaml/v3"
)

// A rule unit test file, in promtool's format:
// https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/
type testFile struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	GroupEvalOrder     []string       `yaml:"group_eval_order"`
	Tests              []testGroup    `yaml:"tests"`
}

// testGroup is one test: its own input series, evaluated from scratch.
type testGroup struct {
	Name           string            `yaml:"name"`
	Interval       model.Duration    `yaml:"interval"`
	InputSeries    []inputSeries     `yaml:"input_series"`
	AlertRuleTests []alertTest       `yaml:"alert_rule_test"`
	PromQLTests    []promqlTest      `yaml:"promql_expr_test"`
	ExternalLabels map[string]string `yaml:"external_labels"`
	ExternalURL    string            `yaml:"external_url"`
}

// inputSeries is a series and its values in expanding notation
// ("1+1x10", "_x3", "stale"), one every interval from time 0.
type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []expAlert     `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type promqlTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []expSample    `yaml:"exp_samples"`
}

type expSample struct {
	Labels    string  `yaml:"labels"`
	Value     float64 `yaml:"value"`
	Histogram string  `yaml:"histogram"`
}

// defaultEvalInterval is promtool's evaluation_interval when a test file
// has none.
const defaultEvalInterval = time.Minute

// valueTolerance is the relative difference up to which an expected and
// a computed sample value are equal: exact decimal values in a test file
// rarely survive floating-point arithmetic bit for bit.
const valueTolerance = 1e-6

// epoch is time 0 of every test: input series start here and eval_time
// counts from here.
var epoch = time.Unix(0, 0).UTC()

// Test runs rule unit test files in promtool's format
// (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/)
// and writes one report per file to w:
//
//	Unit Testing:  FILE
//	  SUCCESS
//
// or `  FAILED:` followed by every failed expectation with what was expected
// (exp:) and what the rules produced (got:), every rule that failed to
// evaluate, and every test that could not run. A test file's rule_files are
// relative to it; DefaultsArg there names the embedded default pack, and so
// does DefaultsName unless a file of that name lies beside the test file.
//
// As with promtool, every group is evaluated every evaluation_interval
// (default 1m), in group_eval_order, from time 0 to the last eval_time; an
// alert_rule_test sees the alerts firing after the last evaluation at or
// before its eval_time (pending ones do not count), with annotations
// templated. Unlike promtool, sample values of a promql_expr_test match
// within a relative 1e-6, and all failures are reported, not the first.
// Test returns false if anything failed.
func Test(w io.Writer, files ...string) bool {
	ok := true
	for _, f := range files {
		fmt.Fprintf(w, "Unit Testing:  %s\n", f)
		failures := runTestFile(f)
		if len(failures) == 0 {
			fmt.Fprintln(w, "  SUCCESS")
			continue
		}
		ok = false
		fmt.Fprintln(w, "  FAILED:")
		for _, msg := range failures {
			writeIndented(w, "    ", msg)
		}
	}
	return ok
}

// loadedGroup is a rule group and the file it came from.
type loadedGroup struct {
	file  string
	group rulefmt.RuleGroup
}

// runTestFile runs every test of a test file and returns its failures.
func runTestFile(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var tf testFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil && !errors.Is(err, io.EOF) {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	evalInterval := time.Duration(tf.EvaluationInterval)
	if evalInterval <= 0 {
		evalInterval = defaultEvalInterval
	}
	groups, errs := loadRuleFiles(filepath.Dir(path), tf.RuleFiles)
	if len(errs) > 0 {
		return errorStrings(errs)
	}
	groups, err = orderGroups(groups, tf.GroupEvalOrder)
	if err != nil {
		return []string{err.Error()}
	}
	var failures []string
	for i, tg := range tf.Tests {
		r := &testRun{
			tg:           tg,
			index:        i + 1,
			groups:       groups,
			evalInterval: evalInterval,
			parser:       parser.NewParser(parser.Options{}),
		}
		failures = append(failures, r.run()...)
	}
	return failures
}

// loadRuleFiles loads a test file's rule_files, patterns relative to dir.
// DefaultsArg is the embedded default pack, and so is DefaultsName unless
// a file of that name lies in dir: then that file, a changed copy, is meant.
func loadRuleFiles(dir string, names []string) ([]loadedGroup, []error) {
	var files []string
	for _, n := range names {
		path := n
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		embedded := n == DefaultsArg
		if n == DefaultsName {
			_, err := os.Stat(path)
			embedded = errors.Is(err, fs.ErrNotExist)
		}
		if embedded {
			files = append(files, DefaultsName)
			continue
		}
		expanded, err := ExpandFiles([]string{path})
		if err != nil {
			return nil, []error{err}
		}
		files = append(files, expanded...)
	}
	var groups []loadedGroup
	for _, f := range files {
		rgs, errs := Loader{}.Load(f, false, model.UTF8Validation)
		if len(errs) > 0 {
			return nil, errs
		}
		for _, g := range rgs.Groups {
			groups = append(groups, loadedGroup{file: f, group: g})
		}
	}
	return groups, nil
}

// orderGroups puts the groups named in group_eval_order first, in that
// order, and the others after them in file order.
func orderGroups(groups []loadedGroup, order []string) ([]loadedGroup, error) {
	if len(order) == 0 {
		return groups, nil
	}
	rank := map[string]int{}
	for i, name := range order {
		if !slices.ContainsFunc(groups, func(g loadedGroup) bool { return g.group.Name == name }) {
			return nil, fmt.Errorf("group_eval_order: no rule group %q in the rule files", name)
		}
		rank[name] = i
	}
	ordered := slices.Clone(groups)
	slices.SortStableFunc(ordered, func(a, b loadedGroup) int {
		ra, oka := rank[a.group.Name]
		rb, okb := rank[b.group.Name]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return ordered, nil
}

// testRun is one test group being run: its own storage, engine and rule
// groups, so that no state leaks from one test into the next.
type testRun struct {
	tg           testGroup
	index        int // 1-based, to name tests without a name
	groups       []loadedGroup
	evalInterval time.Duration
	parser       parser.Parser

	db       *tsdb.DB
	engine   *promql.Engine
	failures []string
}

// run runs the test group and returns its failures.
func (r *testRun) run() []string {
	dir, err := os.MkdirTemp("", "mihari-rules-test-")
	if err != nil {
		return []string{r.name() + err.Error()}
	}
	defer os.RemoveAll(dir)
	opts := tsdb.DefaultOptions()
	// Rules write their results at every evaluation time from 0, while
	// the input series may reach far beyond: a head as wide as the test
	// keeps those writes inside the appendable window. No WAL and no
	// compaction: the database lives for one test.
	opts.MinBlockDuration = int64(100 * 365 * 24 * time.Hour / time.Millisecond)
	opts.MaxBlockDuration = opts.MinBlockDuration
	opts.RetentionDuration = 0
	opts.WALSegmentSize = -1
	r.db, err = tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return []string{r.name() + "opening the test database: " + err.Error()}
	}
	defer r.db.Close()
	r.db.DisableCompactions()

	if err := r.loadSeries(); err != nil {
		return []string{r.name() + err.Error()}
	}
	r.engine = promql.NewEngine(promql.EngineOpts{
		MaxSamples:               50_000_000,
		Timeout:                  time.Minute,
		NoStepSubqueryIntervalFn: func(int64) int64 { return r.evalInterval.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
		Parser:                   r.parser,
	})
	groups, err := r.ruleGroups()
	if err != nil {
		return []string{r.name() + err.Error()}
	}
	r.evaluate(groups)
	for _, pt := range r.tg.PromQLTests {
		r.checkPromQL(pt)
	}
	return r.failures
}

// name prefixes a failure with the test's name, if it has one, or number.
func (r *testRun) name() string {
	if r.tg.Name != "" {
		return fmt.Sprintf("name: %s, ", r.tg.Name)
	}
	return fmt.Sprintf("test %d, ", r.index)
}

func (r *testRun) fail(format string, args ...any) {
	r.failures = append(r.failures, r.name()+fmt.Sprintf(format, args...))
}

// loadSeries writes the input series into the database.
func (r *testRun) loadSeries() error {
	interval := time.Duration(r.tg.Interval)
	if interval <= 0 {
		interval = r.evalInterval
	}
	app := r.db.AppenderV2(context.Background())
	for _, s := range r.tg.InputSeries {
		lset, values, err := r.parser.ParseSeriesDesc(s.Series + " " + s.Values)
		if err != nil {
			_ = app.Rollback()
			return fmt.Errorf("input series %q, values %q: %w", s.Series, s.Values, err)
		}
		for i, v := range values {
			if v.Omitted {
				continue
			}
			t := epoch.Add(time.Duration(i) * interval).UnixMilli()
			if v.Histogram != nil {
				_, err = app.Append(0, lset, 0, t, 0, nil, v.Histogram, storage.AOptions{})
			} else {
				_, err = app.Append(0, lset, 0, t, v.Value, nil, nil, storage.AOptions{})
			}
			if err != nil {
				_ = app.Rollback()
				return fmt.Errorf("input series %q: value %d: %w", s.Series, i+1, err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("input series: %w", err)
	}
	return nil
}

// ruleGroups makes evaluable groups of the loaded ones, with fresh state.
func (r *testRun) ruleGroups() ([]*promrules.Group, error) {
	var extURL *url.URL
	if r.tg.ExternalURL != "" {
		u, err := url.Parse(r.tg.ExternalURL)
		if err != nil {
			return nil, fmt.Errorf("external_url %q: %w", r.tg.ExternalURL, err)
		}
		extURL = u
	}
	logger := slog.New(slog.DiscardHandler)
	opts := &promrules.ManagerOptions{
		NameValidationScheme: model.UTF8Validation,
		ExternalURL:          extURL,
		QueryFunc:            promrules.EngineQueryFunc(r.engine, r.db),
		NotifyFunc:           func(context.Context, string, ...*promrules.Alert) {},
		Context:              context.Background(),
		AppendableV2:         r.db,
		Queryable:            r.db,
		Logger:               logger,
		Metrics:              promrules.NewGroupMetrics(nil),
		Parser:               r.parser,
	}
	extLabels := labels.FromMap(r.tg.ExternalLabels)
	groups := make([]*promrules.Group, 0, len(r.groups))
	for _, lg := range r.groups {
		g := lg.group
		rules := make([]promrules.Rule, 0, len(g.Rules))
		for _, rule := range g.Rules {
			expr, err := r.parser.ParseExpr(rule.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s: group %q: %w", lg.file, g.Name, err)
			}
			lset := promrules.FromMaps(g.Labels, rule.Labels)
			if rule.Record != "" {
				rules = append(rules, promrules.NewRecordingRule(rule.Record, expr, lset))
				continue
			}
			// restored=true: no 'for' state to restore from storage, and
			// the rule writes ALERTS and ALERTS_FOR_STATE, which a
			// promql_expr_test may query.
			rules = append(rules, promrules.NewAlertingRule(rule.Alert, expr,
				time.Duration(rule.For), time.Duration(rule.KeepFiringFor),
				lset, labels.FromMap(rule.Annotations), extLabels, r.tg.ExternalURL,
				true, logger))
		}
		interval := r.evalInterval
		if g.Interval > 0 {
			interval = time.Duration(g.Interval)
		}
		groups = append(groups, promrules.NewGroup(promrules.GroupOptions{
			Name:        g.Name,
			File:        lg.file,
			Interval:    interval,
			Limit:       g.Limit,
			Rules:       rules,
			Opts:        opts,
			QueryOffset: (*time.Duration)(g.QueryOffset),
		}))
	}
	return groups, nil
}

// evaluate evaluates the groups, in order, every evaluation_interval from
// time 0 to the last eval_time, and checks each alert_rule_test against the
// state after the last evaluation at or before its eval_time. As promtool
// does, it ignores a group's own interval: tests run on one clock.
func (r *testRun) evaluate(groups []*promrules.Group) {
	alertTests := slices.Clone(r.tg.AlertRuleTests)
	slices.SortStableFunc(alertTests, func(a, b alertTest) int { return cmp.Compare(a.EvalTime, b.EvalTime) })
	var end time.Duration
	for _, at := range alertTests {
		end = max(end, time.Duration(at.EvalTime))
	}
	for _, pt := range r.tg.PromQLTests {
		end = max(end, time.Duration(pt.EvalTime))
	}
	reported := map[promrules.Rule]bool{}
	ctx := context.Background()
	for ts := time.Duration(0); ts <= end; ts += r.evalInterval {
		for _, g := range groups {
			g.Eval(ctx, epoch.Add(ts))
			for _, rule := range g.Rules() {
				if err := rule.LastError(); err != nil && !reported[rule] {
					reported[rule] = true
					r.fail("group %q, rule %q: evaluation at %v failed: %v", g.Name(), rule.Name(), model.Duration(ts), err)
				}
			}
		}
		for len(alertTests) > 0 && time.Duration(alertTests[0].EvalTime) < ts+r.evalInterval {
			r.checkAlerts(alertTests[0], groups)
			alertTests = alertTests[1:]
		}
	}
}

// alert is an alert as compared: labels and templated annotations.
type alert struct {
	labels, annotations labels.Labels
}

func compareAlerts(a, b alert) int {
	if c := labels.Compare(a.labels, b.labels); c != 0 {
		return c
	}
	return labels.Compare(a.annotations, b.annotations)
}

// checkAlerts compares the firing alerts of an alert_rule_test's alertname
// with the expected ones, in any order.
func (r *testRun) checkAlerts(at alertTest, groups []*promrules.Group) {
	var got []alert
	found := false
	for _, g := range groups {
		for _, ar := range g.AlertingRules() {
			if ar.Name() != at.Alertname {
				continue
			}
			found = true
			for _, a := range ar.ActiveAlerts() {
				if a.State == promrules.StateFiring {
					got = append(got, alert{a.Labels, a.Annotations})
				}
			}
		}
	}
	if !found {
		r.fail("alertname: %s, time: %v: no alerting rule of that name in the rule files", at.Alertname, at.EvalTime)
		return
	}
	exp := make([]alert, 0, len(at.ExpAlerts))
	for _, ea := range at.ExpAlerts {
		// Like promtool, expected labels leave out alertname, which the
		// rule adds.
		b := labels.NewBuilder(labels.FromMap(ea.ExpLabels))
		b.Set(labels.AlertName, at.Alertname)
		exp = append(exp, alert{b.Labels(), labels.FromMap(ea.ExpAnnotations)})
	}
	slices.SortFunc(got, compareAlerts)
	slices.SortFunc(exp, compareAlerts)
	if slices.EqualFunc(got, exp, func(a, b alert) bool { return compareAlerts(a, b) == 0 }) {
		return
	}
	r.fail("alertname: %s, time: %v\n  exp:%s\n  got:%s", at.Alertname, at.EvalTime, formatAlerts(exp), formatAlerts(got))
}

func formatAlerts(as []alert) string {
	if len(as) == 0 {
		return " []"
	}
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n    - labels: %s\n      annotations: %s", a.labels, a.annotations)
	}
	return b.String()
}

// sample is an instant-vector sample as compared.
type sample struct {
	labels labels.Labels
	value  float64
	hist   *histogram.FloatHistogram
}

func (s sample) String() string {
	if s.hist != nil {
		return s.labels.String() + " " + s.hist.String()
	}
	return s.labels.String() + " " + strconv.FormatFloat(s.value, 'g', -1, 64)
}

func (s sample) equal(o sample) bool {
	if !labels.Equal(s.labels, o.labels) || (s.hist == nil) != (o.hist == nil) {
		return false
	}
	if s.hist != nil {
		return s.hist.Equals(o.hist)
	}
	return almostEqual(s.value, o.value)
}

// almostEqual compares sample values with a small relative tolerance;
// NaN equals NaN, as a test that expects NaN wants NaN.
func almostEqual(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if a == b {
		return true
	}
	return math.Abs(a-b) <= valueTolerance*max(math.Abs(a), math.Abs(b))
}

// checkPromQL evaluates a promql_expr_test's expression at its eval_time
// and compares the samples with the expected ones, in any order.
func (r *testRun) checkPromQL(pt promqlTest) {
	head := fmt.Sprintf("expr: %q, time: %v", pt.Expr, pt.EvalTime)
	exp := make([]sample, 0, len(pt.ExpSamples))
	for _, es := range pt.ExpSamples {
		s, err := r.expectedSample(es)
		if err != nil {
			r.fail("%s: %v", head, err)
			return
		}
		exp = append(exp, s)
	}
	got, err := r.query(pt.Expr, epoch.Add(time.Duration(pt.EvalTime)))
	if err != nil {
		r.fail("%s: %v", head, err)
		return
	}
	byLabels := func(a, b sample) int { return labels.Compare(a.labels, b.labels) }
	slices.SortFunc(got, byLabels)
	slices.SortFunc(exp, byLabels)
	if slices.EqualFunc(got, exp, sample.equal) {
		return
	}
	r.fail("%s\n  exp:%s\n  got:%s", head, formatSamples(exp), formatSamples(got))
}

func (r *testRun) expectedSample(es expSample) (sample, error) {
	s := sample{labels: labels.EmptyLabels(), value: es.Value}
	if es.Labels != "" {
		lset, err := r.parser.ParseMetric(es.Labels)
		if err != nil {
			return s, fmt.Errorf("exp_samples labels %q: %w", es.Labels, err)
		}
		s.labels = lset
	}
	if es.Histogram != "" {
		_, values, err := r.parser.ParseSeriesDesc("{} " + es.Histogram)
		if err != nil || len(values) != 1 || values[0].Histogram == nil {
			return s, fmt.Errorf("exp_samples histogram %q: want one native histogram in series notation: %v", es.Histogram, err)
		}
		s.hist = values[0].Histogram
	}
	return s, nil
}

// query runs an instant query and returns its samples; a scalar is one
// sample without labels.
func (r *testRun) query(expr string, t time.Time) ([]sample, error) {
	ctx := context.Background()
	q, err := r.engine.NewInstantQuery(ctx, r.db, nil, expr, t)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		out := make([]sample, 0, len(v))
		for _, s := range v {
			out = append(out, sample{labels: s.Metric, value: s.F, hist: s.H})
		}
		return out, nil
	case promql.Scalar:
		return []sample{{labels: labels.EmptyLabels(), value: v.V}}, nil
	default:
		return nil, fmt.Errorf("the expression is a %s; want an instant vector or a scalar", res.Value.Type())
	}
}

func formatSamples(ss []sample) string {
	if len(ss) == 0 {
		return " []"
	}
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "\n    - %s", s)
	}
	return b.String()
}

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = err.Error()
	}
	return out
}
