package ui

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	promrules "github.com/prometheus/prometheus/rules"

	"github.com/mihari-dev/mihari/internal/web/chart"
)

// cpuModes orders the stacked CPU chart: the kernel's modes on top of the
// user's, idle left out.
var cpuModes = []string{"user", "nice", "system", "irq", "softirq", "iowait", "steal"}

// Overview is the data of the overview page.
type Overview struct {
	Range   string
	Ranges  []string
	Charts  []chart.Chart
	Procs   []ProcRow
	Alerts  []AlertRow
	Cost    Cost
	Remote  []RemoteRow
	Errors  []string
	Refresh int // seconds between live refreshes
}

// ProcRow is a process of the overview's table.
type ProcRow struct {
	PID                     int
	Comm, Container, Cgroup string
	Cores, User, System     float64
	SystemShare             float64
}

// AlertRow is an alert, firing or pending.
type AlertRow struct {
	Name, State, Summary string
	Labels               []string
	Annotations          []string // the others than summary, name: value
	ActiveAt             time.Time
	Investigation        string
	Severity             string
}

// Cost is what watching costs: mihari's own CPU and memory, and its
// costliest sources.
type Cost struct {
	CPU, RSS float64
	Sources  []SourceRow
}

// RemoteRow is a remote-write receiver's queue.
type RemoteRow struct {
	URL                              string
	Samples, Bytes, Retried, Dropped float64 // a second
	Pending, Backlog                 float64
}

// SourceRow is one of the costliest sources of reads.
type SourceRow struct {
	Source              string
	CPU, PerRead, Reads float64 // cores; seconds a read; reads a second
}

func (u *UI) overview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	name, d := parseRange(r.URL.Query().Get("range"))
	win := u.window(d)
	ov := Overview{Range: name, Refresh: int(max(u.o.Interval, 5*time.Second).Seconds())}
	for _, rg := range Ranges {
		ov.Ranges = append(ov.Ranges, rg.Name)
	}
	add := func(title string, unit chart.Unit, kind chart.Kind, ymax float64, label string, order []string, exprs ...string) {
		c := chart.Chart{Title: title, Unit: unit, Kind: kind, Start: win.Start, End: win.End, Width: 480, Height: 220, YMax: ymax}
		for _, e := range exprs {
			m, err := u.rangeQuery(ctx, e, win)
			if err != nil {
				ov.Errors = append(ov.Errors, fmt.Sprintf("%s: %v", title, err))
				continue
			}
			c.Series = append(c.Series, series(m, win.Step, label, order...)...)
		}
		ov.Charts = append(ov.Charts, c)
	}
	add("CPU by mode, share of all CPUs", chart.Percent, chart.StackedArea, 1, "mode", cpuModes,
		`sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[$rate])) / scalar(count(count by (cpu) (node_cpu_seconds_total)))`)
	add("Load", chart.Count, chart.Line, 0, "name", []string{"1m", "5m", "15m"},
		`label_replace(node_load1, "name", "1m", "", "")`, `label_replace(node_load5, "name", "5m", "", "")`, `label_replace(node_load15, "name", "15m", "", "")`)
	add("Memory", chart.Bytes, chart.StackedArea, 0, "name", []string{"used", "available"},
		`label_replace(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes, "name", "used", "", "")`,
		`label_replace(node_memory_MemAvailable_bytes, "name", "available", "", "")`)
	add("Disk throughput", chart.BytesPerSecond, chart.Line, 0, "name", []string{"read", "written"},
		`label_replace(sum(rate(node_disk_read_bytes_total[$rate])), "name", "read", "", "")`,
		`label_replace(sum(rate(node_disk_written_bytes_total[$rate])), "name", "written", "", "")`)
	add("Network throughput", chart.BytesPerSecond, chart.Line, 0, "name", []string{"received", "sent"},
		`label_replace(sum(rate(node_network_receive_bytes_total{device!="lo"}[$rate])), "name", "received", "", "")`,
		`label_replace(sum(rate(node_network_transmit_bytes_total{device!="lo"}[$rate])), "name", "sent", "", "")`)
	add("Pressure (PSI): share of time stalled", chart.Percent, chart.Line, 0, "name", []string{"cpu", "memory", "io"},
		`label_replace(rate(node_pressure_cpu_waiting_seconds_total[$rate]), "name", "cpu", "", "")`,
		`label_replace(rate(node_pressure_memory_stalled_seconds_total[$rate]), "name", "memory", "", "")`,
		`label_replace(rate(node_pressure_io_stalled_seconds_total[$rate]), "name", "io", "", "")`)
	ov.Procs, ov.Errors = u.topProcesses(ctx, win, ov.Errors)
	ov.Alerts = u.alertRows(promrules.StateFiring, promrules.StatePending)
	ov.Cost, ov.Errors = u.cost(ctx, win, ov.Errors)
	ov.Remote = u.remoteWrite(ctx, win)
	u.render(w, r, "overview", "Overview", ov)
}

