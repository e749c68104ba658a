// Command processes measures the cost of collecting every process of the
// host, mihari against Debian's prometheus-process-exporter in the same
// run, with the same grouping (every process by comm) and N extra sleeping
// processes spawned for the occasion.
//
//	go run ./bench/processes -procs 500,5000 -n 20
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/mihari-dev/mihari/bench/internal/peer"
)

const groupAll = `process_names:
  - name: "{{.Comm}}"
    cmdline: ['.+']
`

func main() {
	procs := flag.String("procs", "500,5000", "comma-separated numbers of extra processes")
	n := flag.Int("n", 20, "scrapes of each program per size")
	mihari := flag.String("mihari", "", "mihari binary (default: build ./cmd/mihari)")
	pe := flag.String("process-exporter", "/usr/bin/prometheus-process-exporter", "process-exporter binary")
	flag.Parse()
	if err := run(*procs, *n, *mihari, *pe); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(sizes string, n int, mihari, pe string) error {
	mihari, cleanup, err := peer.Mihari(mihari)
	if err != nil {
		return err
	}
	defer cleanup()
	dir, err := os.MkdirTemp("", "mihari-bench-procs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := filepath.Join(dir, "groups.yml")
	if err := os.WriteFile(cfg, []byte(groupAll), 0o644); err != nil {
		return err
	}
	fmt.Printf("host: %d CPUs; %d scrapes each per size, alternating; process-exporter with -threads=false -gather-smaps=false (its cheapest setting for these metrics)\n\n", runtime.NumCPU(), n)
	fmt.Println("| processes | program | CPU per scrape | latency p50 | p90 | max | series |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for s := range strings.SplitSeq(sizes, ",") {
		extra, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-procs %q: %w", s, err)
		}
		if err := size(extra, n, mihari, pe, cfg); err != nil {
			return err
		}
	}
	return nil
}

func size(extra, n int, mihari, pe, cfg string) error {
	kids, err := spawn(extra)
	defer func() {
		for _, k := range kids {
			k.Process.Kill()
			k.Wait()
		}
	}()
	if err != nil {
		return err
	}
	total := countProcs()

	peAddr, miAddr := peer.FreeAddr(), peer.FreeAddr()
	peProg, err := peer.Start("process-exporter 0.7 (Debian)", "http://"+peAddr+"/metrics", pe,
		"-config.path", cfg, "-web.listen-address", peAddr, "-threads=false", "-gather-smaps=false")
	if err != nil {
		return err
	}
	defer peProg.Stop()
	data, err := os.MkdirTemp("", "mihari-bench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	miProg, err := peer.Start("mihari", "http://"+miAddr+"/metrics", mihari, "serve", "--web.listen-address="+miAddr, "--storage.path="+data,
		"--log.level=error", "--collector.disable-defaults", "--collector.process", "--collector.process.config="+cfg)
	if err != nil {
		return err
	}
	defer miProg.Stop()
	progs := []*peer.Prog{peProg, miProg}
	for _, p := range progs {
		for range 2 {
			if _, err := p.Scrape(); err != nil {
				return err
			}
		}
		p.Latencies = nil
		p.CPU0 = p.CPUNow()
	}
	for i := range n {
		for _, p := range []*peer.Prog{progs[i%2], progs[1-i%2]} {
			if _, err := p.Scrape(); err != nil {
				return err
			}
		}
	}
	var cpu [2]float64
	for i, p := range progs {
		cpu[i] = p.CPUNow().Sub(p.CPU0).Total()
		max := peer.Percentile(p.Latencies, 100)
		fmt.Printf("| %d | %s | %s | %s | %s | %s | %d |\n", total, p.Name,
			peer.MS(time.Duration(cpu[i]/float64(n)*float64(time.Second))),
			peer.MS(peer.Percentile(p.Latencies, 50)), peer.MS(peer.Percentile(p.Latencies, 90)), peer.MS(max), p.Series)
	}
	fmt.Printf("| %d | mihari CPU / process-exporter CPU | %.2f | | | | |\n", total, cpu[1]/cpu[0])
	return nil
}

// spawn starts n sleeping processes.
func spawn(n int) ([]*exec.Cmd, error) {
	var kids []*exec.Cmd
	for range n {
		c := exec.Command("sleep", "3600")
		if err := c.Start(); err != nil {
			return kids, fmt.Errorf("spawning process %d: %w", len(kids)+1, err)
		}
		kids = append(kids, c)
	}
	return kids, nil
}

func countProcs() int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	return n
}
