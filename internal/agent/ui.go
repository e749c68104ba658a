package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	pprofile "github.com/google/pprof/profile"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/mihari-dev/mihari/internal/collect"
	"github.com/mihari-dev/mihari/internal/investigate/runner"
	"github.com/mihari-dev/mihari/internal/procfs"
	mprofile "github.com/mihari-dev/mihari/internal/profile"
	"github.com/mihari-dev/mihari/internal/top"
	"github.com/mihari-dev/mihari/internal/web/ui"
)

// investigationsView shows the runner's investigations to the pages.
type investigationsView struct{ r *runner.Runner }

func (v investigationsView) List() []ui.InvestigationSummary {
	var out []ui.InvestigationSummary
	for _, m := range v.r.List() {
		out = append(out, ui.InvestigationSummary{
			ID: m.ID, Status: m.Status, Trigger: trigger(m), Summary: m.Summary,
			Confidence: m.Confidence, Started: m.Started, Finished: m.Finished,
		})
	}
	return out
}

// trigger says what started an investigation: a person, or an alert and
// its labels.
func trigger(m *runner.Meta) string {
	if m.Manual {
		if pid := m.Trigger["pid"]; pid != "" {
			return "started by hand, process " + pid
		}
		return "started by hand"
	}
	var parts []string
	for k, v := range m.Trigger {
		if k != labels.AlertName {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	s := m.Trigger[labels.AlertName]
	if len(parts) > 0 {
		s += " {" + strings.Join(parts, ", ") + "}"
	}
	return s
}

func (v investigationsView) Status(id string) (ui.InvestigationStatus, error) {
	m, err := v.r.Get(id)
	if err != nil {
		return ui.InvestigationStatus{}, fmt.Errorf("no investigation %q", id)
	}
	st := ui.InvestigationStatus{Started: m.Started}
	st.Step, st.Running = v.r.Progress(id)
	return st, nil
}

func (v investigationsView) AlertLink(lset map[string]string) (string, bool) {
	link, ok := v.r.Annotate(labels.FromMap(lset))
	if !ok {
		return "", false
	}
	// The link is absolute (for Alertmanager); the pages want the ID.
	id := strings.TrimSuffix(link[strings.LastIndex(link, "/")+1:], "?format=html")
	return id, runner.ValidID(id)
}

// actions run investigations, profiles and traces from the pages: the
// investigations through the runner, the others as child processes of
// mihari itself, so that what they cost is theirs and bounded.
type actions struct {
	r *runner.Runner
}

func (a actions) Investigate(pid int) (string, error) { return a.r.StartManual(pid) }

func (a actions) Profile(ctx context.Context, pid int, d time.Duration) ([]byte, error) {
	dir, err := os.MkdirTemp("", "mihari-ui-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "profile.pb.gz")
	if _, err := a.child(ctx, "profile", "-p", strconv.Itoa(pid), "-d", d.String(), "-o", out, "--top", "0"); err != nil {
		return nil, err
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := pprofile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("reading the profile mihari profile wrote: %w", err)
	}
	var svg bytes.Buffer
	title := fmt.Sprintf("process %d, %v from %s", pid, d, time.Unix(0, p.TimeNanos).UTC().Format("2006-01-02 15:04:05 UTC"))
	if err := mprofile.WriteFlameGraphFragment(&svg, p, title); err != nil {
		return nil, err
	}
	return svg.Bytes(), nil
}

func (a actions) TraceFiles(ctx context.Context, pid int, d time.Duration) ([]ui.FileRow, error) {
	out, err := a.child(ctx, "trace", "files", "-p", strconv.Itoa(pid), "-d", d.String(), "--json", "--top", "20")
	if err != nil {
		return nil, err
	}
	var res struct {
		Files []struct {
			Path    string  `json:"path"`
			Opens   uint64  `json:"opens"`
			Reads   uint64  `json:"reads"`
			Bytes   uint64  `json:"bytes"`
			Seconds float64 `json:"seconds"`
			MaxRead float64 `json:"max_read_seconds"`
		} `json:"files"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("reading what mihari trace files printed: %w", err)
	}
	var rows []ui.FileRow
	for _, f := range res.Files {
		rows = append(rows, ui.FileRow{Path: f.Path, Opens: f.Opens, Reads: f.Reads, Bytes: f.Bytes, Seconds: f.Seconds, MaxRead: f.MaxRead})
	}
	return rows, nil
}

// child runs this executable with args and returns its stdout; its last
// line of stderr is the error when it fails.
func (a actions) child(ctx context.Context, args ...string) ([]byte, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// mihari's error is its line that starts with "mihari "; a
		// usage hint may follow it.
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\nmihari "); i >= 0 {
			msg = msg[i+1:]
		}
		msg, _, _ = strings.Cut(msg, "\n")
		if msg == "" {
			msg = err.Error()
		}
		return nil, errors.New(msg)
	}
	return stdout.Bytes(), nil
}

// processInfo reads what the process page shows of a running process.
func processInfo(paths collect.Paths) func(pid int) (ui.ProcessInfo, error) {
	return func(pid int) (ui.ProcessInfo, error) {
		dir := paths.Proc(strconv.Itoa(pid))
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil {
			return ui.ProcessInfo{}, err
		}
		info := ui.ProcessInfo{Comm: strings.TrimSpace(string(comm))}
		if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
			info.Cmdline = strings.Join(procfs.ParseCmdline(b), " ")
		}
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
			if cgs, _ := procfs.ParsePidCgroup(b); len(cgs) > 0 {
				info.Cgroup = procfs.PrimaryCgroup(cgs)
				info.Container = top.Container(info.Cgroup)
			}
		}
		return info, nil
	}
}