// topProcesses are the processes that used the most CPU lately, from
// mihari_process_cpu_seconds_total, with their cgroup when still running.
func (u *UI) topProcesses(ctx context.Context, win window, errs []string) ([]ProcRow, []string) {
	v, err := u.instantQuery(ctx, `sum by (pid, comm, mode) (rate(mihari_process_cpu_seconds_total[$rate]))`, win)
	if err != nil {
		return nil, append(errs, "processes: "+err.Error())
	}
	rows := map[string]*ProcRow{}
	for _, s := range v {
		k := s.Metric.Get("pid")
		row := rows[k]
		if row == nil {
			pid, _ := strconv.Atoi(k)
			row = &ProcRow{PID: pid, Comm: s.Metric.Get("comm")}
			rows[k] = row
		}
		switch s.Metric.Get("mode") {
		case "user":
			row.User += s.F
		case "system":
			row.System += s.F
		}
		row.Cores += s.F
	}
	out := make([]ProcRow, 0, len(rows))
	for _, row := range rows {
		if row.Cores <= 0 {
			continue // idle all along: not worth a row
		}
		row.SystemShare = row.System / row.Cores
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b ProcRow) int { return cmp.Or(cmp.Compare(b.Cores, a.Cores), cmp.Compare(a.PID, b.PID)) })
	if len(out) > 10 {
		out = out[:10]
	}
	if u.o.Process != nil {
		for i := range out {
			if info, err := u.o.Process(out[i].PID); err == nil {
				out[i].Cgroup, out[i].Container = info.Cgroup, info.Container
			}
		}
	}
	return out, errs
}

func (u *UI) cost(ctx context.Context, win window, errs []string) (Cost, []string) {
	var c Cost
	if v, err := u.instantQuery(ctx, `sum(rate(process_cpu_seconds_total{job="mihari"}[$rate]))`, win); err == nil {
		c.CPU = value(v)
	}
	if v, err := u.instantQuery(ctx, `sum(process_resident_memory_bytes{job="mihari"})`, win); err == nil {
		c.RSS = value(v)
	}
	cpu, err := u.instantQuery(ctx, `topk(5, sum by (source) (rate(mihari_source_cpu_seconds_total[$rate])))`, win)
	if err != nil {
		return c, append(errs, "monitoring cost: "+err.Error())
	}
	reads, _ := u.instantQuery(ctx, `sum by (source) (rate(mihari_source_reads_total[$rate]))`, win)
	secs, _ := u.instantQuery(ctx, `sum by (source) (rate(mihari_source_read_seconds_total[$rate]))`, win)
	nr, ns := byLabels(reads, "source"), byLabels(secs, "source")
	for _, s := range cpu {
		src := s.Metric.Get("source")
		row := SourceRow{Source: src, CPU: s.F, Reads: nr[src]}
		if nr[src] > 0 {
			row.PerRead = ns[src] / nr[src]
		}
		c.Sources = append(c.Sources, row)
	}
	slices.SortFunc(c.Sources, func(a, b SourceRow) int { return cmp.Compare(b.CPU, a.CPU) })
	return c, errs
}

