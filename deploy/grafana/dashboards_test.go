package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/mihari-dev/mihari/internal/cli"
)

// root is the module's root, from this package's directory (where go test
// runs the test).
const root = "../.."

// goldens are the files test/e2e's TestGolden keeps equal to the output of
// `mihari metrics` over the fixture trees: hosts, 1,000 processes, cgroup
// v1, v2 and hybrid.
var goldens = []string{"vm", "big", "malformed", "procs", "cgroup-v1", "cgroup-v2", "cgroup-hybrid"}

// always are the labels every stored or scraped series has: mihari serve
// adds them when it stores a collection, a Prometheus when it scrapes one.
var always = map[string]bool{"job": true, "instance": true}

// TestDashboards checks every dashboard in this directory against what
// mihari exports: each query (panel targets and variable queries) must be
// valid PromQL once Grafana's variables are replaced, select only metrics
// that mihari exports, and use only labels those metrics have — in
// matchers, by/without, on/ignoring/group_*, label_replace and label_join,
// and in legends; an equality matcher must name a value mihari's output
// has. Dashboards must also be importable as they are: a ${datasource}
// variable of type prometheus used by every panel, job and instance
// variables, unique uids and panel ids, panels that do not overlap.
func TestDashboards(t *testing.T) {
	exp := exportedMetrics(t)
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d dashboards (%v), want at least host, fleet and processes", len(files), files)
	}
	uids := map[string]string{}
	var exprs, selectors int
	metrics := map[string]bool{}
	for _, file := range files {
		t.Run(strings.TrimSuffix(file, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var d dashboard
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if d.UID == "" || len(d.UID) > 40 {
				t.Errorf("uid %q: want 1 to 40 characters", d.UID)
			}
			if other, ok := uids[d.UID]; ok {
				t.Errorf("uid %q is also the uid of %s", d.UID, other)
			}
			uids[d.UID] = file
			c := &checker{exp: exp, metrics: metrics}
			checkDashboard(t, &d, c)
			for _, e := range c.errs {
				t.Error(e)
			}
			if c.exprs == 0 {
				t.Error("no queries checked")
			}
			t.Logf("%d queries, %d selectors, %d metrics", c.exprs, c.selectors, len(c.used))
			exprs += c.exprs
			selectors += c.selectors
		})
	}
	t.Logf("%d dashboards: %d queries, %d selectors, %d distinct metrics, checked against %d metric names mihari exports",
		len(files), exprs, selectors, len(metrics), len(exp))
}

// checkDashboard checks d's structure and every query in it.
func checkDashboard(t *testing.T, d *dashboard, c *checker) {
	t.Helper()
	if d.Title == "" {
		t.Error("no title")
	}
	if d.SchemaVersion < 38 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d: want 38 to 41 (Grafana 10 and 11)", d.SchemaVersion)
	}
	vars := map[string]*variable{}
	for i := range d.Templating.List {
		v := &d.Templating.List[i]
		if _, ok := vars[v.Name]; ok {
			t.Errorf("variable %q defined twice", v.Name)
		}
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v == nil || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Error(`want a variable "datasource" of type datasource and query "prometheus"`)
	}
	for _, name := range []string{"job", "instance"} {
		if v := vars[name]; v == nil || v.Type != "query" {
			t.Errorf("want a query variable %q", name)
		}
	}
	c.vars = vars

	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		if !isOurs(v.Datasource) {
			t.Errorf("variable %s: datasource %v, want %v", v.Name, v.Datasource, ours)
		}
		q, err := v.query()
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		c.where = "variable " + v.Name
		c.variableQuery(q)
	}

	ids := map[int]string{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if other, ok := ids[p.ID]; ok || p.ID == 0 {
				t.Errorf("panel %q: id %d is not unique (also %q)", p.Title, p.ID, other)
			}
			ids[p.ID] = p.Title
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.Y < 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v is outside the 24-column grid", p.Title, p.GridPos)
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			checkPanel(t, p, c)
		}
	}
	walk(d.Panels)
	// The panels of a collapsed row keep the places they have when it is
	// open, which later panels may take while it is closed: only the
	// dashboard's own panels must not overlap.
	for i, a := range d.Panels {
		for _, b := range d.Panels[i+1:] {
			if overlap(a.GridPos, b.GridPos) {
				t.Errorf("panels %q %+v and %q %+v overlap", a.Title, a.GridPos, b.Title, b.GridPos)
			}
		}
	}
}

