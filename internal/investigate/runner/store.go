package runner

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mihari-dev/mihari/internal/investigate"
)

// Statuses of an investigation.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusKilled  = "killed"
)

// Meta is what the agent knows of one investigation, kept next to its
// report as <id>.meta.json: the report itself (<id>.json) is written by
// the child process, the meta by the agent only.
type Meta struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Trigger is the labels of the alert that started it, alertname
	// included.
	Trigger map[string]string `json:"trigger"`
	// Alert is the rest of that alert.
	Alert TriggerAlert `json:"alert"`
	// Manual tells an investigation started from the web UI rather than
	// by an alert.
	Manual   bool      `json:"manual,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error says why a run failed or was killed.
	Error string `json:"error,omitempty"`
	// Stderr is the end of a failed run's standard error.
	Stderr string `json:"stderr,omitempty"`
	// CPUSeconds is the CPU the child used, user and system.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// Summary, Confidence and Cause are copied from the report once it
	// is written, for the list.
	Summary    string             `json:"summary,omitempty"`
	Confidence string             `json:"confidence,omitempty"`
	Cause      *investigate.Cause `json:"cause,omitempty"`
}

// TriggerAlert is the part of the triggering alert that is not its labels.
type TriggerAlert struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	// ActiveAt is when the alert became pending; FiredAt when it fired.
	ActiveAt time.Time `json:"active_at,omitzero"`
	FiredAt  time.Time `json:"fired_at,omitzero"`
}

const (
	metaSuffix   = ".meta.json"
	reportSuffix = ".json"
	// maxIDLen bounds an ID, hence a file name built from it.
	maxIDLen = 128
)

// ValidID reports whether id has the shape of an investigation's ID:
// letters, digits and dashes only, so that a path built from it stays in
// the directory whatever a client sends.
func ValidID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// dir is the directory of the investigations: <storage.path>/investigations.
type dir string

func (d dir) metaPath(id string) string   { return filepath.Join(string(d), id+metaSuffix) }
func (d dir) reportPath(id string) string { return filepath.Join(string(d), id+reportSuffix) }

// alertPath is the Alertmanager payload handed to the child; a dot file,
// so that a crash leaves nothing a listing mistakes for an investigation.
func (d dir) alertPath(id string) string { return filepath.Join(string(d), "."+id+".alert.json") }

// readMeta reads one investigation's meta; fs.ErrNotExist if there is none.
func (d dir) readMeta(id string) (*Meta, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("investigation ID %q: want letters, digits and dashes", id)
	}
	b, err := os.ReadFile(d.metaPath(id))
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.metaPath(id), err)
	}
	if m.ID != id {
		return nil, fmt.Errorf("reading %s: it is the meta of %q", d.metaPath(id), m.ID)
	}
	return &m, nil
}

// writeMeta replaces an investigation's meta atomically.
func (d dir) writeMeta(m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(d.metaPath(m.ID), append(b, '\n'))
}

// list reads every meta, newest first. Unreadable ones are returned as
// errors beside the rest.
func (d dir) list() ([]*Meta, []error) {
	entries, err := os.ReadDir(string(d))
	if err != nil {
		return nil, []error{err}
	}
	var out []*Meta
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), metaSuffix)
		if !ok || !e.Type().IsRegular() || !ValidID(id) {
			continue
		}
		m, err := d.readMeta(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Meta) int {
		return cmp.Or(b.Started.Compare(a.Started), strings.Compare(b.ID, a.ID))
	})
	return out, errs
}

// remove deletes an investigation's files.
func (d dir) remove(id string) error {
	var errs []error
	for _, p := range []string{d.reportPath(id), d.alertPath(id), d.metaPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// prune keeps the newest count investigations not older than maxAge, and
// a running one whatever its age. It also removes temporary files (dot
// files: the alert payloads, a child's report being written) older than
// stale, which no run can still be using.
func (d dir) prune(now time.Time, count int, maxAge, stale time.Duration) (removed []string, errs []error) {
	metas, errs := d.list()
	kept := 0
	for _, m := range metas {
		if m.Status == StatusRunning || kept < count && now.Sub(m.Started) <= maxAge {
			kept++
			continue
		}
		if err := d.remove(m.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, m.ID)
	}
	entries, err := os.ReadDir(string(d))
	if err != nil {
		return removed, append(errs, err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > stale {
			if err := os.Remove(filepath.Join(string(d), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return removed, errs
}

// writeAtomic writes a file whole or not at all: a reader (the API, an
// agent started after a crash) never sees half of it.
func writeAtomic(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o640); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
