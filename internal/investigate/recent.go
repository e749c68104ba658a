package investigate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// recentWindow is how far back the recent past goes.
const recentWindow = 30 * time.Minute

// recentQuery is the host's CPU by mode, as fractions of all CPUs, from
// node_exporter's metric that mihari stores.
const recentQuery = `sum by (mode) (rate(node_cpu_seconds_total[1m])) / scalar(count(count by (cpu) (node_cpu_seconds_total)))`

// recent asks a running agent for the host's CPU over the recent past.
func (inv *investigation) recent(ctx context.Context) (string, error) {
	if inv.o.Agent == "" {
		return "no running agent to ask (give --agent)", nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	end := time.Now()
	q := url.Values{
		"query": {recentQuery},
		"start": {strconv.FormatInt(end.Add(-recentWindow).Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {"60"},
	}
	u := strings.TrimSuffix(inv.o.Agent, "/") + "/api/v1/query_range?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("no agent answers at %s: %v", inv.o.Agent, unwrapURLError(err)), nil
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("%s did not answer as mihari's API: %w", inv.o.Agent, err)
	}
	if body.Status != "success" {
		return "", fmt.Errorf("asking %s for the recent past: %s", inv.o.Agent, body.Error)
	}
	// Sum each mode over the window, and the busy share of each step.
	sums := map[string]float64{}
	idle := map[float64]float64{} // by timestamp: idle + iowait
	points := map[float64]bool{}
	n := 0
	for _, series := range body.Data.Result {
		mode := series.Metric["mode"]
		for _, v := range series.Values {
			ts, _ := v[0].(float64)
			s, _ := v[1].(string)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				continue
			}
			sums[mode] += f
			points[ts] = true
			if mode == "idle" || mode == "iowait" {
				idle[ts] += f
			}
		}
		n = max(n, len(series.Values))
	}
	if n == 0 {
		return "the agent has no CPU data for the last 30 minutes yet", nil
	}
	avg := func(mode string) float64 { return sums[mode] / float64(n) }
	a := CPUSplit{
		User: avg("user"), Nice: avg("nice"), System: avg("system"), Iowait: avg("iowait"),
		IRQ: avg("irq"), SoftIRQ: avg("softirq"), Steal: avg("steal"), Idle: avg("idle"),
	}
	a.Busy = max(0, 1-a.Idle-a.Iowait)
	r := &Recent{Source: "agent " + inv.o.Agent, WindowSeconds: float64(n) * 60, Average: a}
	for ts := range points {
		r.MaxBusy = max(r.MaxBusy, 1-idle[ts])
	}
	inv.r.Host.Recent = r
	if a.Busy >= busyHigh {
		inv.r.Host.Abnormal = append(inv.r.Host.Abnormal, fmt.Sprintf("over the last %.0f minutes the CPUs were %s busy on average", r.WindowSeconds/60, pct(a.Busy)))
	}
	return "", nil
}

// unwrapURLError drops the method and URL net/http puts in front of an
// error, which the message already names.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