// checkPanel checks one panel that is not a row, and its queries.
func checkPanel(t *testing.T, p panel, c *checker) {
	t.Helper()
	if p.Title == "" {
		t.Errorf("panel %d has no title", p.ID)
	}
	if !isOurs(p.Datasource) {
		t.Errorf("panel %q: datasource %v, want %v", p.Title, p.Datasource, ours)
	}
	switch p.Type {
	case "timeseries", "stat", "bargauge", "gauge":
		if p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("panel %q: no unit", p.Title)
		}
	case "table":
	default:
		t.Errorf("panel %q: type %q is not one this test knows", p.Title, p.Type)
	}
	if len(p.Targets) == 0 {
		t.Errorf("panel %q: no queries", p.Title)
	}
	refs := map[string]bool{}
	for _, tg := range p.Targets {
		c.where = fmt.Sprintf("panel %q, query %s", p.Title, tg.RefID)
		if tg.RefID == "" || refs[tg.RefID] {
			c.errorf("refId %q missing or not unique", tg.RefID)
		}
		refs[tg.RefID] = true
		if tg.Datasource != nil && !isOurs(tg.Datasource) {
			c.errorf("datasource %v, want %v", tg.Datasource, ours)
		}
		if strings.TrimSpace(tg.Expr) == "" {
			c.errorf("no expr")
			continue
		}
		out := c.query(tg.Expr)
		if out != nil || tg.LegendFormat != "" {
			c.legend(tg.LegendFormat, out)
		}
	}
}

// ---- what mihari exports ----

// family is what mihari's output says of one metric name: its label names
// and the values each label takes.
type family struct {
	labels map[string]bool
	values map[string]map[string]bool
}

type exported map[string]*family

func (e exported) add(name string, lps []*dto.LabelPair, extra ...string) {
	f := e[name]
	if f == nil {
		f = &family{labels: map[string]bool{}, values: map[string]map[string]bool{}}
		e[name] = f
	}
	for _, lp := range lps {
		f.labels[lp.GetName()] = true
		if f.values[lp.GetName()] == nil {
			f.values[lp.GetName()] = map[string]bool{}
		}
		f.values[lp.GetName()][lp.GetValue()] = true
	}
	for _, l := range extra {
		f.labels[l] = true
	}
}

// addFamilies adds parsed families under the names PromQL sees: a summary
// or histogram is also its _sum and _count, a histogram its _bucket.
func (e exported) addFamilies(mfs map[string]*dto.MetricFamily) {
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_SUMMARY:
				e.add(name, m.GetLabel(), "quantile")
				e.add(name+"_sum", m.GetLabel())
				e.add(name+"_count", m.GetLabel())
			case dto.MetricType_HISTOGRAM:
				e.add(name+"_bucket", m.GetLabel(), "le")
				e.add(name+"_sum", m.GetLabel())
				e.add(name+"_count", m.GetLabel())
			default:
				e.add(name, m.GetLabel())
			}
		}
	}
}

func parseText(t testing.TB, what string, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(mfs) == 0 {
		t.Fatalf("%s: no metrics", what)
	}
	return mfs
}

