package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mihari-dev/mihari/internal/investigate"
)

// The tests run this test binary again as a fake `mihari investigate`:
// MIHARI_RUNNER_FAKE says what it does.
const (
	fakeEnv     = "MIHARI_RUNNER_FAKE"
	fakeLogEnv  = "MIHARI_RUNNER_FAKE_LOG"     // where it writes what it was given (fakeLog)
	fakeWaitEnv = "MIHARI_RUNNER_FAKE_RELEASE" // "wait" waits for this file
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fakeInvestigate(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeSink keeps the spinning from being optimised away.
var fakeSink int

// fakeLog is what the fake saw of its start.
type fakeLog struct {
	Args      []string
	Nice      int
	CPULimit  [2]uint64 // RLIMIT_CPU, soft and hard
	AlertName string
	Labels    map[string]string
}

// fakeSummary is the summary of the fake's report for an alert.
func fakeSummary(alertname string) string {
	return "fake-burner used 1.5 cores, 90% of it in the kernel, after " + alertname
}

// fakeInvestigate is the fake: report writes a report for the alert,
// wait does so once the release file exists, fail and noreport exit
// without one, spin burns CPU, sleep sleeps.
func fakeInvestigate(mode string, args []string) int {
	flags := map[string]string{}
	for i := 0; i+1 < len(args); i++ {
		if len(args[i]) > 1 && args[i][0] == '-' {
			flags[args[i]] = args[i+1]
		}
	}
	al, _, err := func() (*investigate.Alert, investigate.Target, error) {
		f, err := os.Open(flags["--from-alert"])
		if err != nil {
			return nil, investigate.Target{}, err
		}
		defer f.Close()
		return investigate.FromWebhook(f)
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake: --from-alert:", err)
		return 1
	}
	if p := os.Getenv(fakeLogEnv); p != "" {
		prio, _ := unix.Getpriority(unix.PRIO_PROCESS, 0)
		var lim unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_CPU, &lim)
		b, _ := json.Marshal(fakeLog{Args: args, Nice: 20 - prio, CPULimit: [2]uint64{lim.Cur, lim.Max}, AlertName: al.Name, Labels: al.Labels})
		os.WriteFile(p, b, 0o644)
	}
	switch mode {
	case "wait":
		fmt.Fprintln(os.Stderr, "progress: watching the host")
		fmt.Fprintln(os.Stderr, "progress: waiting for the release file")
		for {
			if _, err := os.Stat(os.Getenv(fakeWaitEnv)); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	case "fail":
		fmt.Fprintln(os.Stderr, "fake: starting")
		fmt.Fprintln(os.Stderr, "fake: the host could not be read: permission denied")
		return 1
	case "noreport":
		return 0
	case "spin":
		for {
			fakeSink++
		}
	case "sleep":
		time.Sleep(time.Hour)
		return 0
	}
	rep := investigate.Report{
		Version:  investigate.SchemaVersion,
		ID:       flags["--id"],
		Hostname: "host1",
		Started:  time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC),
		Finished: time.Date(2026, 12, 3, 10, 15, 12, 0, time.UTC),
		Target:   investigate.Target{Mode: "auto"},
		Alert:    al,
		Conclusion: investigate.Conclusion{
			Summary:    fakeSummary(al.Name),
			Abnormal:   true,
			Confidence: "high",
			Cause:      investigate.Cause{Kind: "process", Name: "fake-burner", PID: 4242},
			Evidence:   []string{"fake-burner: 1.5 cores"},
		},
		Suspects: []investigate.Suspect{{PID: 4242, Comm: "fake-burner", Cores: 1.5, UserCores: 0.15, SystemCores: 1.35, SystemFraction: 0.9, Why: "busiest"}},
		Steps:    []investigate.Step{{Name: "host", Status: "ok"}},
	}
	b, err := json.Marshal(rep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 1
	}
	out := flags["-o"]
	tmp := filepath.Join(filepath.Dir(out), ".fake-report")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 1
	}
	if err := os.Rename(tmp, out); err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 1
	}
	return 0
}