// remoteWrite describes the remote-write queues, if there are any.
func (u *UI) remoteWrite(ctx context.Context, win window) []RemoteRow {
	get := func(expr string) map[string]float64 {
		v, err := u.instantQuery(ctx, expr, win)
		if err != nil {
			return nil
		}
		return byLabels(v, "url")
	}
	sent := get(`sum by (url) (rate(prometheus_remote_storage_samples_total[$rate]))`)
	if len(sent) == 0 {
		return nil
	}
	bytes := get(`sum by (url) (rate(prometheus_remote_storage_bytes_total[$rate]))`)
	retried := get(`sum by (url) (rate(prometheus_remote_storage_samples_retried_total[$rate]) + rate(prometheus_remote_storage_samples_failed_total[$rate]))`)
	dropped := get(`sum by (url) (rate(prometheus_remote_storage_samples_dropped_total[$rate]))`)
	pending := get(`sum by (url) (prometheus_remote_storage_samples_pending)`)
	backlog := get(`max by (url) (mihari_remote_write_backlog_seconds)`)
	var out []RemoteRow
	for url, s := range sent {
		out = append(out, RemoteRow{URL: url, Samples: s, Bytes: bytes[url], Retried: retried[url], Dropped: dropped[url], Pending: pending[url], Backlog: backlog[url]})
	}
	slices.SortFunc(out, func(a, b RemoteRow) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// alertRows lists the rule manager's alerts in the given states, firing
// first, then by name.
func (u *UI) alertRows(states ...promrules.AlertState) []AlertRow {
	if u.o.Rules == nil || u.o.Rules() == nil {
		return nil
	}
	var out []AlertRow
	for _, r := range u.o.Rules().AlertingRules() {
		for _, a := range r.ActiveAlerts() {
			if !slices.Contains(states, a.State) {
				continue
			}
			row := AlertRow{Name: r.Name(), State: a.State.String(), ActiveAt: a.ActiveAt,
				Summary: a.Annotations.Get("summary"), Severity: a.Labels.Get("severity")}
			a.Labels.Range(func(l labels.Label) {
				if l.Name != "alertname" {
					row.Labels = append(row.Labels, l.Name+"="+l.Value)
				}
			})
			a.Annotations.Range(func(l labels.Label) {
				if l.Name != "summary" {
					row.Annotations = append(row.Annotations, l.Name+": "+l.Value)
				}
			})
			if u.o.Investigations != nil {
				if id, ok := u.o.Investigations.AlertLink(a.Labels.Map()); ok {
					row.Investigation = id
				}
			}
			out = append(out, row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].State == "firing") != (out[j].State == "firing") {
			return out[i].State == "firing"
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Explore is the data of the explore page.
type Explore struct {
	Query, Range, View string
	Step               string // as asked; "" for automatic
	Ranges             []string
	Chart              *chart.Chart
	Table              []TableRow
	Error              string
	Link               string
}

// maxExplorePoints is the most steps Explore asks of a range query, as
// Prometheus's API allows.
const maxExplorePoints = 11000

// TableRow is one series of a query's table view.
type TableRow struct {
	Labels string
	Value  string
}

func (u *UI) explore(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, d := parseRange(q.Get("range"))
	ex := Explore{Query: strings.TrimSpace(q.Get("q")), Range: name, View: q.Get("view"), Step: strings.TrimSpace(q.Get("step"))}
	if ex.View != "table" {
		ex.View = "graph"
	}
	win := u.window(d)
	if ex.Step != "" {
		step, err := model.ParseDuration(ex.Step)
		switch {
		case err != nil || step <= 0:
			ex.Error = fmt.Sprintf("step %q: want a duration such as 15s or 1m", ex.Step)
			ex.Query = ""
		case d/time.Duration(step) > maxExplorePoints:
			ex.Error = fmt.Sprintf("step %s: at most %d points a series; take a step of %v or more", ex.Step, maxExplorePoints, (d / maxExplorePoints).Round(time.Second))
			ex.Query = ""
		default:
			win.Step = time.Duration(step)
		}
	}
	for _, rg := range Ranges {
		ex.Ranges = append(ex.Ranges, rg.Name)
	}
	if ex.Query != "" {
		link := url.Values{"q": {ex.Query}, "range": {name}, "view": {ex.View}}
		if ex.Step != "" {
			link.Set("step", ex.Step)
		}
		ex.Link = "/explore?" + link.Encode()
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		if ex.View == "table" {
			v, err := u.instantQuery(ctx, ex.Query, win)
			if err != nil {
				ex.Error = err.Error()
			}
			for _, s := range v {
				ex.Table = append(ex.Table, TableRow{Labels: seriesName(s.Metric), Value: strconv.FormatFloat(s.F, 'g', -1, 64)})
			}
			if err == nil && len(ex.Table) == 0 {
				ex.Error = "the query returned nothing at " + win.End.UTC().Format(time.RFC3339)
			}
		} else {
			m, err := u.rangeQuery(ctx, ex.Query, win)
			if err != nil {
				ex.Error = err.Error()
			} else {
				c := chart.Chart{Title: ex.Query, Kind: chart.Line, Start: win.Start, End: win.End, Width: 960, Height: 360, Series: series(m, win.Step, "")}
				if len(c.Series) > 20 {
					c.Series = c.Series[:20]
					ex.Error = fmt.Sprintf("%d series; the first 20 are drawn", len(m))
				}
				ex.Chart = &c
			}
		}
	}
	u.render(w, r, "explore", "Explore", ex)
}

// Alerts is the data of the alerts page.
type Alerts struct {
	Alerts []AlertRow
	Groups []GroupRow
}

// GroupRow is a rule group.
type GroupRow struct {
	Name, File string
	Interval   time.Duration
	LastEval   time.Time
	Duration   time.Duration
	Rules      []RuleRow
}

// RuleRow is one rule of a group.
type RuleRow struct {
	Name, Kind, Health, Error, Expr string
	LastEval                        time.Time
	Firing, Pending                 int
}

func (u *UI) alerts(w http.ResponseWriter, r *http.Request) {
	al := Alerts{Alerts: u.alertRows(promrules.StateFiring, promrules.StatePending)}
	if u.o.Rules != nil && u.o.Rules() != nil {
		for _, g := range u.o.Rules().RuleGroups() {
			gr := GroupRow{Name: g.Name(), File: g.File(), Interval: g.Interval(), LastEval: g.GetLastEvaluation(), Duration: g.GetEvaluationTime()}
			for _, rule := range g.Rules() {
				rr := RuleRow{Name: rule.Name(), Health: string(rule.Health()), Expr: rule.Query().String(), LastEval: rule.GetEvaluationTimestamp(), Kind: "recording"}
				if err := rule.LastError(); err != nil {
					rr.Error = err.Error()
				}
				if ar, ok := rule.(*promrules.AlertingRule); ok {
					rr.Kind = "alerting"
					for _, a := range ar.ActiveAlerts() {
						switch a.State {
						case promrules.StateFiring:
							rr.Firing++
						case promrules.StatePending:
							rr.Pending++
						}
					}
				}
				gr.Rules = append(gr.Rules, rr)
			}
			al.Groups = append(al.Groups, gr)
		}
	}
	u.render(w, r, "alerts", "Alerts and rules", al)
}

func (u *UI) investigations(w http.ResponseWriter, r *http.Request) {
	if u.o.Investigations == nil {
		u.fail(w, r, http.StatusNotFound, errors.New("investigations are not kept by this agent"))
		return
	}
	u.render(w, r, "investigations", "Investigations", struct {
		List    []InvestigationSummary
		Started string
	}{u.o.Investigations.List(), r.URL.Query().Get("started")})
}

func (u *UI) investigation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if u.o.Investigations == nil || !validID(id) {
		u.fail(w, r, http.StatusNotFound, fmt.Errorf("no investigation %q", id))
		return
	}
	st, err := u.o.Investigations.Status(id)
	if err != nil {
		u.fail(w, r, http.StatusNotFound, err)
		return
	}
	u.render(w, r, "investigation", "Investigation "+id, struct {
		ID string
		InvestigationStatus
	}{id, st})
}

// investigationStatus answers the page's script while an investigation
// runs: its step, and when it is done.
func (u *UI) investigationStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if u.o.Investigations == nil || !validID(id) {
		http.Error(w, "no such investigation", http.StatusNotFound)
		return
	}
	st, err := u.o.Investigations.Status(id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}

func (u *UI) startInvestigation(w http.ResponseWriter, r *http.Request) {
	if err := u.checkCSRF(r); err != nil {
		u.fail(w, r, http.StatusForbidden, err)
		return
	}
	pid, _ := strconv.Atoi(r.PostFormValue("pid"))
	id, err := u.o.Actions.Investigate(pid)
	if err != nil {
		u.fail(w, r, http.StatusConflict, err)
		return
	}
	http.Redirect(w, r, "/investigations/"+id, http.StatusSeeOther)
}

// validID accepts the IDs investigations and jobs are given.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// Process is the data of a process's page.
type Process struct {
	PID     int
	Info    ProcessInfo
	Running bool
	Range   string
	Ranges  []string
	Chart   chart.Chart
	Cores   float64
	Jobs    []*job
}

func (u *UI) process(w http.ResponseWriter, r *http.Request) {
	pid, err := strconv.Atoi(r.PathValue("pid"))
	if err != nil || pid <= 0 {
		u.fail(w, r, http.StatusBadRequest, fmt.Errorf("pid %q: want a positive number", r.PathValue("pid")))
		return
	}
	name, d := parseRange(r.URL.Query().Get("range"))
	win := u.window(d)
	p := Process{PID: pid, Range: name}
	for _, rg := range Ranges {
		p.Ranges = append(p.Ranges, rg.Name)
	}
	if u.o.Process != nil {
		info, err := u.o.Process(pid)
		p.Info, p.Running = info, err == nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	sel := fmt.Sprintf(`{pid="%d"}`, pid)
	m, err := u.rangeQuery(ctx, `sum by (mode) (rate(mihari_process_cpu_seconds_total`+sel+`[$rate]))`, win)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if p.Info.Comm == "" {
		if v, err := u.instantQuery(ctx, `last_over_time(mihari_process_threads`+sel+`[`+promDuration(d)+`])`, win); err == nil && len(v) > 0 {
			p.Info.Comm = v[0].Metric.Get("comm")
		}
	}
	p.Chart = chart.Chart{Title: fmt.Sprintf("CPU of %d %s, in cores", pid, p.Info.Comm), Unit: chart.Cores, Kind: chart.StackedArea,
		Start: win.Start, End: win.End, Width: 640, Height: 240, Series: series(m, win.Step, "mode", "user", "system")}
	for _, s := range p.Chart.Series {
		if n := len(s.Points); n > 0 && !math.IsNaN(s.Points[n-1].V) {
			p.Cores += s.Points[n-1].V
		}
	}
	u.mu.Lock()
	for _, j := range u.jobs {
		if j.PID == pid {
			p.Jobs = append(p.Jobs, j)
		}
	}
	u.mu.Unlock()
	slices.SortFunc(p.Jobs, func(a, b *job) int { return b.Started.Compare(a.Started) })
	u.render(w, r, "process", fmt.Sprintf("Process %d", pid), p)
}
