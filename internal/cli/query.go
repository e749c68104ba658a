package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/spf13/cobra"

	"github.com/mihari-dev/mihari/internal/query"
)

type queryOptions struct {
	url               string
	dir               string
	at                string
	start, end        string
	step              time.Duration
	timeout           time.Duration
	asJSON            bool
	rangeQuery, isURL bool
}

func newQueryCmd(stdio IO, logOpts *logOptions) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query EXPR",
		Short: "run a PromQL query against an agent or a data directory",
		Long: `Run a PromQL query against a running mihari (--url, the default) or directly
against a data directory (--storage.path, read-only: it works while an agent
has the directory open, and when none runs).

Without --start, --end or --step the query is instant, at --time (default
now); with any of them it is a range query (default: the last hour, in about
250 steps). Times are RFC 3339 (2026-11-25T17:40:00Z), Unix seconds, "now",
or relative to now ("-15m", "-2h").

The output is a table; --json prints the result as the Prometheus API does
(the same JSON as promtool query -o json).`,
		Example: `  # the instant value of the load average, from the local agent
  mihari query node_load1

  # system CPU per process group over the last hour, from a data directory
  mihari query --storage.path=/var/lib/mihari --start=-1h \
    'sum by (groupname) (rate(namedprocess_namegroup_cpu_seconds_total{mode="system"}[5m]))'

  # as JSON, for scripts
  mihari query --json 'topk(5, rate(mihari_source_cpu_seconds_total[5m]))'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			o.rangeQuery = f.Changed("start") || f.Changed("end") || f.Changed("step")
			o.isURL = !f.Changed("storage.path") || f.Changed("url")
			if f.Changed("storage.path") && f.Changed("url") {
				return usageError{errors.New("--url and --storage.path are exclusive: query an agent or a directory")}
			}
			return runQuery(cmd.Context(), stdio, logOpts, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "http://127.0.0.1:9780", "agent to query")
	f.StringVar(&o.dir, "storage.path", "", "data directory to query instead of an agent")
	f.StringVar(&o.at, "time", "now", "time of an instant query")
	f.StringVar(&o.start, "start", "-1h", "start of a range query")
	f.StringVar(&o.end, "end", "now", "end of a range query")
	f.DurationVar(&o.step, "step", 0, "resolution of a range query (default: the range / 250)")
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "longest the query may run")
	f.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	return cmd
}

func runQuery(ctx context.Context, stdio IO, logOpts *logOptions, o *queryOptions, expr string) error {
	log, err := logOpts.logger(stdio.Err)
	if err != nil {
		return err
	}
	now := time.Now()
	var r promv1.Range
	var at time.Time
	if o.rangeQuery {
		if r.Start, err = parseTime(o.start, now); err != nil {
			return usageError{fmt.Errorf("--start: %w", err)}
		}
		if r.End, err = parseTime(o.end, now); err != nil {
			return usageError{fmt.Errorf("--end: %w", err)}
		}
		if !r.End.After(r.Start) {
			return usageError{fmt.Errorf("--end %s is not after --start %s", r.End.Format(time.RFC3339), r.Start.Format(time.RFC3339))}
		}
		r.Step = o.step
		if r.Step <= 0 {
			r.Step = max(r.End.Sub(r.Start)/250, time.Second).Round(time.Second)
		}
	} else if at, err = parseTime(o.at, now); err != nil {
		return usageError{fmt.Errorf("--time: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var val model.Value
	if o.isURL {
		client, err := api.NewClient(api.Config{Address: o.url})
		if err != nil {
			return usageError{fmt.Errorf("--url %q: %w", o.url, err)}
		}
		a := promv1.NewAPI(client)
		var warn promv1.Warnings
		var infos promv1.Infos
		if o.rangeQuery {
			val, warn, infos, err = a.QueryRange(ctx, expr, r)
		} else {
			val, warn, infos, err = a.Query(ctx, expr, at)
		}
		for _, w := range warn {
			log.Warn("query warning", "warning", w)
		}
		for _, i := range infos {
			log.Info("query note", "info", i)
		}
		if err != nil {
			var ae *promv1.Error
			if errors.As(err, &ae) {
				return fmt.Errorf("%s: %s", ae.Type, ae.Msg)
			}
			return fmt.Errorf("querying %s: %w (is mihari serve running there? or query a data directory with --storage.path)", o.url, err)
		}
	} else {
		val, err = queryDir(ctx, o, expr, at, r)
		if err != nil {
			return err
		}
	}
	if o.asJSON {
		return json.NewEncoder(stdio.Out).Encode(val)
	}
	return printValue(stdio.Out, val)
}

// queryDir runs expr on a data directory opened read-only.
func queryDir(ctx context.Context, o *queryOptions, expr string, at time.Time, r promv1.Range) (model.Value, error) {
	if _, err := os.Stat(o.dir); err != nil {
		return nil, usageError{fmt.Errorf("--storage.path %q: %w", o.dir, err)}
	}
	db, err := tsdb.OpenDBReadOnly(o.dir, os.TempDir(), nil)
	if err != nil {
		return nil, fmt.Errorf("opening %q read-only: %w", o.dir, err)
	}
	defer db.Close()
	queryable := storage.QueryableFunc(func(mint, maxt int64) (storage.Querier, error) { return db.Querier(mint, maxt) })
	engine := query.NewEngine(query.EngineOptions{Timeout: o.timeout})
	var q promql.Query
	if o.rangeQuery {
		q, err = engine.NewRangeQuery(ctx, queryable, nil, expr, r.Start, r.End, r.Step)
	} else {
		q, err = engine.NewInstantQuery(ctx, queryable, nil, expr, at)
	}
	if err != nil {
		return nil, usageError{err}
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	// Through JSON, the shape the HTTP API gives, so that both modes print
	// alike.
	b, err := json.Marshal(res.Value)
	if err != nil {
		return nil, err
	}
	return decodeValue(res.Value.Type(), b)
}

func decodeValue(t parser.ValueType, b []byte) (model.Value, error) {
	switch t {
	case parser.ValueTypeVector:
		var vec model.Vector
		err := json.Unmarshal(b, &vec)
		return vec, err
	case parser.ValueTypeMatrix:
		var m model.Matrix
		err := json.Unmarshal(b, &m)
		return m, err
	case parser.ValueTypeScalar:
		var s model.Scalar
		err := json.Unmarshal(b, &s)
		return &s, err
	case parser.ValueTypeString:
		var s model.String
		err := json.Unmarshal(b, &s)
		return &s, err
	}
	return nil, fmt.Errorf("unknown result type %q", t)
}

// parseTime reads RFC 3339, Unix seconds, "now", or a duration relative
// to now ("-1h").
func parseTime(s string, now time.Time) (time.Time, error) {
	switch {
	case s == "" || s == "now":
		return now, nil
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+"):
		d, err := model.ParseDuration(strings.TrimLeft(s, "+-"))
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: want RFC 3339, Unix seconds, now, or -DURATION", s)
		}
		if s[0] == '-' {
			return now.Add(-time.Duration(d)), nil
		}
		return now.Add(time.Duration(d)), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		// As Prometheus's API parses it: the fraction rounded to the
		// millisecond, so that 1795630779.211 is not 1795630779.210999965.
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339, Unix seconds, now, or -DURATION", s)
	}
	return t, nil
}

// printValue prints a result as a table.
func printValue(w io.Writer, v model.Value) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch v := v.(type) {
	case model.Vector:
		sort.Slice(v, func(i, j int) bool { return v[i].Metric.String() < v[j].Metric.String() })
		fmt.Fprintln(tw, "SERIES\tVALUE\tTIME")
		for _, s := range v {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Metric, s.Value, s.Timestamp.Time().UTC().Format(time.RFC3339))
		}
		if len(v) == 0 {
			fmt.Fprintln(tw, "(no series)")
		}
	case model.Matrix:
		sort.Slice(v, func(i, j int) bool { return v[i].Metric.String() < v[j].Metric.String() })
		for i, s := range v {
			if i > 0 {
				fmt.Fprintln(tw)
			}
			fmt.Fprintln(tw, s.Metric)
			for _, p := range s.Values {
				fmt.Fprintf(tw, "  %s\t%s\n", p.Timestamp.Time().UTC().Format(time.RFC3339), p.Value)
			}
		}
		if len(v) == 0 {
			fmt.Fprintln(tw, "(no series)")
		}
	case *model.Scalar:
		fmt.Fprintf(tw, "%s\t%s\n", v.Value, v.Timestamp.Time().UTC().Format(time.RFC3339))
	case *model.String:
		fmt.Fprintf(tw, "%s\t%s\n", v.Value, v.Timestamp.Time().UTC().Format(time.RFC3339))
	default:
		fmt.Fprintln(tw, v)
	}
	return tw.Flush()
}