// exportedMetrics is mihari's real output: the golden files, which
// test/e2e keeps true, and — for the families the golden files leave out
// because their values vary from run to run (process_*, go_*,
// mihari_cpu_seconds_total, mihari_source_read_seconds_total,
// mihari_source_cpu_seconds_total, node_filesystem_size_bytes and the
// other statfs values, node_uname_info, ...; see volatile in
// test/e2e/golden_test.go) — `mihari metrics` itself, run here over the vm
// tree with the flags TestGolden gives it.
func exportedMetrics(t *testing.T) exported {
	t.Helper()
	exp := exported{}
	for _, name := range goldens {
		file := filepath.Join(root, "testdata/golden", name+".prom")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		exp.addFamilies(parseText(t, file, b))
	}

	tree := filepath.Join(root, "testdata/hosts/vm")
	var out, errb bytes.Buffer
	args := []string{"metrics", "--log.level=error",
		"--path.procfs=" + filepath.Join(tree, "proc"),
		"--path.sysfs=" + filepath.Join(tree, "sys"),
		"--path.udev.data=" + filepath.Join(tree, "udev"),
		"--path.rootfs=" + t.TempDir()}
	if code := cli.Main(args, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("mihari %s: exit status %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	exp.addFamilies(parseText(t, "mihari metrics over "+tree, out.Bytes()))
	return exp
}

// ---- dashboards ----

var ours = dsRef{Type: "prometheus", UID: "${datasource}"}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func isOurs(r *dsRef) bool { return r != nil && *r == ours }

func (r dsRef) String() string { return fmt.Sprintf("{type %q, uid %q}", r.Type, r.UID) }

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type gridPos struct{ X, Y, W, H int }

func overlap(a, b gridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

type panel struct {
	ID          int      `json:"id"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	GridPos     gridPos  `json:"gridPos"`
	Datasource  *dsRef   `json:"datasource"`
	Targets     []target `json:"targets"`
	Panels      []panel  `json:"panels"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

type target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Datasource   *dsRef `json:"datasource"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Datasource *dsRef          `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	Current    struct {
		Value any `json:"value"`
	} `json:"current"`
	Options []struct {
		Value string `json:"value"`
	} `json:"options"`
}

// query is a query variable's query: a string, or an object whose "query"
// is one (the form Grafana 10 and 11 save).
func (v *variable) query() (string, error) {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &o); err != nil || o.Query == "" {
		return "", fmt.Errorf("query %s: want a string or an object with one in \"query\"", v.Query)
	}
	return o.Query, nil
}

// value is what a variable stands for when a query is checked: a custom or
// interval variable's current value (it may be a number, as in topk), a
// placeholder for the others, which are only used in label matchers.
func (v *variable) value() string {
	switch v.Type {
	case "custom", "interval", "constant", "textbox":
		if s, ok := v.Current.Value.(string); ok && s != "" {
			return s
		}
		if len(v.Options) > 0 {
			return v.Options[0].Value
		}
		if s, err := v.query(); err == nil {
			return strings.Split(s, ",")[0]
		}
	}
	return "x"
}

// builtins are Grafana's own variables, as values PromQL accepts where
// Grafana puts them.
var builtins = map[string]string{
	"__rate_interval":    "1m",
	"__interval":         "1m",
	"__range":            "1h",
	"__rate_interval_ms": "60000",
	"__interval_ms":      "60000",
	"__range_ms":         "3600000",
	"__range_s":          "3600",
}

// varRE matches Grafana's variable syntaxes: ${name}, ${name:format},
// ${name.field}, [[name]], [[name:format]] and $name.
var varRE = regexp.MustCompile(`\$\{(\w+)(?:\.[^}:]*)?(?::[^}]*)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)`)

// ---- the checker ----

// lset is the label names an expression's result can have; nil is a
// scalar or a string. anyLabels stands for the result of an expression
// already reported as wrong, so that one mistake is reported once.
type lset map[string]bool

var anyLabels = lset{"*": true}

func (s lset) has(l string) bool { return s["*"] || s[l] }

func (s lset) with(ls ...string) lset {
	out := lset{}
	for l := range s {
		out[l] = true
	}
	for _, l := range ls {
		out[l] = true
	}
	return out
}

func (s lset) without(ls ...string) lset {
	out := s.with()
	for _, l := range ls {
		delete(out, l)
	}
	return out
}

func (s lset) String() string {
	var names []string
	for l := range s {
		names = append(names, l)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

type checker struct {
	exp   exported
	vars  map[string]*variable
	where string
	errs  []string

	exprs, selectors int
	used             map[string]bool // metrics this dashboard selects
	metrics          map[string]bool // and every dashboard so far
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, c.where+": "+fmt.Sprintf(format, args...))
}

// expand replaces Grafana's variables in a query.
func (c *checker) expand(q string) string {
	return varRE.ReplaceAllStringFunc(q, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		if name[0] >= '0' && name[0] <= '9' {
			return m // $1 in label_replace's replacement
		}
		if v, ok := builtins[name]; ok {
			return v
		}
		if v, ok := c.vars[name]; ok {
			return v.value()
		}
		c.errorf("uses $%s, which is neither a variable of the dashboard nor one of Grafana's", name)
		return "x"
	})
}

// parse expands and parses a query.
func (c *checker) parse(q string) parser.Expr {
	c.exprs++
	s := c.expand(q)
	e, err := parser.NewParser(parser.Options{}).ParseExpr(s)
	if err != nil {
		c.errorf("%s: %v", s, err)
		return nil
	}
	return e
}

// query checks a panel query and returns its result's label names.
func (c *checker) query(q string) lset {
	e := c.parse(q)
	if e == nil {
		return anyLabels
	}
	return c.expr(e)
}

// variableQuery checks a query variable's query: label_values(label),
// label_values(selector, label) or query_result(expr).
var (
	labelValues1RE = regexp.MustCompile(`^\s*label_values\(\s*(\w+)\s*\)\s*$`)
	labelValues2RE = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$`)
	queryResultRE  = regexp.MustCompile(`^\s*query_result\((.+)\)\s*$`)
)

func (c *checker) variableQuery(q string) {
	if m := labelValues1RE.FindStringSubmatch(q); m != nil {
		c.exprs++
		if always[m[1]] {
			return
		}
		for _, f := range c.exp {
			if f.labels[m[1]] {
				return
			}
		}
		c.errorf("%s: no metric of mihari's has a label %q", q, m[1])
		return
	}
	if m := labelValues2RE.FindStringSubmatch(q); m != nil {
		e := c.parse(m[1])
		if e == nil {
			return
		}
		if _, ok := e.(*parser.VectorSelector); !ok {
			c.errorf("%s: %s is not a series selector", q, m[1])
			return
		}
		if out := c.expr(e); !out.has(m[2]) {
			c.errorf("%s: %s has no label %q (it has %s)", q, m[1], m[2], out)
		}
		return
	}
	if m := queryResultRE.FindStringSubmatch(q); m != nil {
		c.query(m[1])
		return
	}
	c.errorf("query %q: want label_values(...) or query_result(...)", q)
}

// legendRE matches {{label}} in a legend.
var legendRE = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func (c *checker) legend(legend string, out lset) {
	for _, m := range legendRE.FindAllStringSubmatch(legend, -1) {
		if out == nil {
			c.errorf("legend %q: the query's result is a scalar, without labels", legend)
		} else if !out.has(m[1]) {
			c.errorf("legend %q: the query's result has no label %q (it has %s)", legend, m[1], out)
		}
	}
}

// expr checks e and returns its result's label names.
func (c *checker) expr(e parser.Expr) lset {
	switch e := e.(type) {
	case *parser.VectorSelector:
		return c.selector(e)
	case *parser.MatrixSelector:
		return c.expr(e.VectorSelector)
	case *parser.SubqueryExpr:
		return c.expr(e.Expr)
	case *parser.ParenExpr:
		return c.expr(e.Expr)
	case *parser.StepInvariantExpr:
		return c.expr(e.Expr)
	case *parser.UnaryExpr:
		return c.expr(e.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return nil
	case *parser.Call:
		return c.call(e)
	case *parser.AggregateExpr:
		return c.aggregate(e)
	case *parser.BinaryExpr:
		return c.binary(e)
	}
	c.errorf("%s: an expression of a kind (%T) this test does not know", e, e)
	return anyLabels
}

func (c *checker) selector(e *parser.VectorSelector) lset {
	name := e.Name
	for _, m := range e.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			name = m.Value
		}
	}
	if name == "" {
		c.errorf("%s: selects no metric by name", e)
		return anyLabels
	}
	c.selectors++
	f := c.exp[name]
	if f == nil {
		c.errorf("%s: mihari does not export %s", e, name)
		return anyLabels
	}
	if c.used == nil {
		c.used = map[string]bool{}
	}
	c.used[name] = true
	c.metrics[name] = true
	out := lset{}
	for l := range f.labels {
		out[l] = true
	}
	for _, m := range e.LabelMatchers {
		if m.Name == model.MetricNameLabel || always[m.Name] {
			continue
		}
		if !f.labels[m.Name] {
			c.errorf("%s: %s has no label %q (it has %s)", e, name, m.Name, out)
			continue
		}
		if m.Type == labels.MatchEqual && m.Value != "" && !f.values[m.Name][m.Value] {
			c.errorf("%s: %s never has %s=%q in mihari's output (it has %s)", e, name, m.Name, m.Value, values(f.values[m.Name]))
		}
	}
	return out.with("job", "instance")
}

func values(vs map[string]bool) string {
	var s []string
	for v := range vs {
		s = append(s, fmt.Sprintf("%q", v))
	}
	sort.Strings(s)
	if len(s) > 10 {
		s = append(s[:10], "...")
	}
	return strings.Join(s, ", ")
}

// unwrap removes parentheses and step-invariant wrappers.
func unwrap(e parser.Expr) parser.Expr {
	for {
		switch x := e.(type) {
		case *parser.ParenExpr:
			e = x.Expr
		case *parser.StepInvariantExpr:
			e = x.Expr
		default:
			return e
		}
	}
}

func (c *checker) call(e *parser.Call) lset {
	args := make([]lset, len(e.Args))
	for i, a := range e.Args {
		args[i] = c.expr(a)
	}
	str := func(i int) string {
		if i < len(e.Args) {
			if s, ok := unwrap(e.Args[i]).(*parser.StringLiteral); ok {
				return s.Val
			}
		}
		return ""
	}
	need := func(in lset, l string) {
		if l != "" && in != nil && !in.has(l) {
			c.errorf("%s: %s reads label %q, which its argument does not have (it has %s)", e, e.Func.Name, l, in)
		}
	}
	switch e.Func.Name {
	case "label_replace":
		need(args[0], str(3))
		return args[0].with(str(1))
	case "label_join":
		for i := 3; i < len(e.Args); i++ {
			need(args[0], str(i))
		}
		return args[0].with(str(1))
	case "sort_by_label", "sort_by_label_desc":
		for i := 1; i < len(e.Args); i++ {
			need(args[0], str(i))
		}
		return args[0]
	case "histogram_quantile":
		need(args[1], "le")
		return args[1].without("le")
	case "vector":
		return lset{}
	}
	if e.Func.ReturnType != parser.ValueTypeVector {
		return nil
	}
	for i, a := range e.Args {
		if t := a.Type(); (t == parser.ValueTypeVector || t == parser.ValueTypeMatrix) && args[i] != nil {
			return args[i]
		}
	}
	return lset{}
}

func (c *checker) aggregate(e *parser.AggregateExpr) lset {
	in := c.expr(e.Expr)
	if e.Param != nil {
		c.expr(e.Param)
	}
	how := "by"
	if e.Without {
		how = "without"
	}
	for _, l := range e.Grouping {
		if !in.has(l) {
			c.errorf("%s: %s (%s) names %q, which the aggregated expression does not have (it has %s)", e, how, strings.Join(e.Grouping, ", "), l, in)
		}
	}
	switch e.Op {
	case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
		return in
	}
	out := lset{}
	if e.Without {
		out = in.without(e.Grouping...)
	} else {
		for _, l := range e.Grouping {
			out[l] = true
		}
	}
	if e.Op == parser.COUNT_VALUES {
		if s, ok := unwrap(e.Param).(*parser.StringLiteral); ok {
			out[s.Val] = true
		}
	}
	return out
}

func (c *checker) binary(e *parser.BinaryExpr) lset {
	l, r := c.expr(e.LHS), c.expr(e.RHS)
	if l == nil {
		return r
	}
	if r == nil {
		return l
	}
	vm := e.VectorMatching
	if vm == nil {
		return l
	}
	for _, name := range vm.MatchingLabels {
		if vm.On && (!l.has(name) || !r.has(name)) {
			c.errorf("%s: on (%s): %q is not a label of both sides (left: %s; right: %s)", e, strings.Join(vm.MatchingLabels, ", "), name, l, r)
		}
		if !vm.On && !l.has(name) && !r.has(name) {
			c.errorf("%s: ignoring (%s): %q is a label of neither side", e, strings.Join(vm.MatchingLabels, ", "), name)
		}
	}
	switch e.Op {
	case parser.LAND, parser.LUNLESS:
		return l
	case parser.LOR:
		return l.with(slices.Collect(maps.Keys(r))...)
	}
	one, many := r, l
	if vm.Card == parser.CardOneToMany {
		one, many = l, r
	}
	for _, inc := range vm.Include {
		if !one.has(inc) {
			c.errorf("%s: group_left/group_right (%s): the \"one\" side has no label %q (it has %s)", e, strings.Join(vm.Include, ", "), inc, one)
		}
	}
	switch vm.Card {
	case parser.CardManyToOne, parser.CardOneToMany:
		return many.with(vm.Include...)
	}
	if vm.On {
		out := lset{}
		for _, name := range vm.MatchingLabels {
			out[name] = true
		}
		return out
	}
	return l.without(vm.MatchingLabels...)
}

// TestCheckerCatches shows that the checks above fail on the mistakes they
// are for, and pass the same queries written correctly.
func TestCheckerCatches(t *testing.T) {
	exp := exported{}
	exp.addFamilies(parseText(t, "inline", []byte(`# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 1
node_cpu_seconds_total{cpu="0",mode="user"} 1
# TYPE node_load1 gauge
node_load1 1
# TYPE mihari_process_cpu_seconds_total counter
mihari_process_cpu_seconds_total{pid="1",comm="init",mode="user"} 1
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0.5"} 1
go_gc_duration_seconds_sum 1
go_gc_duration_seconds_count 1
`)))
	vars := map[string]*variable{
		"job": {Name: "job", Type: "query"},
		"topn": {Name: "topn", Type: "custom", Options: []struct {
			Value string `json:"value"`
		}{{Value: "10"}}},
	}
	cases := []struct {
		expr, legend string
		want         string // "" for no error, else a part of the one error
	}{
		{`rate(node_cpu_seconds_total{job=~"$job",mode="user"}[$__rate_interval])`, "{{cpu}} {{instance}}", ""},
		{`topk($topn, sum by (pid, comm) (rate(mihari_process_cpu_seconds_total[$__rate_interval])))`, "{{comm}} ({{pid}})", ""},
		{`label_replace(node_load1, "name", "$1", "instance", "(.*)")`, "{{name}}", ""},
		{`node_load1 / on (job, instance) count by (job, instance) (node_cpu_seconds_total)`, "{{instance}}", ""},
		{`go_gc_duration_seconds_sum / go_gc_duration_seconds_count`, "", ""},
		{`rate(node_cpu_secondz_total[5m])`, "", "does not export node_cpu_secondz_total"},
		{`node_load1{cpu="0"}`, "", `has no label "cpu"`},
		{`node_cpu_seconds_total{mode="usr"}`, "", `never has mode="usr"`},
		{`sum by (device) (node_cpu_seconds_total)`, "", `names "device"`},
		{`sum without (device) (node_cpu_seconds_total)`, "", `names "device"`},
		{`sum by (mode) (rate(node_cpu_seconds_total[1m]))`, "{{cpu}}", `has no label "cpu"`},
		{`scalar(node_load1)`, "{{instance}}", "scalar"},
		{`label_replace(node_load1, "c", "$1", "cpu", "(.*)")`, "", `reads label "cpu"`},
		{`node_load1 / on (cpu) node_cpu_seconds_total`, "", `"cpu" is not a label of both sides`},
		{`node_cpu_seconds_total * on (job, instance) group_left (cpu) node_load1`, "", `no label "cpu"`},
		{`node_load1{job="$nope"}`, "", "$nope"},
		{`rate(node_load1[5m]`, "", "unclosed"},
	}
	for _, tc := range cases {
		c := &checker{exp: exp, vars: vars, metrics: map[string]bool{}, where: "test"}
		c.legend(tc.legend, c.query(tc.expr))
		switch {
		case tc.want == "" && len(c.errs) > 0:
			t.Errorf("%s (legend %q): unexpected errors %q", tc.expr, tc.legend, c.errs)
		case tc.want != "" && (len(c.errs) != 1 || !strings.Contains(c.errs[0], tc.want)):
			t.Errorf("%s (legend %q): errors %q, want one saying %q", tc.expr, tc.legend, c.errs, tc.want)
		}
	}

	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for _, tc := range []struct {
		query, want string
	}{
		{`label_values(node_cpu_seconds_total{job="$job"}, instance)`, ""},
		{`label_values(mode)`, ""},
		{`query_result(topk(3, node_load1))`, ""},
		{`label_values(node_load1, mode)`, `has no label "mode"`},
		{`label_values(nope)`, `has a label "nope"`},
		{`label_values(node_load2, instance)`, "does not export node_load2"},
		{`metrics(node_.*)`, "want label_values"},
	} {
		c := &checker{exp: exp, vars: vars, metrics: map[string]bool{}, where: "test"}
		v := variable{Name: "v", Type: "query", Query: q(tc.query)}
		s, err := v.query()
		if err != nil {
			t.Fatal(err)
		}
		c.variableQuery(s)
		switch {
		case tc.want == "" && len(c.errs) > 0:
			t.Errorf("%s: unexpected errors %q", tc.query, c.errs)
		case tc.want != "" && (len(c.errs) != 1 || !strings.Contains(c.errs[0], tc.want)):
			t.Errorf("%s: errors %q, want one saying %q", tc.query, c.errs, tc.want)
		}
	}
}
