// Command store measures what it costs to hold one host's data: mihari
// storing its own collections, against Debian's Prometheus scraping a
// mihari's /metrics at the same interval, in the same run. Three processes:
//
//	A  mihari serve, storing every interval (collect + store + default rules)
//	B  mihari serve, storing once an hour: only the /metrics Prometheus scrapes
//	P  prometheus, scraping B every interval, storing it, and evaluating
//	   mihari's default rules on it
//
// A is the whole mihari stack; P + B is the same data with Prometheus. What
// storing costs mihari is A - B, corrected for the encoding of B's scrapes,
// which A does not do (measured here). The 24 h figures extrapolate the run's cost per interval to 5,760 intervals
// (24 h at 15 s).
//
//	go run ./bench/store -interval 1s -duration 5m
package main

import (
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/bench/internal/peer"
)

func main() {
	interval := flag.Duration("interval", time.Second, "collection and scrape interval")
	duration := flag.Duration("duration", 5*time.Minute, "how long to run after warming up")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	prom := flag.String("prometheus", "/usr/bin/prometheus", "Prometheus binary")
	flag.Parse()
	if err := run(*interval, *duration, *mihari, *prom); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(interval, duration time.Duration, mihari, prom string) error {
	mihari, cleanup, err := peer.Mihari(mihari)
	if err != nil {
		return err
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "mihari-bench-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	aAddr, bAddr, pAddr := peer.FreeAddr(), peer.FreeAddr(), peer.FreeAddr()
	iv := interval.String()

	a, err := peer.Start("mihari (collect + store + rules)", "http://"+aAddr+"/-/ready", mihari, "serve",
		"--web.listen-address="+aAddr, "--storage.path="+filepath.Join(dir, "a"), "--interval="+iv, "--log.level=error")
	if err != nil {
		return err
	}
	defer a.Stop()
	b, err := peer.Start("mihari scraped (collect + serve)", "http://"+bAddr+"/-/ready", mihari, "serve",
		"--web.listen-address="+bAddr, "--storage.path="+filepath.Join(dir, "b"), "--interval=1h",
		"--no-rules.defaults", "--log.level=error")
	if err != nil {
		return err
	}
	defer b.Stop()
	// Prometheus evaluates mihari's default rule pack too, so both do the
	// same work on the same series.
	rules, err := exec.Command(mihari, "rules", "defaults").Output()
	if err != nil {
		return fmt.Errorf("mihari rules defaults: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), rules, 0o644); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: %s
  scrape_timeout: %s
  evaluation_interval: %s
rule_files: [rules.yml]
scrape_configs:
  - job_name: mihari
    static_configs:
      - targets: [%q]
`, iv, iv, iv, bAddr)), 0o644); err != nil {
		return err
	}
	p, err := peer.Start("prometheus "+peer.Version(prom), "http://"+pAddr+"/-/ready", prom,
		"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "p"),
		"--web.listen-address="+pAddr, "--log.level=error")
	if err != nil {
		return err
	}
	defer p.Stop()

	progs := []*peer.Prog{a, b, p}
	time.Sleep(30 * time.Second) // warm up: WAL segments, head series created
	for _, pr := range progs {
		pr.CPU0 = pr.CPUNow()
	}
	start := time.Now()
	time.Sleep(duration)
	elapsed := time.Since(start)
	intervals := elapsed.Seconds() / interval.Seconds()

	series := func(addr string) int {
		resp, err := http.Get("http://" + addr + "/api/v1/status/tsdb")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		var r struct {
			Data struct{ HeadStats struct{ NumSeries int } }
		}
		json.NewDecoder(resp.Body).Decode(&r)
		return r.Data.HeadStats.NumSeries
	}
	// Samples appended, from each program's own metrics.
	samples := func(addr, metric string) float64 {
		text, err := peer.Get("http://" + addr + "/metrics")
		if err != nil {
			return 0
		}
		return peer.Sum(text, metric)
	}
	aSeries, pSeries := series(aAddr), series(pAddr)
	aSamples := samples(aAddr, "mihari_storage_samples_appended_total")
	pSamples := samples(pAddr, "prometheus_tsdb_head_samples_appended_total")

	fmt.Printf("interval %s, measured over %s (%.0f intervals) after 30 s of warm-up\n\n", iv, elapsed.Round(time.Second), intervals)
	fmt.Println("| process | CPU per interval | CPU per 24 h at 15 s | RSS now | RSS peak | head series | disk now | disk bytes per sample |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	row := func(pr *peer.Prog, sub string, ser int, smp float64) float64 {
		cpu := pr.CPUNow().Sub(pr.CPU0).Total()
		per := cpu / intervals
		rss, peak := rssOf(pr.Cmd.Process.Pid)
		disk := "-"
		perSample := "-"
		if sub != "" {
			d := dirSize(filepath.Join(dir, sub))
			disk = mb(d)
			if smp > 0 {
				perSample = fmt.Sprintf("%.2f", float64(d)/smp)
			}
		}
		serStr := "-"
		if ser > 0 {
			serStr = strconv.Itoa(ser)
		}
		fmt.Printf("| %s | %.2f ms | %.1f s | %s | %s | %s | %s | %s |\n", pr.Name, per*1000, per*5760, mb(rss), mb(peak), serStr, disk, perSample)
		return per
	}
	aCPU := row(a, "a", aSeries, aSamples)
	bCPU := row(b, "", 0, 0)
	pCPU := row(p, "p", pSeries, pSamples)
	aRSS, _ := rssOf(a.Cmd.Process.Pid)
	pRSS, _ := rssOf(p.Cmd.Process.Pid)
	bRSS, _ := rssOf(b.Cmd.Process.Pid)
	enc, err := encodeCost(bAddr)
	if err != nil {
		return err
	}
	fmt.Printf("\nB's encoding of one scrape (OpenMetrics text, gzip), timed here: %.2f ms\n", enc*1000)
	fmt.Printf("mihari stack / (Prometheus + the mihari it scrapes): CPU %.2f, RSS %.2f\n", aCPU/(pCPU+bCPU), float64(aRSS)/float64(pRSS+bRSS))
	fmt.Printf("storing alone, (A - (B - encoding)) / Prometheus: CPU %.2f, RSS %.2f\n", (aCPU-(bCPU-enc))/pCPU, float64(aRSS-bRSS)/float64(pRSS))
	return nil
}

// encodeCost is the CPU B spends encoding one scrape for Prometheus, which
// A does not do: B's families encoded as Prometheus asks for them
// (OpenMetrics text, gzip at mihari's level), on one thread of this
// process.
func encodeCost(addr string) (float64, error) {
	text, err := peer.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(mfs))
	for n := range mfs {
		names = append(names, n)
	}
	sort.Strings(names)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 200
	before := threadCPU()
	for range n {
		gz, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		enc := expfmt.NewEncoder(gz, expfmt.NewFormat(expfmt.TypeOpenMetrics))
		for _, name := range names {
			if err := enc.Encode(mfs[name]); err != nil {
				return 0, err
			}
		}
		if c, ok := enc.(expfmt.Closer); ok {
			c.Close()
		}
		gz.Close()
	}
	return (threadCPU() - before) / n, nil
}

func threadCPU() float64 {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func rssOf(pid int) (now, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			now = v * 1024
		case "VmHWM:":
			peak = v * 1024
		}
	}
	return now, peak
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func mb(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
